/* Line-oriented logging to the serial console, safe from any CPU, in root or
 * non-root mode. Every line starts with "exitvisor: ". */
#ifndef EXITVISOR_LOG_H
#define EXITVISOR_LOG_H
#include "types.h"
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wait until the UART has sent everything (before the machine ends). Time
 * spent in either, during an exit, is booked as waiting, not handling. */
void hv_log_drain(void);
#endif
