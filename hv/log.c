#include <stdarg.h>
#include "log.h"
#include "fmt.h"
#include "serial.h"
#include "arch/x86.h"

static volatile u32 log_lock;

/* The lock keeps lines from different CPUs whole. The wait is bounded so a
 * CPU that stopped while holding it (or an exit taken inside a guest-side
 * log call on the same CPU) can never deadlock the console. */
static bool log_lock_acquire(void)
{
    for (u32 spins = 0; spins < 20000000; spins++) {
        if (!__atomic_exchange_n(&log_lock, 1, __ATOMIC_ACQUIRE))
            return true;
        cpu_pause();
    }
    return false;
}

void hv_log(const char *fmt, ...)
{
    char line[256];
    size_t n = fmt_format(line, sizeof(line), "exitvisor: ");
    va_list ap;

    va_start(ap, fmt);
    n += fmt_vformat(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';

    bool locked = log_lock_acquire();
    serial_write(line, n);
    if (locked)
        __atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
}
