/*
 * The VMX control selection as a pure function of the capability MSRs, so it
 * can be unit-tested on the host against every CPU model's values
 * (hv/tests/test_vmx_caps.c, hv/tests/data/vmx_caps_models.c).
 * hv/vmx/vmx_support.c reads the MSRs and copies the choice into struct hv_state.
 */
#ifndef EXITVISOR_VMX_CAPS_H
#define EXITVISOR_VMX_CAPS_H
#include "../types.h"

/* The capability MSRs (SDM Vol. 3D Appendix A), 0 where an MSR does not
 * exist on the CPU: the TRUE_* ones unless IA32_VMX_BASIC[55] is 1,
 * PROCBASED_CTLS2 unless secondary controls may be 1, EPT_VPID_CAP unless
 * EPT or VPID may be 1, VMFUNC unless VM functions may be 1. */
struct vmx_cap_msrs {
    u64 basic;                                      /* 0x480 */
    u64 pinbased, procbased, exit, entry;           /* 0x481-0x484 */
    u64 misc;                                       /* 0x485 */
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1; /* 0x486-0x489 */
    u64 procbased2;                                 /* 0x48B */
    u64 ept_vpid_cap;                               /* 0x48C */
    u64 true_pinbased, true_procbased, true_exit, true_entry; /* 0x48D-0x490 */
    u64 vmfunc;                                     /* 0x491: not used, kept for the record */
};

/* What exitvisor does with those MSRs. */
struct vmx_choice {
    /* NULL: VMX can be used; else why not (the "VMX not available: ..." line). */
    const char *refusal;
    /* NULL: the APs are virtualized too; else why only the boot CPU is. */
    const char *bsp_only_why;
    u32 vmcs_revision;
    bool true_controls, has_ept, has_ept_1g, has_vpid, has_unrestricted, has_wait_for_sipi;
    bool has_nmi_window;              /* NMI exiting + virtual NMIs + NMI-window exiting allowed */
    /* The INVEPT type that drops a CPU's old translations before its first
     * VM entry: 2 (all contexts) where the CPU has it, else 1 (single
     * context, this EPTP), 0 when it has neither (then no INVEPT at all:
     * an unsupported type fails the instruction). */
    u32 invept_type;
    u32 pin, proc, proc2, exit, entry; /* the controls, forced through allowed-0/allowed-1 */
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    u64 cr0_mask, cr4_mask;           /* guest/host masks: bits the hypervisor owns */
};

/* The MSR a control field is checked against: the TRUE_* one when
 * IA32_VMX_BASIC[55] says it exists (it may allow more bits to be 0). */
u64 vmx_caps_pin_msr(const struct vmx_cap_msrs *m);
u64 vmx_caps_proc_msr(const struct vmx_cap_msrs *m);
u64 vmx_caps_exit_msr(const struct vmx_cap_msrs *m);
u64 vmx_caps_entry_msr(const struct vmx_cap_msrs *m);

/* Fills *c from *m; intercept_init_sipi is exitvisor's init_sipi=intercept
 * (it keeps NMI exiting on). Returns c->refusal. Every field is filled even
 * when VMX is refused, as far as the MSRs got. */
const char *vmx_choose_controls(const struct vmx_cap_msrs *m, bool intercept_init_sipi, struct vmx_choice *c);

/* The CR0 and CR4 root mode runs with, loaded by every VM exit. Built from
 * what root mode needs, never copied from the firmware: firmware left in
 * 5-level paging (CR4.LA57, while the host tables are 4-level), with CET
 * shadow stacks, protection keys, SMEP or SMAP would make the first VM exit
 * fault in root mode. CR4: PAE (IA-32e host), VMXE, MCE where the CPU has
 * machine checks (with MCE clear a machine check in root mode shuts the CPU
 * down), OSXSAVE where it has XSAVE (root mode executes XSETBV for the
 * guest, hv/exits/xsetbv.c). CR0: protected mode and paging, write-protect,
 * native FPU errors, caches on. Then the fixed-0/fixed-1 bits of *c. */
u64 vmx_host_cr0(const struct vmx_choice *c);
u64 vmx_host_cr4(const struct vmx_choice *c, bool cpu_has_mce, bool cpu_has_xsave);

#endif
