/*
 * exvprobe's subcommands beyond the table and the live view (exvprobe.c):
 *   exvprobe_timeline.c  `exvprobe timeline` and `exvprobe mark LABEL`
 *   exvprobe_stat.c      `exvprobe stat -- CMD [ARGS...]`
 */
#ifndef EXITVISOR_EXVPROBE_H
#define EXITVISOR_EXVPROBE_H

typedef unsigned long long u64;
typedef unsigned int u32;

/* CLOCK_MONOTONIC in nanoseconds. */
u64 exvprobe_now_ns(void);
/* The guest's TSC (exitvisor does not offset it: the hypervisor's TSC too). */
u64 exvprobe_rdtsc(void);

/* Write "exvprobe: mark LABEL tsc=T" to the kernel log (/dev/kmsg), so the
 * console shows it with the kernel's timestamp: tools/report.py places the
 * console's lines on the hypervisor's timeline with these. Falls back to
 * stdout, without a timestamp, and says so. Returns the TSC written. */
u64 exvprobe_mark(const char *label);

/* Print the hypervisor's timeline (leaves 0x40000005/6) in the text format
 * exitvisor prints at power-off (hv/stats/stats_report.h), each line prefixed
 * "exvprobe: ", plus the TSC rate measured against CLOCK_MONOTONIC.
 * Returns 0, or 2 when exitvisor has no timeline (an older exitvisor). */
int exvprobe_timeline(void);

/* Print the hypervisor's log (leaf 0x40000008), dmesg-like: each line
 * "exvprobe: log: <line>". Returns 0, or 2 when exitvisor has no log. */
int exvprobe_log(void);

/* Run argv[0..] (PATH searched), print the exits per reason and per vCPU
 * while it ran, with rates. label (or argv[0]) names the stat-begin/stat-end
 * marks. Returns the command's exit status (128+signal
 * if killed), or 2 when it could not run. */
int exvprobe_stat(const char *label, char **argv);

#endif
