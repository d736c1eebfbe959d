/* Line-oriented logging to the serial console, safe from any CPU, in root or
 * non-root mode. Every line starts with "exitvisor: ". */
#ifndef EXITVISOR_LOG_H
#define EXITVISOR_LOG_H
#include "../types.h"
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wait until the UART has sent everything (before the machine ends). Time
 * spent in either, during an exit, is booked as waiting, not handling. */
void hv_log_drain(void);

/*
 * Where else a line goes. In the hypervisor (the runtime copy), once
 * hv_prepare has made it, into the log ring (hv/stats/log_ring.h) that guests read
 * through leaf 0x40000008. exitvisor's boot code (the original image) cannot
 * write the ring once its CPU is a guest (EPT hides it), so it keeps its
 * lines in a buffer of its own and hands them over with one VMCALL before
 * the next stage starts (boot/main.c); and it shows them on the screen.
 */
/* Boot code only: keep lines in buf (cap bytes), and pass each line to
 * echo (on the boot CPU, never in root mode; NULL: none). */
void hv_log_capture_boot(char *buf, u32 cap, void (*echo)(const char *line, u32 n));
/* What the boot code kept so far: its length; *lost = lines that did not fit. */
u32 hv_log_boot_lines(u32 *lost);
/* The next stage owns the screen from now on. */
void hv_log_stop_echo(void);
#endif
