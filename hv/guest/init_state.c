#include "init_state.h"
#include "guest.h"
#include "nmi_window.h"
#include "../vmx/vmcs_setup.h"

void vcpu_enter_init_state(struct vcpu *v, u32 activity)
{
    struct cpuid_regs r;
    u64 *regs = (u64 *)v->regs;

    vmcs_set_guest_init_state(activity);
    guest_flush_tlb(v); /* INIT flushes the TLBs */
    /* An NMI that had not reached the guest dies with the INIT: it must not
     * land in the SIPI trampoline later. */
    guest_nmi_discard(v);
    /* After INIT all GPRs are 0 except RDX, which holds the processor signature. */
    cpuid_ex(1, 0, &r);
    for (u32 i = 0; i < 16; i++)
        regs[i] = 0;
    v->regs->rdx = r.eax;
}

void vcpu_start_at_sipi(struct vcpu *v, u32 vector)
{
    vmcs_start_at_sipi_vector(vector);
    v->sipi_entry_pending = true;
    v->sipi_cs_base = (u64)vector << 12;
}
