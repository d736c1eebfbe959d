#include "guest.h"
#include "vmcs.h"
#include "ipi.h"
#include "diag.h"
#include "arch/x86.h"

/* Inlined into both callers: guest_skip_instruction ends most exits, and
 * a call here cost 5 cycles on every one of them (make bench). */
static inline __attribute__((always_inline)) void advance_rip(u64 len)
{
    vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + len);
    u64 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(u64)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void guest_advance_rip(u64 len)
{
    advance_rip(len);
}

void guest_skip_instruction(struct vcpu *v)
{
    (void)v;
    advance_rip(vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}

void guest_inject_exception(u32 vector, bool has_error_code, u32 error_code)
{
    u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    if (has_error_code) {
        info |= INTR_INFO_DELIVER_ERROR_CODE;
        vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error_code);
    }
    vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

void guest_inject_ud(void) { guest_inject_exception(VEC_UD, false, 0); }
void guest_inject_gp0(void) { guest_inject_exception(VEC_GP, true, 0); }

static void deliver_pending_nmi(struct vcpu *v)
{
    if (!v->guest_nmi_pending)
        return;
    /* One event per entry, and not while the guest blocks NMIs: the NMI stays
     * pending for the next exit then. */
    if (vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
        return;
    if (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_MOV_SS))
        return;
    vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | VEC_NMI);
    v->guest_nmi_pending = false;
}

u64 guest_gpr(struct vcpu *v, u32 index)
{
    if (index == 4)
        return vmcs_read(VMCS_GUEST_RSP);
    return ((u64 *)v->regs)[index & 15];
}

void guest_set_gpr(struct vcpu *v, u32 index, u64 value)
{
    if (index == 4)
        vmcs_write(VMCS_GUEST_RSP, value);
    else
        ((u64 *)v->regs)[index & 15] = value;
}

u32 guest_cpl(void)
{
    return (u32)((vmcs_read(VMCS_GUEST_SS_AR) >> 5) & 3);
}

void guest_events_before_entry(struct vcpu *v)
{
    if (v->nmi_in_root) {
        v->nmi_in_root = 0;
        if (!ipi_nmi_was_kick(v))
            v->guest_nmi_pending = true;
    }
    ipi_process_mailbox(v);
    deliver_pending_nmi(v);
}

void guest_flush_tlb(struct vcpu *v)
{
    if (!(hv->proc2_ctls & PROC2_ENABLE_VPID))
        return; /* without VPID every VM entry flushes already */
    struct invvpid_descriptor d = { v->index + 1, 0 };
    if (invvpid(INVVPID_SINGLE_CONTEXT, &d) != VMX_OK)
        vcpu_stop(v, "INVVPID failed");
}
