/*
 * Exceptions taken in VMX root mode. Three outcomes:
 *  - NMI: it arrived while an exit was being handled. It is either a kick
 *    from another vCPU (hv/ipi.c) or the guest's; hv/guest_events.c decides
 *    and re-injects the guest's before the next VM entry.
 *  - a fault of a safe_* instruction: resume at its recovery label.
 *  - anything else is a hypervisor bug: report it and stop this CPU.
 */
#include "host_exception.h"
#include "vcpu.h"
#include "log.h"
#include "arch/x86.h"

extern const u64 host_fixups[]; /* (instruction, recovery) pairs, zero-terminated */
extern const u8 vmentry_window_start[], vmentry_window_end[], vmentry_recheck[]; /* hv/vmx_entry.asm */

static const char *vector_name(u64 v)
{
    static const char *const names[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                         "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                         "#MF", "#AC", "#MC", "#XM", "#VE", "#CP" };
    return v < ARRAY_LEN(names) ? names[v] : "reserved";
}

void host_exception(struct host_exception_frame *f)
{
    struct vcpu *v = current_vcpu();

    if (f->vector == VEC_NMI) {
        if (v)
            v->nmi_in_root = 1;
        /* Interrupted in the last instructions before VMRESUME: go back and
         * look at this NMI (and the mailbox) before entering the guest. */
        if (f->rip >= (u64)(uintptr_t)vmentry_window_start && f->rip <= (u64)(uintptr_t)vmentry_window_end)
            f->rip = (u64)(uintptr_t)vmentry_recheck;
        return;
    }
    for (const u64 *fx = host_fixups; fx[0]; fx += 2) {
        if (f->rip == fx[0]) {
            f->rip = fx[1];
            return;
        }
    }
    hv_log("cpu %u FATAL: exception %s (vector %llu) in VMX root mode, error code 0x%llx", v ? v->index : 0,
           vector_name(f->vector), (unsigned long long)f->vector, (unsigned long long)f->error_code);
    hv_log("cpu %u   rip 0x%llx rsp 0x%llx rflags 0x%llx cr2 0x%llx cs 0x%llx", v ? v->index : 0,
           (unsigned long long)f->rip, (unsigned long long)f->rsp, (unsigned long long)f->rflags,
           (unsigned long long)read_cr2(), (unsigned long long)f->cs);
    hv_log("cpu %u   rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx rsi 0x%llx rdi 0x%llx", v ? v->index : 0,
           (unsigned long long)f->rax, (unsigned long long)f->rbx, (unsigned long long)f->rcx,
           (unsigned long long)f->rdx, (unsigned long long)f->rsi, (unsigned long long)f->rdi);
    hv_log("cpu %u STOPPED (root-mode exception)", v ? v->index : 0);
    halt_forever();
}
