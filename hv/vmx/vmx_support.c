/*
 * VMX availability and capabilities (SDM Vol. 3C 24.6-24.7, Appendix A): the
 * rdmsr half. Which controls exitvisor uses is decided in hv/vmx/vmx_caps.c.
 */
#include "vmx_support.h"
#include "vmx_caps.h"
#include "../arch/msr.h"
#include "../arch/vmcs_fields.h"

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

/* Only the MSRs the SDM says exist on this CPU (Appendix A); the others stay 0.
 * VMFUNC is not read: no choice depends on it. */
static void read_cap_msrs(struct vmx_cap_msrs *m)
{
    *m = (struct vmx_cap_msrs){ 0 };
    m->basic = rdmsr(MSR_IA32_VMX_BASIC);
    m->pinbased = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
    m->procbased = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
    m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
    m->misc = rdmsr(MSR_IA32_VMX_MISC);
    m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    if ((m->basic >> 55) & 1) {
        m->true_pinbased = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
        m->true_procbased = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
        m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
        m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
    }
    if ((vmx_caps_proc_msr(m) >> 32) & PROC_SECONDARY_CONTROLS)
        m->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    if ((m->procbased2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
        m->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

/* The choice itself is hv/vmx/vmx_caps.c (host-tested against every CPU model's
 * MSR values); this copies it into the hypervisor's state. */
const char *vmx_read_capabilities(struct hv_state *h)
{
    struct vmx_cap_msrs m;
    struct vmx_choice c;

    read_cap_msrs(&m);
    const char *why = vmx_choose_controls(&m, h->opt.intercept_init_sipi, &c);
    h->vmcs_revision = c.vmcs_revision;
    h->true_controls = c.true_controls;
    h->has_ept = c.has_ept;
    h->has_ept_1g = c.has_ept_1g;
    h->has_vpid = c.has_vpid;
    h->has_unrestricted = c.has_unrestricted;
    h->has_wait_for_sipi = c.has_wait_for_sipi;
    h->bsp_only_why = c.bsp_only_why;
    h->invept_type = c.invept_type;
    h->has_nmi_window = c.has_nmi_window;
    h->pin_ctls = c.pin;
    h->proc_ctls = c.proc;
    h->proc2_ctls = c.proc2;
    h->exit_ctls = c.exit;
    h->entry_ctls = c.entry;
    h->cr0_fixed0 = c.cr0_fixed0;
    h->cr0_fixed1 = c.cr0_fixed1;
    h->cr4_fixed0 = c.cr4_fixed0;
    h->cr4_fixed1 = c.cr4_fixed1;
    h->cr0_mask = c.cr0_mask;
    h->cr4_mask = c.cr4_mask;
    struct cpuid_regs features;
    cpuid_ex(1, 0, &features);
    h->host_cr0 = vmx_host_cr0(&c);
    h->host_cr4 = vmx_host_cr4(&c, (features.edx & CPUID1_EDX_MCE) != 0, (features.ecx & CPUID1_ECX_XSAVE) != 0);
    return why;
}
