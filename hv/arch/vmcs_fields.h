/*
 * VMCS field encodings and VMX control bits (Intel SDM Vol. 3D Appendix B and
 * Vol. 3C chapter 25), written once. Grouped by width in the SDM's order.
 */
#ifndef EXITVISOR_ARCH_VMCS_FIELDS_H
#define EXITVISOR_ARCH_VMCS_FIELDS_H

/* 16-bit control, guest-state and host-state fields. */
#define VMCS_VPID                       0x0000u
#define VMCS_GUEST_ES_SEL               0x0800u
#define VMCS_GUEST_CS_SEL               0x0802u
#define VMCS_GUEST_SS_SEL               0x0804u
#define VMCS_GUEST_DS_SEL               0x0806u
#define VMCS_GUEST_FS_SEL               0x0808u
#define VMCS_GUEST_GS_SEL               0x080Au
#define VMCS_GUEST_LDTR_SEL             0x080Cu
#define VMCS_GUEST_TR_SEL               0x080Eu
#define VMCS_HOST_ES_SEL                0x0C00u
#define VMCS_HOST_CS_SEL                0x0C02u
#define VMCS_HOST_SS_SEL                0x0C04u
#define VMCS_HOST_DS_SEL                0x0C06u
#define VMCS_HOST_FS_SEL                0x0C08u
#define VMCS_HOST_GS_SEL                0x0C0Au
#define VMCS_HOST_TR_SEL                0x0C0Cu

/* 64-bit control fields. */
#define VMCS_IO_BITMAP_A                0x2000u
#define VMCS_IO_BITMAP_B                0x2002u
#define VMCS_MSR_BITMAP                 0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR        0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR         0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR        0x200Au
#define VMCS_TSC_OFFSET                 0x2010u
#define VMCS_EPT_POINTER                0x201Au
#define VMCS_XSS_EXITING_BITMAP         0x202Cu
/* 64-bit read-only data field. */
#define VMCS_GUEST_PHYSICAL_ADDRESS     0x2400u
/* 64-bit guest-state fields. */
#define VMCS_LINK_POINTER               0x2800u
#define VMCS_GUEST_DEBUGCTL             0x2802u
#define VMCS_GUEST_PAT                  0x2804u
#define VMCS_GUEST_EFER                 0x2806u
#define VMCS_GUEST_PDPTE0               0x280Au
/* 64-bit host-state fields. */
#define VMCS_HOST_PAT                   0x2C00u
#define VMCS_HOST_EFER                  0x2C02u

/* 32-bit control fields. */
#define VMCS_PIN_CONTROLS               0x4000u
#define VMCS_PROC_CONTROLS              0x4002u
#define VMCS_EXCEPTION_BITMAP           0x4004u
#define VMCS_PF_ERROR_MASK              0x4006u
#define VMCS_PF_ERROR_MATCH             0x4008u
#define VMCS_CR3_TARGET_COUNT           0x400Au
#define VMCS_EXIT_CONTROLS              0x400Cu
#define VMCS_EXIT_MSR_STORE_COUNT       0x400Eu
#define VMCS_EXIT_MSR_LOAD_COUNT        0x4010u
#define VMCS_ENTRY_CONTROLS             0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT       0x4014u
#define VMCS_ENTRY_INTR_INFO            0x4016u
#define VMCS_ENTRY_EXCEPTION_ERROR      0x4018u
#define VMCS_ENTRY_INSTRUCTION_LEN      0x401Au
#define VMCS_TPR_THRESHOLD              0x401Cu
#define VMCS_PROC2_CONTROLS             0x401Eu
/* 32-bit read-only data fields. */
#define VMCS_VM_INSTRUCTION_ERROR       0x4400u
#define VMCS_EXIT_REASON                0x4402u
#define VMCS_EXIT_INTR_INFO             0x4404u
#define VMCS_EXIT_INTR_ERROR            0x4406u
#define VMCS_IDT_VECTORING_INFO         0x4408u
#define VMCS_IDT_VECTORING_ERROR        0x440Au
#define VMCS_EXIT_INSTRUCTION_LEN       0x440Cu
#define VMCS_EXIT_INSTRUCTION_INFO      0x440Eu
/* 32-bit guest-state fields. */
#define VMCS_GUEST_ES_LIMIT             0x4800u
#define VMCS_GUEST_CS_LIMIT             0x4802u
#define VMCS_GUEST_SS_LIMIT             0x4804u
#define VMCS_GUEST_DS_LIMIT             0x4806u
#define VMCS_GUEST_FS_LIMIT             0x4808u
#define VMCS_GUEST_GS_LIMIT             0x480Au
#define VMCS_GUEST_LDTR_LIMIT           0x480Cu
#define VMCS_GUEST_TR_LIMIT             0x480Eu
#define VMCS_GUEST_GDTR_LIMIT           0x4810u
#define VMCS_GUEST_IDTR_LIMIT           0x4812u
#define VMCS_GUEST_ES_AR                0x4814u
#define VMCS_GUEST_CS_AR                0x4816u
#define VMCS_GUEST_SS_AR                0x4818u
#define VMCS_GUEST_DS_AR                0x481Au
#define VMCS_GUEST_FS_AR                0x481Cu
#define VMCS_GUEST_GS_AR                0x481Eu
#define VMCS_GUEST_LDTR_AR              0x4820u
#define VMCS_GUEST_TR_AR                0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY     0x4824u
#define VMCS_GUEST_ACTIVITY_STATE       0x4826u
#define VMCS_GUEST_SYSENTER_CS          0x482Au
/* 32-bit host-state field. */
#define VMCS_HOST_SYSENTER_CS           0x4C00u

