/* The hypervisor's own exit table, as text lines: printed on the console
 * when the guest asks (VMCALL EXV_VMCALL_PRINT_STATS) and before a
 * platform reset. Pure, so the host tests check the format. */
#ifndef EXITVISOR_STATS_REPORT_H
#define EXITVISOR_STATS_REPORT_H
#include "exit_stats.h"
#include "timeline.h"

typedef void (*report_line_fn)(const char *line, void *ctx);
/* One header line, one line per reason with a nonzero count (by reason
 * number), one total line. */
void exit_stats_report(const struct exit_stats *s, report_line_fn emit, void *ctx);
/* The timeline (hv/stats/timeline.h) as text, the contract tools/report.py reads:
 *   timeline v1 samples=N capacity=C interval=I compactions=K start_tsc=T0 now=T tsc_hz=HZ
 *   timeline <i> t=<ticks since launch> own=<exitvisor's own> <reason>:<cumulative count> ...
 *   timeline end samples=N
 * Reasons with a zero count are left out; a sample whose pairs do not fit
 * one line continues on more lines with the same i and t. `now` is the
 * ticks since launch at printing. */
void timeline_report(const struct timeline *tl, u64 now_tsc, report_line_fn emit, void *ctx);
#endif
