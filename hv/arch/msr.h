/* Model-specific register numbers used by exitvisor (Intel SDM Vol. 4), written once. */
#ifndef EXITVISOR_ARCH_MSR_H
#define EXITVISOR_ARCH_MSR_H

#define MSR_IA32_FEATURE_CONTROL        0x03Au
#define   FEATURE_CONTROL_LOCK          (1ull << 0)
#define   FEATURE_CONTROL_VMX_IN_SMX    (1ull << 1)
#define   FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define MSR_IA32_APIC_BASE              0x01Bu
#define   APIC_BASE_BSP                 (1ull << 8)
#define   APIC_BASE_X2APIC              (1ull << 10)
#define MSR_IA32_BIOS_UPDT_TRIG         0x079u
#define MSR_IA32_BIOS_SIGN_ID           0x08Bu
#define MSR_IA32_MTRRCAP                0x0FEu
#define MSR_IA32_MCG_CAP                0x179u
#define MSR_IA32_MCG_STATUS             0x17Au
#define MSR_IA32_SYSENTER_CS            0x174u
#define MSR_IA32_SYSENTER_ESP           0x175u
#define MSR_IA32_SYSENTER_EIP           0x176u
#define MSR_IA32_DEBUGCTL               0x1D9u
#define MSR_IA32_MTRR_PHYSBASE0         0x200u  /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_IA32_MTRR_FIX64K_00000      0x250u
#define MSR_IA32_MTRR_FIX16K_80000      0x258u
#define MSR_IA32_MTRR_FIX16K_A0000      0x259u
#define MSR_IA32_MTRR_FIX4K_C0000       0x268u  /* ... through 0x26F (F8000) */
#define MSR_IA32_MTRR_FIX4K_F8000       0x26Fu
#define MSR_IA32_PAT                    0x277u
#define MSR_X2APIC_ICR                  0x830u
#define MSR_IA32_MTRR_DEF_TYPE          0x2FFu

/* VMX capability MSRs (SDM Vol. 3D Appendix A). */
#define MSR_IA32_VMX_BASIC              0x480u
#define MSR_IA32_VMX_PINBASED_CTLS      0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482u
#define MSR_IA32_VMX_EXIT_CTLS          0x483u
#define MSR_IA32_VMX_ENTRY_CTLS         0x484u
#define MSR_IA32_VMX_MISC               0x485u
#define MSR_IA32_VMX_CR0_FIXED0         0x486u
#define MSR_IA32_VMX_CR0_FIXED1         0x487u
#define MSR_IA32_VMX_CR4_FIXED0         0x488u
#define MSR_IA32_VMX_CR4_FIXED1         0x489u
#define MSR_IA32_VMX_VMCS_ENUM          0x48Au
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490u
#define MSR_IA32_VMX_VMFUNC             0x491u
#define MSR_IA32_VMX_FIRST              MSR_IA32_VMX_BASIC
#define MSR_IA32_VMX_LAST               0x492u  /* PROCBASED_CTLS3 on newer CPUs */

#define MSR_IA32_EFER                   0xC0000080u
#define   EFER_SCE                      (1ull << 0)
#define   EFER_LME                      (1ull << 8)
#define   EFER_LMA                      (1ull << 10)
#define   EFER_NXE                      (1ull << 11)
#define MSR_IA32_FS_BASE                0xC0000100u
#define MSR_IA32_GS_BASE                0xC0000101u
#define MSR_IA32_KERNEL_GS_BASE         0xC0000102u

#endif