/* Natural-width control fields. */
#define VMCS_CR0_GUEST_HOST_MASK        0x6000u
#define VMCS_CR4_GUEST_HOST_MASK        0x6002u
#define VMCS_CR0_READ_SHADOW            0x6004u
#define VMCS_CR4_READ_SHADOW            0x6006u
/* Natural-width read-only data fields. */
#define VMCS_EXIT_QUALIFICATION         0x6400u
#define VMCS_GUEST_LINEAR_ADDRESS       0x640Au
/* Natural-width guest-state fields. */
#define VMCS_GUEST_CR0                  0x6800u
#define VMCS_GUEST_CR3                  0x6802u
#define VMCS_GUEST_CR4                  0x6804u
#define VMCS_GUEST_ES_BASE              0x6806u
#define VMCS_GUEST_CS_BASE              0x6808u
#define VMCS_GUEST_SS_BASE              0x680Au
#define VMCS_GUEST_DS_BASE              0x680Cu
#define VMCS_GUEST_FS_BASE              0x680Eu
#define VMCS_GUEST_GS_BASE              0x6810u
#define VMCS_GUEST_LDTR_BASE            0x6812u
#define VMCS_GUEST_TR_BASE              0x6814u
#define VMCS_GUEST_GDTR_BASE            0x6816u
#define VMCS_GUEST_IDTR_BASE            0x6818u
#define VMCS_GUEST_DR7                  0x681Au
#define VMCS_GUEST_RSP                  0x681Cu
#define VMCS_GUEST_RIP                  0x681Eu
#define VMCS_GUEST_RFLAGS               0x6820u
#define VMCS_GUEST_PENDING_DBG          0x6822u
#define VMCS_GUEST_SYSENTER_ESP         0x6824u
#define VMCS_GUEST_SYSENTER_EIP         0x6826u
/* Natural-width host-state fields. */
#define VMCS_HOST_CR0                   0x6C00u
#define VMCS_HOST_CR3                   0x6C02u
#define VMCS_HOST_CR4                   0x6C04u
#define VMCS_HOST_FS_BASE               0x6C06u
#define VMCS_HOST_GS_BASE               0x6C08u
#define VMCS_HOST_TR_BASE               0x6C0Au
#define VMCS_HOST_GDTR_BASE             0x6C0Cu
#define VMCS_HOST_IDTR_BASE             0x6C0Eu
#define VMCS_HOST_SYSENTER_ESP          0x6C10u
#define VMCS_HOST_SYSENTER_EIP          0x6C12u
#define VMCS_HOST_RSP                   0x6C14u
#define VMCS_HOST_RIP                   0x6C16u

/* Pin-based VM-execution controls (SDM 25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING  (1u << 0)
#define PIN_NMI_EXITING                 (1u << 3)
#define PIN_VIRTUAL_NMIS                (1u << 5)
#define PIN_PREEMPTION_TIMER            (1u << 6)
#define PIN_POSTED_INTERRUPTS           (1u << 7)

/* Primary processor-based VM-execution controls (SDM 25.6.2). */
#define PROC_INTERRUPT_WINDOW_EXITING   (1u << 2)
#define PROC_USE_TSC_OFFSETTING         (1u << 3)
#define PROC_HLT_EXITING                (1u << 7)
#define PROC_INVLPG_EXITING             (1u << 9)
#define PROC_MWAIT_EXITING              (1u << 10)
#define PROC_RDPMC_EXITING              (1u << 11)
#define PROC_RDTSC_EXITING              (1u << 12)
#define PROC_CR3_LOAD_EXITING           (1u << 15)
#define PROC_CR3_STORE_EXITING          (1u << 16)
#define PROC_TERTIARY_CONTROLS          (1u << 17)
#define PROC_CR8_LOAD_EXITING           (1u << 19)
#define PROC_CR8_STORE_EXITING          (1u << 20)
#define PROC_USE_TPR_SHADOW             (1u << 21)
#define PROC_NMI_WINDOW_EXITING         (1u << 22)
#define PROC_MOV_DR_EXITING             (1u << 23)
#define PROC_UNCONDITIONAL_IO_EXITING   (1u << 24)
#define PROC_USE_IO_BITMAPS             (1u << 25)
#define PROC_MONITOR_TRAP_FLAG          (1u << 27)
#define PROC_USE_MSR_BITMAPS            (1u << 28)
#define PROC_MONITOR_EXITING            (1u << 29)
#define PROC_PAUSE_EXITING              (1u << 30)
#define PROC_SECONDARY_CONTROLS         (1u << 31)

