/*
 * Control-register accesses. Only bits in the CR0/CR4 guest/host masks exit:
 * the bits VMX operation pins (CR0.NE, CR4.VMXE...) plus CR4.SMXE. The guest
 * keeps its own view of those bits in the read shadow; the real register
 * keeps the pinned values. Qualification layout: SDM Vol. 3C Table 28-3.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../arch/msr.h"

#define CR_ACCESS_MOV_TO 0
#define CR_ACCESS_MOV_FROM 1
#define CR_ACCESS_CLTS 2
#define CR_ACCESS_LMSW 3

/* The value the CPU really runs with for a guest-requested CR0. */
static u64 cr0_effective(u64 requested)
{
    u64 fixed0 = hv->cr0_fixed0;
    if (hv->proc2_ctls & PROC2_UNRESTRICTED_GUEST)
        fixed0 &= ~(CR0_PE | CR0_PG);
    return (requested | fixed0) & hv->cr0_fixed1;
}

/* What the guest sees in a control register: the read shadow for the bits
 * exitvisor owns (guest/host mask), the real register for all others,
 * which the guest changes without exiting. */
static u64 guest_view(u32 real_field, u32 shadow_field, u64 mask)
{
    return (vmcs_read(real_field) & ~mask) | (vmcs_read(shadow_field) & mask);
}

static u64 guest_cr0(void) { return guest_view(VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW, hv->cr0_mask); }
static u64 guest_cr4(void) { return guest_view(VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW, hv->cr4_mask); }

static bool guest_write_cr0(u64 value)
{
    u64 old = guest_cr0();
    u64 efer = vmcs_read(VMCS_GUEST_EFER);

    /* Checks MOV to CR0 makes before anything changes (SDM Vol. 2B MOV). */
    if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) || ((value & CR0_NW) && !(value & CR0_CD)))
        return false;
    if ((value & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
        if (!(guest_cr4() & CR4_PAE))
            return false;
        /* Paging on with LME: the guest enters IA-32e mode. */
        vmcs_write(VMCS_GUEST_EFER, efer | EFER_LMA);
        vmcs_write(VMCS_ENTRY_CONTROLS, vmcs_read(VMCS_ENTRY_CONTROLS) | ENTRY_IA32E_MODE_GUEST);
    } else if (!(value & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
        vmcs_write(VMCS_GUEST_EFER, efer & ~EFER_LMA);
        vmcs_write(VMCS_ENTRY_CONTROLS, vmcs_read(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);
    }
    vmcs_write(VMCS_CR0_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR0, cr0_effective(value));
    return true;
}

static bool guest_write_cr4(u64 value)
{
    /* VMXE and SMXE are reserved as far as the guest knows (CPUID hides VMX
     * and SMX); other bits the CPU cannot hold in VMX operation likewise. */
    u64 forbidden = CR4_VMXE | CR4_SMXE | ~hv->cr4_fixed1;
    if (value & forbidden)
        return false;
    vmcs_write(VMCS_CR4_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR4, value | hv->cr4_fixed0);
    return true;
}

void handle_cr_access(struct vcpu *v)
{
    u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
    u32 cr = q & 0xF, type = (q >> 4) & 3, gpr = (q >> 8) & 0xF;
    bool ok = true;

    switch (type) {
    case CR_ACCESS_MOV_TO:
        if (cr == 0)
            ok = guest_write_cr0(guest_gpr(v, gpr));
        else if (cr == 4)
            ok = guest_write_cr4(guest_gpr(v, gpr));
        else if (cr == 3)
            vmcs_write(VMCS_GUEST_CR3, guest_gpr(v, gpr));
        else
            vcpu_stop(v, "MOV to a control register exitvisor does not intercept");
        break;
    case CR_ACCESS_MOV_FROM:
        if (cr == 3)
            guest_set_gpr(v, gpr, vmcs_read(VMCS_GUEST_CR3));
        else
            vcpu_stop(v, "MOV from a control register exitvisor does not intercept");
        break;
    case CR_ACCESS_CLTS:
        ok = guest_write_cr0(guest_cr0() & ~(1ull << 3));
        break;
    case CR_ACCESS_LMSW: {
        /* LMSW writes CR0[3:0] but can set PE, never clear it. */
        u64 old = guest_cr0();
        u64 src = (q >> 16) & 0xF;
        ok = guest_write_cr0((old & ~0xEull) | (src & 0xE) | ((old | src) & CR0_PE));
        break;
    }
    }
    if (!ok) {
        guest_inject_gp0();
        return;
    }
    /* The hardware flushes on the paging-mode changes these writes can make;
     * an emulated write has to do it itself. */
    if (type != CR_ACCESS_MOV_FROM)
        guest_flush_tlb(v);
    guest_skip_instruction(v);
}
