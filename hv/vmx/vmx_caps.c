/*
 * VMX control selection (SDM Vol. 3C 24.6-24.7, 25.2, Appendix A). Controls
 * are chosen as "what exitvisor wants" and then forced through the capability
 * MSRs' allowed-0 (must be 1) and allowed-1 (may be 1) settings, using the
 * TRUE_* MSRs when IA32_VMX_BASIC[55] says they exist. No MSR is read here:
 * hv/vmx/vmx_support.c does that, so the host tests can feed any CPU's values.
 */
#include "vmx_caps.h"
#include "../arch/vmcs_fields.h"
#include "../arch/x86_defs.h"

#define VMX_BASIC_TRUE_CONTROLS (1ull << 55)

static bool has_true_controls(const struct vmx_cap_msrs *m)
{
    return (m->basic & VMX_BASIC_TRUE_CONTROLS) != 0;
}

u64 vmx_caps_pin_msr(const struct vmx_cap_msrs *m) { return has_true_controls(m) ? m->true_pinbased : m->pinbased; }
u64 vmx_caps_proc_msr(const struct vmx_cap_msrs *m) { return has_true_controls(m) ? m->true_procbased : m->procbased; }
u64 vmx_caps_exit_msr(const struct vmx_cap_msrs *m) { return has_true_controls(m) ? m->true_exit : m->exit; }
u64 vmx_caps_entry_msr(const struct vmx_cap_msrs *m) { return has_true_controls(m) ? m->true_entry : m->entry; }

/* Allowed-0 settings are the MSR's low half (bits that must be 1), allowed-1
 * its high half (bits that may be 1). */
static u32 adjust(u32 wanted, u64 caps)
{
    return (wanted | (u32)caps) & (u32)(caps >> 32);
}

static bool allowed(u32 bits, u64 caps)
{
    return ((u32)(caps >> 32) & bits) == bits;
}

/* EPT, VPID, unrestricted guest: what the CPU offers and exitvisor can use. */
static void choose_features(const struct vmx_cap_msrs *m, bool secondary, struct vmx_choice *c)
{
    u32 proc2_caps_hi = secondary ? (u32)(m->procbased2 >> 32) : 0;
    u64 ept_caps = (proc2_caps_hi & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID)) ? m->ept_vpid_cap : 0;

    c->has_ept = (proc2_caps_hi & PROC2_ENABLE_EPT) && (ept_caps & EPT_CAP_PAGE_WALK_4) &&
                 (ept_caps & EPT_CAP_MEMTYPE_WB) && (ept_caps & EPT_CAP_2MB_PAGES);
    c->has_ept_1g = (ept_caps & EPT_CAP_1GB_PAGES) != 0;
    /* VPID only with a single-context INVVPID: exitvisor flushes one vCPU's
     * translations when it emulates a paging-mode change for it. */
    c->has_vpid = (proc2_caps_hi & PROC2_ENABLE_VPID) && (ept_caps & VPID_CAP_INVVPID) &&
                  (ept_caps & VPID_CAP_INVVPID_SINGLE_CONTEXT);
    c->has_unrestricted = c->has_ept && (proc2_caps_hi & PROC2_UNRESTRICTED_GUEST);
    c->invept_type = !(ept_caps & EPT_CAP_INVEPT)                 ? 0
                     : (ept_caps & EPT_CAP_INVEPT_ALL_CONTEXT)    ? 2
                     : (ept_caps & EPT_CAP_INVEPT_SINGLE_CONTEXT) ? 1
                                                                  : 0;
}

/* What exitvisor wants: MSR bitmaps (ordinary MSRs do not exit), I/O bitmaps
 * that catch only the reset and power-off ports (hv/exits/io.c), no HLT,
 * interrupt or exception exiting; EPT + unrestricted guest so APs can be
 * restarted in real mode by INIT-SIPI-SIPI; VPID; the guest keeps RDTSCP,
 * INVPCID and XSAVES when the CPU has them.
 * NMIs: with virtual NMIs the CPU tracks the guest's NMI blocking, and
 * NMI-window exiting delivers an NMI that arrived while the guest blocked them
 * as soon as it unblocks (hv/guest/guest_events.c). The three go together (SDM
 * 26.2.1.1). init_sipi=intercept keeps NMI exiting on for its kicks
 * (hv/guest/ipi.c); otherwise NMIs go straight to the guest and the three are
 * turned on only while an NMI that arrived in root mode waits. */
static void choose_controls(const struct vmx_cap_msrs *m, bool secondary, bool intercept_init_sipi,
                            struct vmx_choice *c)
{
    u64 pin_msr = vmx_caps_pin_msr(m), proc_msr = vmx_caps_proc_msr(m);

