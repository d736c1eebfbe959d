#include <stdarg.h>
#include "log.h"
#include "fmt.h"
#include "serial.h"
#include "../arch/x86.h"
#include "../vcpu.h"
#include "../stats/log_ring.h"
#include "../arch/msr.h"

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

/* The boot code's own copy of its lines (see log.h); set only in the
 * original image, never in the hypervisor's. */
static char *boot_buf;
static u32 boot_cap;
static volatile u32 boot_len, boot_lost;
static void (*boot_echo)(const char *line, u32 n);

void hv_log_capture_boot(char *buf, u32 cap, void (*echo)(const char *line, u32 n))
{
    boot_buf = buf;
    boot_cap = cap;
    boot_echo = echo;
}

u32 hv_log_boot_lines(u32 *lost)
{
    *lost = boot_lost;
    u32 n = __atomic_load_n(&boot_len, __ATOMIC_ACQUIRE);
    return n < boot_cap ? n : boot_cap;
}

void hv_log_stop_echo(void)
{
    boot_echo = NULL;
}

static void keep_boot_line(const char *line, size_t n)
{
    u32 at = __atomic_fetch_add(&boot_len, (u32)n, __ATOMIC_ACQ_REL);
    if (at + n > boot_cap) {
        __atomic_fetch_sub(&boot_len, (u32)n, __ATOMIC_ACQ_REL);
        __atomic_add_fetch(&boot_lost, 1, __ATOMIC_ACQ_REL);
        return;
    }
    for (size_t i = 0; i < n; i++)
        boot_buf[at + i] = line[i];
}

/* Firmware calls only on the boot CPU (APs may not call most UEFI
 * services); RDMSR of IA32_APIC_BASE does not exit, CPUID would. */
static bool on_boot_cpu(void)
{
    return (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP) != 0;
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
    if (hv && hv->log_ring)
        log_ring_append(hv->log_ring, line, n);
    else if (boot_buf)
        keep_boot_line(line, n);
    if (boot_echo && !vcpu_in_root() && on_boot_cpu())
        boot_echo(line, (u32)n);
    /* Time spent on the console (waiting for the lock and the UART) is not
     * handling the exit: the dispatcher leaves it out of the cycles. */
    account_untimed(start);
}
