/*
 * Exceptions taken in VMX root mode. Three outcomes:
 *  - NMI: it arrived while an exit was being handled. It is either a kick
 *    from another vCPU (hv/guest/ipi.c) or the guest's; hv/guest/guest_events.c decides
 *    and re-injects the guest's before the next VM entry.
 *  - a machine check: the guest's, as on bare metal; it is injected at the
 *    next VM entry unless the interrupted code cannot restart
 *    (hv/guest/machine_check.h).
 *  - a fault of a safe_* instruction: resume at its recovery label.
 *  - anything else is a hypervisor bug: report it and stop this CPU.
 */
#include "host_exception.h"
#include "../vcpu.h"
#include "log.h"
#include "../guest/machine_check.h"
#include "../vmx/vmcs.h"
#include "../arch/x86.h"
#include "../arch/msr.h"

extern const u64 host_fixups[]; /* (instruction, recovery) pairs, zero-terminated */
extern const u8 vmentry_window_start[], vmentry_window_end[], vmentry_recheck[]; /* hv/vmx/vmx_entry.asm */

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
            __atomic_or_fetch(&v->root_events, ROOT_EVENT_NMI, __ATOMIC_RELEASE);
        /* Interrupted in the last instructions before VMRESUME: go back and
         * look at this NMI (and the mailbox) before entering the guest. */
        if (f->rip >= (u64)(uintptr_t)vmentry_window_start && f->rip <= (u64)(uintptr_t)vmentry_window_end)
            f->rip = (u64)(uintptr_t)vmentry_recheck;
        return;
    }
    if (f->vector == VEC_MC) {
        u64 status = rdmsr(MSR_IA32_MCG_STATUS);
        bool on_vcpu = v && v->launched;
        enum mc_root_action a = mc_root_decide(on_vcpu, status, on_vcpu ? vmcs_read(VMCS_GUEST_CR4) : 0);
        if (a == MC_REFLECT) {
            /* Logged when it is injected (hv/guest/guest_events.c): the console
             * lock may be held by the code this interrupted. */
            v->mc_status = status;
            __atomic_or_fetch(&v->root_events, ROOT_EVENT_MC, __ATOMIC_RELEASE);
            return;
        }
        hv_log("cpu %u: machine check in VMX root mode, MCG_STATUS 0x%llx: %s", v ? v->index : 0,
               (unsigned long long)status, mc_root_action_text(a));
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
