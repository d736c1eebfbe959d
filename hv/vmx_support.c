/*
 * VMX availability and capabilities (SDM Vol. 3C 24.6-24.7, Appendix A).
 * Controls are chosen as "what exitvisor wants" and then forced through the
 * capability MSRs' allowed-0 (must be 1) and allowed-1 (may be 1) settings,
 * using the TRUE_* MSRs when IA32_VMX_BASIC[55] says they exist.
 */
#include "vmx_support.h"
#include "arch/msr.h"
#include "arch/vmcs_fields.h"

const char *vmx_enable_on_this_cpu(void)
{
    struct cpuid_regs r;
    cpuid_ex(1, 0, &r);
    if (!(r.ecx & CPUID1_ECX_VMX))
        return "CPUID.1:ECX.VMX[bit 5] is 0 (this CPU or emulator offers no VMX)";

    u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        /* Firmware left it unlocked: enable VMXON outside SMX and lock, as
         * firmware with VT-x enabled would have done. */
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
        fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    }
    if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
        return "IA32_FEATURE_CONTROL is locked with VMX outside SMX disabled (VT-x is off in the firmware setup)";
    return NULL;
}

/* Allowed-0 settings are the MSR's low half (bits that must be 1), allowed-1
 * its high half (bits that may be 1). */
static u32 adjust(u32 wanted, u32 msr)
{
    u64 caps = rdmsr(msr);
    return (wanted | (u32)caps) & (u32)(caps >> 32);
}

static bool allowed(u32 bits, u32 msr)
{
    return ((u32)(rdmsr(msr) >> 32) & bits) == bits;
}

const char *vmx_read_capabilities(struct hv_state *h)
{
    u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
    h->vmcs_revision = (u32)basic & 0x7FFFFFFF;
    h->true_controls = (basic >> 55) & 1;
    if (((basic >> 50) & 0xF) != 6)
        return "IA32_VMX_BASIC says the VMCS must not be write-back memory";

    u32 pin_msr = h->true_controls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS;
    u32 proc_msr = h->true_controls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS;
    u32 exit_msr = h->true_controls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS;
    u32 entry_msr = h->true_controls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS;

    h->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    h->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    h->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    h->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    h->has_wait_for_sipi = (rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_ACTIVITY_WAIT_SIPI) != 0;

    if (!allowed(PROC_USE_MSR_BITMAPS, proc_msr))
        return "the CPU cannot use MSR bitmaps";
    bool secondary = allowed(PROC_SECONDARY_CONTROLS, proc_msr);
    u32 proc2_caps_hi = secondary ? (u32)(rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) : 0;
    u64 ept_caps = (proc2_caps_hi & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID)) ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    h->has_ept = (proc2_caps_hi & PROC2_ENABLE_EPT) && (ept_caps & EPT_CAP_PAGE_WALK_4) &&
                 (ept_caps & EPT_CAP_MEMTYPE_WB) && (ept_caps & EPT_CAP_2MB_PAGES);
    h->has_ept_1g = (ept_caps & EPT_CAP_1GB_PAGES) != 0;
    /* VPID only with a single-context INVVPID: exitvisor flushes one vCPU's
     * translations when it emulates a paging-mode change for it. */
    h->has_vpid = (proc2_caps_hi & PROC2_ENABLE_VPID) && (ept_caps & VPID_CAP_INVVPID) &&
                  (ept_caps & VPID_CAP_INVVPID_SINGLE_CONTEXT);
    h->has_unrestricted = h->has_ept && (proc2_caps_hi & PROC2_UNRESTRICTED_GUEST);

    /* What exitvisor wants: MSR bitmaps (ordinary MSRs do not exit), I/O
     * bitmaps that catch only the reset and power-off ports (hv/exits/io.c),
     * no HLT, interrupt or exception exiting; EPT + unrestricted guest so APs can
     * be restarted in real mode by INIT-SIPI-SIPI; VPID; the guest keeps
     * RDTSCP, INVPCID and XSAVES when the CPU has them. */
    /* NMIs: with virtual NMIs the CPU tracks the guest's NMI blocking, and
     * NMI-window exiting delivers an NMI that arrived while the guest blocked
     * them as soon as it unblocks (hv/guest_events.c). The three go together
     * (SDM 26.2.1.1). init_sipi=intercept keeps NMI exiting on for its kicks
     * (hv/ipi.c); otherwise NMIs go straight to the guest and the three are
     * turned on only while an NMI that arrived in root mode waits. */
    h->has_nmi_window = allowed(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, pin_msr) &&
                        allowed(PROC_NMI_WINDOW_EXITING, proc_msr);
    u32 want_pin = 0;
    if (h->opt.intercept_init_sipi)
        want_pin = PIN_NMI_EXITING | (h->has_nmi_window ? PIN_VIRTUAL_NMIS : 0);
    h->pin_ctls = adjust(want_pin, pin_msr);
    h->proc_ctls = adjust(PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | (secondary ? PROC_SECONDARY_CONTROLS : 0),
                          proc_msr);
    if (h->proc_ctls & PROC_SECONDARY_CONTROLS) {
        u32 want2 = PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES;
        if (h->has_unrestricted)
            want2 |= PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
        if (h->has_vpid) /* guest TLB entries survive exits: no flush on every VM entry */
            want2 |= PROC2_ENABLE_VPID;
        h->proc2_ctls = adjust(want2, MSR_IA32_VMX_PROCBASED_CTLS2);
    }
    h->exit_ctls = adjust(EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_EFER |
                              EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT,
                          exit_msr);
    h->entry_ctls = adjust(ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT, entry_msr);
    if (!(h->exit_ctls & EXIT_HOST_ADDRESS_SPACE_SIZE))
        return "the CPU cannot return to a 64-bit host";
    if (!(h->exit_ctls & EXIT_LOAD_EFER) || !(h->entry_ctls & ENTRY_LOAD_EFER))
        return "the CPU cannot switch IA32_EFER on VM entry and exit";
    /* The guest's view of CR0/CR4: bits the CPU pins in VMX operation are
     * owned by the hypervisor (guest/host mask) and shown to the guest as it
     * last wrote them (read shadow). PE and PG are free with unrestricted guest. */
    u64 cr0_free = (h->proc2_ctls & PROC2_UNRESTRICTED_GUEST) ? (CR0_PE | CR0_PG) : 0;
    h->cr0_mask = (h->cr0_fixed0 | ~h->cr0_fixed1) & 0xFFFFFFFFull & ~cr0_free;
    h->cr4_mask = ((h->cr4_fixed0 | ~h->cr4_fixed1) & 0xFFFFFFFFull) | CR4_VMXE | CR4_SMXE;
    return NULL;
}
