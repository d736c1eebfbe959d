#include <stdarg.h>
#include "log.h"
#include "fmt.h"
#include "serial.h"
#include "arch/x86.h"
#include "vcpu.h"

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

/* The vCPU whose exit is being handled on this CPU, or NULL outside root
 * mode (boot code runs with the firmware's GS base, which never points
 * into the hypervisor's vCPU array). */
static struct vcpu *vcpu_in_root(void)
{
    if (!hv || !hv->vcpus)
        return NULL;
    uintptr_t gs = (uintptr_t)current_vcpu();
    uintptr_t first = (uintptr_t)hv->vcpus, end = (uintptr_t)(hv->vcpus + hv->nr_vcpus);
    return gs >= first && gs < end ? (struct vcpu *)gs : NULL;
}

static void account_untimed(u64 start)
{
    struct vcpu *v = vcpu_in_root();
    if (v)
        v->untimed_cycles += rdtsc() - start;
}

void hv_log_drain(void)
{
    u64 start = rdtsc();
    serial_drain();
    account_untimed(start);
}

void hv_log(const char *fmt, ...)
{
    u64 start = rdtsc();
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
    /* Time spent on the console (waiting for the lock and the UART) is not
     * handling the exit: the dispatcher leaves it out of the cycles. */
    account_untimed(start);
}
