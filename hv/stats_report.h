/* The hypervisor's own exit table, as text lines: printed on the console
 * when the guest asks (VMCALL EXV_VMCALL_PRINT_STATS) and before a
 * platform reset. Pure, so the host tests check the format. */
#ifndef EXITVISOR_STATS_REPORT_H
#define EXITVISOR_STATS_REPORT_H
#include "exit_stats.h"

typedef void (*report_line_fn)(const char *line, void *ctx);
/* One header line, one line per reason with a nonzero count (by reason
 * number), one total line. */
void exit_stats_report(const struct exit_stats *s, report_line_fn emit, void *ctx);
#endif
