/*
 * INIT and SIPI. In VMX non-root mode an INIT always exits; exitvisor then
 * does what INIT does to a real CPU (reset state, wait for a SIPI), and on
 * the SIPI starts the vCPU in real mode at vector << 12, as hardware would.
 * Unrestricted guest and EPT make that real-mode start possible. This is how
 * the firmware (and later an OS) restarts APs that are already vCPUs.
 */
#include "handlers.h"
#include "../vmcs.h"
#include "../vmcs_setup.h"
#include "../diag.h"

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
    vmcs_set_guest_init_state(v);
    v->sipi_entry_pending = false;
    /* After INIT all GPRs are 0 except RDX, which holds the processor signature. */
    struct cpuid_regs r;
    cpuid_ex(1, 0, &r);
    u64 *regs = (u64 *)v->regs;
    for (u32 i = 0; i < 16; i++)
        regs[i] = 0;
    v->regs->rdx = r.eax;
}

void handle_sipi(struct vcpu *v)
{
    u64 vector = v->exit_qualification & 0xFF;
    vmcs_write(VMCS_GUEST_CS_SEL, vector << 8);
    vmcs_write(VMCS_GUEST_CS_BASE, vector << 12);
    vmcs_write(VMCS_GUEST_CS_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_CS_AR, 0x9B);
    vmcs_write(VMCS_GUEST_RIP, 0);
    /* A CPU leaving wait-for-SIPI blocks nothing. The exit may have saved
     * blocking bits (Bochs reports SMI/NMI blocking here), which would make
     * the next VM entry fail its guest-state checks (SMI blocking outside SMM). */
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    v->sipi_entry_pending = true;
    v->sipi_cs_base = vector << 12;
}
