#include "stats_report.h"
#include "exit_names.h"
#include "fmt.h"

void exit_stats_report(const struct exit_stats *s, report_line_fn emit, void *ctx)
{
    char line[160];
    u64 total = exit_stats_total_count(s), cycles = exit_stats_total_cycles(s);

    fmt_format(line, sizeof(line), "exit table: %llu exits, %llu cycles, %u vCPUs", (unsigned long long)total,
               (unsigned long long)cycles, s->nr_vcpus);
    emit(line, ctx);
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        u64 n = exit_stats_reason_count(s, r);
        if (!n)
            continue;
        const char *name = exit_reason_name(r);
        fmt_format(line, sizeof(line), "  %2u  %-44s %12llu %16llu", r, name ? name : "(not defined by the SDM)",
                   (unsigned long long)n, (unsigned long long)exit_stats_reason_cycles(s, r));
        emit(line, ctx);
    }
    fmt_format(line, sizeof(line), "  total %-44s %10llu %16llu", "", (unsigned long long)total,
               (unsigned long long)cycles);
    emit(line, ctx);
    /* After the total, so readers that stop at the total row still work. */
    fmt_format(line, sizeof(line), "  own   %-44s %10llu %16llu", "of these, caused by exitvisor's own watches",
               (unsigned long long)exit_stats_own_count(s), (unsigned long long)exit_stats_own_cycles(s));
    emit(line, ctx);
}
