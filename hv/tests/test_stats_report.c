/* hv/stats/stats_report.c: the table the hypervisor prints itself. */
#include <string.h>
#include "check.h"
#include "hv/stats/stats_report.h"

static char out[16][160];
static int lines;

static void collect(const char *line, void *ctx)
{
    (void)ctx;
    if (lines < 16)
        strncpy(out[lines], line, sizeof(out[0]) - 1);
    lines++;
}

TEST(stats_report_lines)
{
    static struct exit_stats st;
    exit_stats_reset(&st, 2);
    for (int i = 0; i < 3; i++)
        exit_stats_count(&st, 0, 10);
    exit_stats_add_cycles(&st, 0, 10, 600);
    exit_stats_count(&st, 1, 48);
    exit_stats_add_cycles(&st, 1, 48, 2000);
    exit_stats_add_own(&st, 1, 2000);
    lines = 0;
    exit_stats_report(&st, collect, NULL);
    CHECK_EQ(lines, 5, "header, two reasons, total, own");
    CHECK_STREQ(out[0], "exit table: 4 exits, 2600 cycles, 2 vCPUs", "header");
    CHECK(!strncmp(out[1], "  10  CPUID ", 12), "CPUID row first (by number): '%s'", out[1]);
    CHECK(strstr(out[1], "            3              600") != NULL, "CPUID count and cycles: '%s'", out[1]);
    CHECK(!strncmp(out[2], "  48  EPT violation ", 20), "EPT row: '%s'", out[2]);
    CHECK(!strncmp(out[3], "  total ", 8) && strstr(out[3], " 4 ") && strstr(out[3], " 2600"), "total row: '%s'",
          out[3]);
    CHECK(!strncmp(out[4], "  own   of these, caused by exitvisor's own watches ", 52) && strstr(out[4], " 1 ") &&
              strstr(out[4], " 2000"),
          "own row after the total: '%s'", out[4]);
}

TEST(stats_report_empty)
{
    static struct exit_stats st;
    exit_stats_reset(&st, 1);
    lines = 0;
    exit_stats_report(&st, collect, NULL);
    CHECK_EQ(lines, 3, "no rows when nothing exited: header, total and own only");
}

/* Another vCPU exits while the lines go out (the power-off table is
 * printed while the other vCPUs still run): the table must still be one
 * snapshot, its rows adding up to its header and total row. */
static struct exit_stats busy;

static void collect_while_cpu1_exits(const char *line, void *ctx)
{
    collect(line, ctx);
    exit_stats_count(&busy, 1, 48);
    exit_stats_add_cycles(&busy, 1, 48, 100);
    exit_stats_add_own(&busy, 1, 100);
    exit_stats_count(&busy, 1, 10);
    exit_stats_add_cycles(&busy, 1, 10, 7);
}

TEST(stats_report_is_one_snapshot_while_vcpus_exit)
{
    exit_stats_reset(&busy, 2);
    exit_stats_count(&busy, 0, 10);
    exit_stats_add_cycles(&busy, 0, 10, 50);
    exit_stats_count(&busy, 1, 48);
    exit_stats_add_cycles(&busy, 1, 48, 100);
    exit_stats_add_own(&busy, 1, 100);
    lines = 0;
    exit_stats_report(&busy, collect_while_cpu1_exits, NULL);
    CHECK_EQ(lines, 5, "header, two reasons, total, own");
    CHECK_STREQ(out[0], "exit table: 2 exits, 150 cycles, 2 vCPUs", "header: the state when the report began");
    CHECK(strstr(out[1], "            1               50") != NULL, "CPUID row as it was: '%s'", out[1]);
    CHECK(strstr(out[2], "            1              100") != NULL, "EPT row as it was: '%s'", out[2]);
    CHECK(strstr(out[3], " 2 ") && strstr(out[3], " 150"), "total row equals the rows: '%s'", out[3]);
    CHECK(strstr(out[4], " 1 ") && strstr(out[4], " 100"), "own within the total: '%s'", out[4]);
    CHECK_EQ(exit_stats_total_count(&busy), 12, "the counting itself went on: 2 + 5 lines x 2 exits");
}
