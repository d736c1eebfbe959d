/*
 * INIT and SIPI exits: a real INIT or SIPI reached a vCPU. With
 * init_sipi=native that is how every INIT-SIPI-SIPI sequence arrives, as on
 * hardware and under KVM: the INIT exit puts the vCPU in the wait-for-SIPI
 * activity state (it costs nothing while it waits), the SIPI exit starts it
 * in real mode at vector << 12 (unrestricted guest and EPT make that
 * possible). An INIT on the boot CPU is a platform reset (CF9, port 92h and
 * keyboard-controller resets reach CPUs as INIT). With
 * init_sipi=intercept, INIT/SIPI between vCPUs never arrive here (hv/guest/ipi.c)
 * and a real INIT is handled as the virtual one is.
 */
#include "handlers.h"
#include "../guest/init_state.h"
#include "../platform/platform.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../platform/log.h"

void handle_init_signal(struct vcpu *v)
{
    if (v->is_bsp) {
        log_exit(v, "INIT on the boot CPU");
        platform_reset(v, "after an INIT to the boot CPU (a soft reset)");
    }
    if (v->sipi_entry_pending && vmcs_read(VMCS_GUEST_RIP) == 0 &&
        vmcs_read(VMCS_GUEST_CS_BASE) == v->sipi_cs_base) {
        /* An INIT before the vCPU ran a single instruction since its SIPI:
         * the INIT that was already handled is being delivered again. Bochs
         * 2.7 does this (it never clears a pending INIT after an INIT VM
         * exit), and the vCPU could then never run again. Say so, with the
         * counts so far. */
        log_exit(v, "INIT");
        print_exit_table(v);
        vcpu_stop(v, "the same INIT arrived again at the SIPI entry point: this CPU keeps INIT pending across "
                     "the INIT VM exit (Bochs 2.7), so the vCPU cannot be restarted as a guest; use "
                     "init_sipi=intercept");
    }
    if (!hv->has_wait_for_sipi || !(hv->proc2_ctls & PROC2_UNRESTRICTED_GUEST)) {
        log_exit(v, "INIT");
        vcpu_stop(v, "INIT received, but this CPU cannot wait for SIPI or run real mode as a guest");
    }
    v->sipi_entry_pending = false;
    if (hv->opt.intercept_init_sipi) {
        /* SIPIs to vCPUs are delivered virtually in this mode: wait for one. */
        vcpu_enter_init_state(v, ACTIVITY_HLT);
        v->waiting_for_sipi = true;
        return;
    }
    vcpu_enter_init_state(v, ACTIVITY_WAIT_FOR_SIPI);
}

void handle_sipi(struct vcpu *v)
{
    vcpu_start_at_sipi(v, (u32)vmcs_read(VMCS_EXIT_QUALIFICATION) & 0xFF);
}
