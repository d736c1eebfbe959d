#include "stats_report.h"
#include "exit_names.h"
#include "../platform/fmt.h"

void exit_stats_report(const struct exit_stats *s, report_line_fn emit, void *ctx)
{
    char line[160];
    /* One snapshot, the total summed from its rows: the other vCPUs keep
     * exiting while the lines go out (at power-off too, until they are
     * stopped), and a total read apart from the rows came out 2 below
     * their sum in a 2-vCPU GRUB boot. The own count is read first: an
     * exit is counted before it is marked as exitvisor's, so own stays
     * within the rows' total. */
    u64 own = exit_stats_own_count(s), own_cycles = exit_stats_own_cycles(s);
    u64 count[EXIT_REASON_COUNT], cyc[EXIT_REASON_COUNT], total = 0, cycles = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        count[r] = exit_stats_reason_count(s, r);
        cyc[r] = exit_stats_reason_cycles(s, r);
        total += count[r];
        cycles += cyc[r];
    }

    fmt_format(line, sizeof(line), "exit table: %llu exits, %llu cycles, %u vCPUs", (unsigned long long)total,
               (unsigned long long)cycles, s->nr_vcpus);
    emit(line, ctx);
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        if (!count[r])
            continue;
        const char *name = exit_reason_name(r);
        fmt_format(line, sizeof(line), "  %2u  %-44s %12llu %16llu", r, name ? name : "(not defined by the SDM)",
                   (unsigned long long)count[r], (unsigned long long)cyc[r]);
        emit(line, ctx);
    }
    fmt_format(line, sizeof(line), "  total %-44s %10llu %16llu", "", (unsigned long long)total,
               (unsigned long long)cycles);
    emit(line, ctx);
    /* After the total, so readers that stop at the total row still work. */
    fmt_format(line, sizeof(line), "  own   %-44s %10llu %16llu", "of these, caused by exitvisor's own watches",
               (unsigned long long)own, (unsigned long long)own_cycles);
    emit(line, ctx);
}

/* Sample lines stay well below hv_log's 256 characters with its prefix. */
#define TIMELINE_LINE_MAX 160

void timeline_report(const struct timeline *tl, u64 now_tsc, report_line_fn emit, void *ctx)
{
    char line[TIMELINE_LINE_MAX + 32];
    u32 n = __atomic_load_n(&tl->nr_samples, __ATOMIC_ACQUIRE);

    fmt_format(line, sizeof(line),
               "timeline v%u samples=%u capacity=%u interval=%llu compactions=%u start_tsc=%llu now=%llu tsc_hz=%llu",
               TIMELINE_VERSION, n, tl->capacity, (unsigned long long)tl->interval, tl->compactions / 2,
               (unsigned long long)tl->start_tsc,
               (unsigned long long)(now_tsc > tl->start_tsc ? now_tsc - tl->start_tsc : 0),
               (unsigned long long)tl->tsc_hz);
    emit(line, ctx);
    for (u32 i = 0; i < n; i++) {
        const struct timeline_sample *x = &tl->sample[i];
        size_t head = fmt_format(line, sizeof(line), "timeline %u t=%llu own=%llu", i, (unsigned long long)x->t,
                                 (unsigned long long)x->own),
               len = head;
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
            if (!x->count[r])
                continue;
            char pair[32];
            size_t k = fmt_format(pair, sizeof(pair), " %u:%llu", r, (unsigned long long)x->count[r]);
            if (len + k > TIMELINE_LINE_MAX) {
                emit(line, ctx);
                len = head;
            }
            for (size_t j = 0; j <= k; j++)
                line[len + j] = pair[j];
            len += k;
        }
        line[len] = '\0';
        emit(line, ctx);
    }
    fmt_format(line, sizeof(line), "timeline end samples=%u", n);
    emit(line, ctx);
}
