/*
 * Basic VM-exit reasons: numbers and names, written once.
 *
 * Source: Intel SDM Vol. 3C, Appendix C "VMX Basic Exit Reasons", Table C-1
 * (revision 083, December 2023), plus 78/79 (RDMSRLIST/WRMSRLIST) from the
 * Instruction Set Extensions reference that later SDM revisions fold in.
 * Numbers 35, 38, 42 and 71 are not defined by the SDM.
 *
 * X(number, identifier, "SDM name")
 */
#ifndef EXITVISOR_ARCH_EXIT_REASONS_H
#define EXITVISOR_ARCH_EXIT_REASONS_H

#define EXIT_REASON_LIST(X)                                                    \
    X(0, EXCEPTION_NMI, "Exception or non-maskable interrupt (NMI)")           \
    X(1, EXTERNAL_INTERRUPT, "External interrupt")                             \
    X(2, TRIPLE_FAULT, "Triple fault")                                         \
    X(3, INIT_SIGNAL, "INIT signal")                                           \
    X(4, SIPI, "Start-up IPI (SIPI)")                                          \
    X(5, IO_SMI, "I/O system-management interrupt (SMI)")                      \
    X(6, OTHER_SMI, "Other SMI")                                               \
    X(7, INTERRUPT_WINDOW, "Interrupt window")                                 \
    X(8, NMI_WINDOW, "NMI window")                                             \
    X(9, TASK_SWITCH, "Task switch")                                           \
    X(10, CPUID, "CPUID")                                                      \
    X(11, GETSEC, "GETSEC")                                                    \
    X(12, HLT, "HLT")                                                          \
    X(13, INVD, "INVD")                                                        \
    X(14, INVLPG, "INVLPG")                                                    \
    X(15, RDPMC, "RDPMC")                                                      \
    X(16, RDTSC, "RDTSC")                                                      \
    X(17, RSM, "RSM")                                                          \
    X(18, VMCALL, "VMCALL")                                                    \
    X(19, VMCLEAR, "VMCLEAR")                                                  \
    X(20, VMLAUNCH, "VMLAUNCH")                                                \
    X(21, VMPTRLD, "VMPTRLD")                                                  \
    X(22, VMPTRST, "VMPTRST")                                                  \
    X(23, VMREAD, "VMREAD")                                                    \
    X(24, VMRESUME, "VMRESUME")                                                \
    X(25, VMWRITE, "VMWRITE")                                                  \
    X(26, VMXOFF, "VMXOFF")                                                    \
    X(27, VMXON, "VMXON")                                                      \
    X(28, CR_ACCESS, "Control-register accesses")                              \
    X(29, MOV_DR, "MOV DR")                                                    \
    X(30, IO_INSTRUCTION, "I/O instruction")                                   \
    X(31, RDMSR, "RDMSR")                                                      \
    X(32, WRMSR, "WRMSR")                                                      \
    X(33, ENTRY_FAIL_GUEST_STATE, "VM-entry failure due to invalid guest state") \
    X(34, ENTRY_FAIL_MSR_LOADING, "VM-entry failure due to MSR loading")       \
    X(36, MWAIT, "MWAIT")                                                      \
    X(37, MONITOR_TRAP_FLAG, "Monitor trap flag")                              \
    X(39, MONITOR, "MONITOR")                                                  \
    X(40, PAUSE, "PAUSE")                                                      \
    X(41, ENTRY_FAIL_MACHINE_CHECK, "VM-entry failure due to machine-check event") \
    X(43, TPR_BELOW_THRESHOLD, "TPR below threshold")                          \
    X(44, APIC_ACCESS, "APIC access")                                          \
    X(45, VIRTUALIZED_EOI, "Virtualized EOI")                                  \
    X(46, GDTR_IDTR_ACCESS, "Access to GDTR or IDTR")                          \
    X(47, LDTR_TR_ACCESS, "Access to LDTR or TR")                              \
    X(48, EPT_VIOLATION, "EPT violation")                                      \
    X(49, EPT_MISCONFIG, "EPT misconfiguration")                               \
    X(50, INVEPT, "INVEPT")                                                    \
    X(51, RDTSCP, "RDTSCP")                                                    \
    X(52, PREEMPTION_TIMER, "VMX-preemption timer expired")                    \
    X(53, INVVPID, "INVVPID")                                                  \
    X(54, WBINVD, "WBINVD or WBNOINVD")                                        \
    X(55, XSETBV, "XSETBV")                                                    \
    X(56, APIC_WRITE, "APIC write")                                            \
    X(57, RDRAND, "RDRAND")                                                    \
    X(58, INVPCID, "INVPCID")                                                  \
    X(59, VMFUNC, "VMFUNC")                                                    \
    X(60, ENCLS, "ENCLS")                                                      \
    X(61, RDSEED, "RDSEED")                                                    \
    X(62, PML_FULL, "Page-modification log full")                              \
    X(63, XSAVES, "XSAVES")                                                    \
    X(64, XRSTORS, "XRSTORS")                                                  \
    X(65, PCONFIG, "PCONFIG")                                                  \
    X(66, SPP_EVENT, "SPP-related event")                                      \
    X(67, UMWAIT, "UMWAIT")                                                    \
    X(68, TPAUSE, "TPAUSE")                                                    \
    X(69, LOADIWKEY, "LOADIWKEY")                                              \
    X(70, ENCLV, "ENCLV")                                                      \
    X(72, ENQCMD_PASID_FAIL, "ENQCMD PASID translation failure")               \
    X(73, ENQCMDS_PASID_FAIL, "ENQCMDS PASID translation failure")             \
    X(74, BUS_LOCK, "Bus lock")                                                \
    X(75, INSTRUCTION_TIMEOUT, "Instruction timeout")                          \
    X(76, SEAMCALL, "SEAMCALL")                                                \
    X(77, TDCALL, "TDCALL")                                                    \
    X(78, RDMSRLIST, "RDMSRLIST")                                              \
    X(79, WRMSRLIST, "WRMSRLIST")

enum exit_reason {
#define EXIT_REASON_ENUM(num, id, name) EXIT_REASON_##id = num,
    EXIT_REASON_LIST(EXIT_REASON_ENUM)
#undef EXIT_REASON_ENUM
};

/* One past the highest basic exit reason the SDM defines. */
#define EXIT_REASON_COUNT 80

/* Bits of the 32-bit exit-reason field above the basic reason (SDM 25.9.1). */
#define EXIT_REASON_BASIC_MASK      0xFFFFu
#define EXIT_REASON_ENTRY_FAILURE   (1u << 31)
#define EXIT_REASON_FROM_VMX_ROOT   (1u << 29)
#define EXIT_REASON_PENDING_MTF     (1u << 28)

#endif
