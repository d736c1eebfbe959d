/* COM1 (0x3F8), 115200 8N1, driven by port I/O: usable from root mode,
 * before and after ExitBootServices, with no firmware involved. */
#ifndef EXITVISOR_SERIAL_H
#define EXITVISOR_SERIAL_H
#include "../types.h"
void serial_init(void);
void serial_write(const char *s, size_t n);
/* Wait until the UART has sent everything: before the machine resets or
 * powers off, or the last line is lost (seen in Bochs: the final CR LF). */
void serial_drain(void);
#endif
