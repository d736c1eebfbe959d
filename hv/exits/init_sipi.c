/*
 * INIT and SIPI exits: a real INIT reached a vCPU (from a CPU that is not a
 * vCPU, or a broadcast exitvisor could not deliver itself; vCPU-to-vCPU
 * INIT/SIPI go through hv/ipi.c). The vCPU does what INIT does to a real
 * CPU (reset state, wait for SIPI) and on the SIPI starts in real mode at
 * vector << 12. Unrestricted guest and EPT make the real-mode start possible.
 */
#include "handlers.h"
#include "../guest.h"
#include "../vmcs.h"
#include "../vmcs_setup.h"
#include "../diag.h"

void vcpu_reset_to_init(struct vcpu *v, u32 activity)
{
    struct cpuid_regs r;
    u64 *regs = (u64 *)v->regs;

    vmcs_set_guest_init_state(activity);
    guest_flush_tlb(v); /* INIT flushes the TLBs */
    /* After INIT all GPRs are 0 except RDX, which holds the processor signature. */
    cpuid_ex(1, 0, &r);
    for (u32 i = 0; i < 16; i++)
        regs[i] = 0;
    v->regs->rdx = r.eax;
}

void handle_init_signal(struct vcpu *v)
{
    if (v->sipi_entry_pending && vmcs_read(VMCS_GUEST_RIP) == 0 &&
        vmcs_read(VMCS_GUEST_CS_BASE) == v->sipi_cs_base) {
        /* An INIT before the vCPU ran a single instruction since its SIPI:
         * the INIT that was already handled is being delivered again. Bochs
         * 2.7 does this (it never clears a pending INIT after an INIT VM
         * exit), and the vCPU could then never run again. Say so. */
        log_exit(v, "INIT");
        vcpu_stop(v, "the same INIT arrived again at the SIPI entry point: the CPU (or emulator) keeps "
                     "INIT pending across the INIT VM exit, so this vCPU cannot be restarted as a guest");
    }
    if (!hv->has_wait_for_sipi || !(hv->proc2_ctls & PROC2_UNRESTRICTED_GUEST)) {
        log_exit(v, "INIT");
        vcpu_stop(v, "INIT received, but this CPU cannot wait for SIPI or run real mode as a guest");
    }
    vcpu_reset_to_init(v, ACTIVITY_WAIT_FOR_SIPI);
    v->sipi_entry_pending = false;
}

void handle_sipi(struct vcpu *v)
{
    u32 vector = vmcs_read(VMCS_EXIT_QUALIFICATION) & 0xFF;
    vmcs_start_at_sipi_vector(vector);
    v->sipi_entry_pending = true;
    v->sipi_cs_base = (u64)vector << 12;
}