/* Secondary processor-based VM-execution controls (SDM 25.6.2). */
#define PROC2_VIRTUALIZE_APIC_ACCESSES  (1u << 0)
#define PROC2_ENABLE_EPT                (1u << 1)
#define PROC2_DESCRIPTOR_TABLE_EXITING  (1u << 2)
#define PROC2_ENABLE_RDTSCP             (1u << 3)
#define PROC2_VIRTUALIZE_X2APIC         (1u << 4)
#define PROC2_ENABLE_VPID               (1u << 5)
#define PROC2_WBINVD_EXITING            (1u << 6)
#define PROC2_UNRESTRICTED_GUEST        (1u << 7)
#define PROC2_APIC_REGISTER_VIRT        (1u << 8)
#define PROC2_VIRTUAL_INTR_DELIVERY     (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING        (1u << 10)
#define PROC2_RDRAND_EXITING            (1u << 11)
#define PROC2_ENABLE_INVPCID            (1u << 12)
#define PROC2_ENABLE_VMFUNC             (1u << 13)
#define PROC2_VMCS_SHADOWING            (1u << 14)
#define PROC2_ENCLS_EXITING             (1u << 15)
#define PROC2_RDSEED_EXITING            (1u << 16)
#define PROC2_ENABLE_PML                (1u << 17)
#define PROC2_EPT_VIOLATION_VE          (1u << 18)
#define PROC2_ENABLE_XSAVES             (1u << 20)
#define PROC2_PASID_TRANSLATION         (1u << 21)
#define PROC2_SUBPAGE_WRITE             (1u << 23)
#define PROC2_USER_WAIT_PAUSE           (1u << 26)
#define PROC2_ENABLE_PCONFIG            (1u << 27)
#define PROC2_ENCLV_EXITING             (1u << 28)
#define PROC2_BUS_LOCK_DETECTION        (1u << 30)
#define PROC2_INSTRUCTION_TIMEOUT       (1u << 31)

/* VM-exit controls (SDM 25.7.1). */
#define EXIT_SAVE_DEBUG_CONTROLS        (1u << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE    (1u << 9)
#define EXIT_ACK_INTERRUPT_ON_EXIT      (1u << 15)
#define EXIT_SAVE_PAT                   (1u << 18)
#define EXIT_LOAD_PAT                   (1u << 19)
#define EXIT_SAVE_EFER                  (1u << 20)
#define EXIT_LOAD_EFER                  (1u << 21)

/* VM-entry controls (SDM 25.8.1). */
#define ENTRY_LOAD_DEBUG_CONTROLS       (1u << 2)
#define ENTRY_IA32E_MODE_GUEST          (1u << 9)
#define ENTRY_LOAD_PAT                  (1u << 14)
#define ENTRY_LOAD_EFER                 (1u << 15)

/* Guest activity states (SDM 25.4.2). */
#define ACTIVITY_ACTIVE                 0u
#define ACTIVITY_HLT                    1u
#define ACTIVITY_SHUTDOWN               2u
#define ACTIVITY_WAIT_FOR_SIPI          3u

/* Guest interruptibility state bits. */
#define INTERRUPTIBILITY_STI            (1u << 0)
#define INTERRUPTIBILITY_MOV_SS         (1u << 1)
#define INTERRUPTIBILITY_NMI            (1u << 3)

/* VM-entry interruption-information field (SDM 25.8.3). */
#define INTR_INFO_VALID                 (1u << 31)
#define INTR_INFO_DELIVER_ERROR_CODE    (1u << 11)
#define INTR_TYPE_EXTERNAL              (0u << 8)
#define INTR_TYPE_NMI                   (2u << 8)
#define INTR_TYPE_HW_EXCEPTION          (3u << 8)

/* Segment access-rights format in the VMCS. */
#define SEG_AR_UNUSABLE                 (1u << 16)

/* IA32_VMX_MISC bits. */
#define VMX_MISC_ACTIVITY_HLT           (1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN      (1ull << 7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI     (1ull << 8)

/* IA32_VMX_EPT_VPID_CAP bits. */
#define EPT_CAP_PAGE_WALK_4             (1ull << 6)
#define EPT_CAP_MEMTYPE_WB              (1ull << 14)
#define EPT_CAP_2MB_PAGES               (1ull << 16)
#define EPT_CAP_1GB_PAGES               (1ull << 17)
#define EPT_CAP_INVEPT                  (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE_CONTEXT   (1ull << 25)
#define EPT_CAP_INVEPT_ALL_CONTEXT      (1ull << 26)
#define VPID_CAP_INVVPID                (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE_CONTEXT (1ull << 41)
#define VPID_CAP_INVVPID_ALL_CONTEXT    (1ull << 42)

#endif
