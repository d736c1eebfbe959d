#include "guest.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../arch/x86.h"

/* Traps and aborts; every other exception vector below 32 is a fault. */
#define NOT_FAULT_VECTORS \
    ((1u << VEC_DB) | (1u << VEC_NMI) | (1u << VEC_BP) | (1u << VEC_OF) | (1u << VEC_DF) | (1u << VEC_MC))

void guest_inject_exception(u32 vector, bool has_error_code, u32 error_code)
{
    u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    /* Real mode pushes no error code, and VM entry refuses one there
     * (unrestricted guest, CR0.PE = 0: SDM 26.2.1.3). */
    if (has_error_code && (vmcs_read(VMCS_GUEST_CR0) & CR0_PE)) {
        info |= INTR_INFO_DELIVER_ERROR_CODE;
        vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error_code);
    }
    /* A CPU delivering a fault pushes RFLAGS with RF set (SDM Vol. 3A
     * 17.3.1.1), so that the restarted instruction's breakpoint does not
     * fire twice. Event injection pushes the RFLAGS field as it is: set RF. */
    if (vector < 32 && !((NOT_FAULT_VECTORS >> vector) & 1))
        vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
    vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

void guest_inject_ud(void) { guest_inject_exception(VEC_UD, false, 0); }
void guest_inject_gp0(void) { guest_inject_exception(VEC_GP, true, 0); }

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

void guest_flush_tlb(struct vcpu *v)
{
    if (!(hv->proc2_ctls & PROC2_ENABLE_VPID))
        return; /* without VPID every VM entry flushes already */
    struct invvpid_descriptor d = { v->index + 1, 0 };
    if (invvpid(INVVPID_SINGLE_CONTEXT, &d) != VMX_OK)
        vcpu_stop(v, "INVVPID failed");
}