    c->has_nmi_window = allowed(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, pin_msr) &&
                        allowed(PROC_NMI_WINDOW_EXITING, proc_msr);
    u32 want_pin = 0;
    if (intercept_init_sipi)
        want_pin = PIN_NMI_EXITING | (c->has_nmi_window ? PIN_VIRTUAL_NMIS : 0);
    c->pin = adjust(want_pin, pin_msr);
    c->proc = adjust(PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | (secondary ? PROC_SECONDARY_CONTROLS : 0),
                     proc_msr);
    c->proc2 = 0;
    if (c->proc & PROC_SECONDARY_CONTROLS) {
        u32 want2 = PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES;
        if (c->has_unrestricted)
            want2 |= PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
        if (c->has_vpid) /* guest TLB entries survive exits: no flush on every VM entry */
            want2 |= PROC2_ENABLE_VPID;
        c->proc2 = adjust(want2, m->procbased2);
    }
    c->exit = adjust(EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
                         EXIT_SAVE_PAT | EXIT_LOAD_PAT,
                     vmx_caps_exit_msr(m));
    c->entry = adjust(ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT, vmx_caps_entry_msr(m));
}

/* The guest's view of CR0/CR4: bits the CPU pins in VMX operation are owned
 * by the hypervisor (guest/host mask) and shown to the guest as it last wrote
 * them (read shadow). PE and PG are free with unrestricted guest. */
static void choose_cr_masks(struct vmx_choice *c)
{
    u64 cr0_free = (c->proc2 & PROC2_UNRESTRICTED_GUEST) ? (CR0_PE | CR0_PG) : 0;
    c->cr0_mask = (c->cr0_fixed0 | ~c->cr0_fixed1) & 0xFFFFFFFFull & ~cr0_free;
    c->cr4_mask = ((c->cr4_fixed0 | ~c->cr4_fixed1) & 0xFFFFFFFFull) | CR4_VMXE | CR4_SMXE;
}

/* An AP is restarted by INIT-SIPI-SIPI in real mode: its vCPU must be able
 * to wait for the SIPI (activity state 3) and then run real-mode code. */
static const char *why_bsp_only(const struct vmx_choice *c)
{
    if (!c->has_wait_for_sipi)
        return "the CPU has no wait-for-SIPI activity state (IA32_VMX_MISC[8] is 0)";
    if (!(c->proc2 & PROC2_UNRESTRICTED_GUEST))
        return "the CPU has no unrestricted guest (with EPT), so a vCPU cannot run an AP's real-mode start";
    return NULL;
}

static const char *refuse(struct vmx_choice *c, const char *why)
{
    c->refusal = why;
    return why;
}

const char *vmx_choose_controls(const struct vmx_cap_msrs *m, bool intercept_init_sipi, struct vmx_choice *c)
{
    *c = (struct vmx_choice){ 0 };
    c->vmcs_revision = (u32)m->basic & 0x7FFFFFFF;
    c->true_controls = has_true_controls(m);
    if (((m->basic >> 50) & 0xF) != 6)
        return refuse(c, "IA32_VMX_BASIC says the VMCS must not be write-back memory");

    c->cr0_fixed0 = m->cr0_fixed0;
    c->cr0_fixed1 = m->cr0_fixed1;
    c->cr4_fixed0 = m->cr4_fixed0;
    c->cr4_fixed1 = m->cr4_fixed1;
    c->has_wait_for_sipi = (m->misc & VMX_MISC_ACTIVITY_WAIT_SIPI) != 0;

    if (!allowed(PROC_USE_MSR_BITMAPS, vmx_caps_proc_msr(m)))
        return refuse(c, "the CPU cannot use MSR bitmaps");
    bool secondary = allowed(PROC_SECONDARY_CONTROLS, vmx_caps_proc_msr(m));
    choose_features(m, secondary, c);
    choose_controls(m, secondary, intercept_init_sipi, c);
    if (!(c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE))
        return refuse(c, "the CPU cannot return to a 64-bit host");
    if (!(c->exit & EXIT_LOAD_EFER) || !(c->entry & ENTRY_LOAD_EFER))
        return refuse(c, "the CPU cannot switch IA32_EFER on VM entry and exit");
    choose_cr_masks(c);
    c->bsp_only_why = why_bsp_only(c);
    return NULL;
}

u64 vmx_host_cr0(const struct vmx_choice *c)
{
    u64 want = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    return (want | c->cr0_fixed0) & c->cr0_fixed1 & ~(CR0_CD | CR0_NW);
}

u64 vmx_host_cr4(const struct vmx_choice *c, bool cpu_has_mce, bool cpu_has_xsave)
{
    u64 want = CR4_PAE | CR4_VMXE | (cpu_has_mce ? CR4_MCE : 0) | (cpu_has_xsave ? CR4_OSXSAVE : 0);
    return (want | c->cr4_fixed0) & c->cr4_fixed1;
}
