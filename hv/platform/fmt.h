/* A small printf formatter: %s %c %d %i %u %x %X %p %%, flags '0' '-', width,
 * length l/ll/z. Freestanding, so root mode can log without any library. */
#ifndef EXITVISOR_FMT_H
#define EXITVISOR_FMT_H
#include <stdarg.h>
#include "../types.h"

/* Like vsnprintf: always NUL-terminates when size > 0, returns the length the
 * full output would have had. */
size_t fmt_vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
