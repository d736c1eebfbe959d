/*
 * One row per basic exit reason the SDM defines: the condition under which
 * it can occur (SDM Vol. 3C 26.1-26.2 and 25.6). The leaves answer "all
 * zero" for a defined reason whose condition is false with the controls in
 * force.
 */
#include "exit_possible.h"
#include "../arch/vmcs_fields.h"
#include "../arch/x86.h"

#define ALWAYS          { RULE_ALWAYS, 0, 0 }
#define NEVER           { RULE_NEVER, 0, 0 }
#define PIN(b)          { RULE_PIN, (b), 0 }
#define PROC(b)         { RULE_PROC, (b), 0 }
#define PROC2(b)        { RULE_PROC2, (b), 0 }
#define PROC_PROC2(a, b){ RULE_PROC_AND_PROC2, (a), (b) }
#define RULE(r)         { (r), 0, 0 }

static const struct exit_condition conditions[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI]            = RULE(RULE_EXCEPTION_OR_NMI),
    [EXIT_REASON_EXTERNAL_INTERRUPT]       = PIN(PIN_EXTERNAL_INTERRUPT_EXITING),
    [EXIT_REASON_TRIPLE_FAULT]             = ALWAYS,
    [EXIT_REASON_INIT_SIGNAL]              = ALWAYS,
    [EXIT_REASON_SIPI]                     = RULE(RULE_WAIT_FOR_SIPI),
    [EXIT_REASON_IO_SMI]                   = NEVER, /* dual-monitor treatment of SMM only */
    [EXIT_REASON_OTHER_SMI]                = NEVER, /* dual-monitor treatment of SMM only */
    [EXIT_REASON_INTERRUPT_WINDOW]         = PROC(PROC_INTERRUPT_WINDOW_EXITING),
    [EXIT_REASON_NMI_WINDOW]               = PROC(PROC_NMI_WINDOW_EXITING),
    [EXIT_REASON_TASK_SWITCH]              = ALWAYS,
    [EXIT_REASON_CPUID]                    = ALWAYS,
    [EXIT_REASON_GETSEC]                   = RULE(RULE_GETSEC),
    [EXIT_REASON_HLT]                      = PROC(PROC_HLT_EXITING),
    [EXIT_REASON_INVD]                     = ALWAYS,
    [EXIT_REASON_INVLPG]                   = PROC(PROC_INVLPG_EXITING),
    [EXIT_REASON_RDPMC]                    = PROC(PROC_RDPMC_EXITING),
    [EXIT_REASON_RDTSC]                    = PROC(PROC_RDTSC_EXITING),
    [EXIT_REASON_RSM]                      = NEVER, /* RSM exits only in SMM under an SMM monitor */
    [EXIT_REASON_VMCALL]                   = ALWAYS,
    [EXIT_REASON_VMCLEAR]                  = ALWAYS,
    [EXIT_REASON_VMLAUNCH]                 = ALWAYS,
    [EXIT_REASON_VMPTRLD]                  = ALWAYS,
    [EXIT_REASON_VMPTRST]                  = ALWAYS,
    [EXIT_REASON_VMREAD]                   = ALWAYS,
    [EXIT_REASON_VMRESUME]                 = ALWAYS,
    [EXIT_REASON_VMWRITE]                  = ALWAYS,
    [EXIT_REASON_VMXOFF]                   = ALWAYS,
    [EXIT_REASON_VMXON]                    = ALWAYS,
    [EXIT_REASON_CR_ACCESS]                = RULE(RULE_CR_ACCESS),
    [EXIT_REASON_MOV_DR]                   = PROC(PROC_MOV_DR_EXITING),
    [EXIT_REASON_IO_INSTRUCTION]           = RULE(RULE_IO),
    [EXIT_REASON_RDMSR]                    = ALWAYS, /* MSRs outside the bitmap ranges always exit */
    [EXIT_REASON_WRMSR]                    = ALWAYS,
    [EXIT_REASON_ENTRY_FAIL_GUEST_STATE]   = ALWAYS,
    [EXIT_REASON_ENTRY_FAIL_MSR_LOADING]   = RULE(RULE_ENTRY_MSR_LOAD),
    [EXIT_REASON_MWAIT]                    = PROC(PROC_MWAIT_EXITING),
    [EXIT_REASON_MONITOR_TRAP_FLAG]        = PROC(PROC_MONITOR_TRAP_FLAG),
    [EXIT_REASON_MONITOR]                  = PROC(PROC_MONITOR_EXITING),
    [EXIT_REASON_PAUSE]                    = RULE(RULE_PAUSE),
    [EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = ALWAYS,
    [EXIT_REASON_TPR_BELOW_THRESHOLD]      = PROC(PROC_USE_TPR_SHADOW),
    [EXIT_REASON_APIC_ACCESS]              = PROC2(PROC2_VIRTUALIZE_APIC_ACCESSES),
    [EXIT_REASON_VIRTUALIZED_EOI]          = PROC2(PROC2_VIRTUAL_INTR_DELIVERY),
    [EXIT_REASON_GDTR_IDTR_ACCESS]         = PROC2(PROC2_DESCRIPTOR_TABLE_EXITING),
    [EXIT_REASON_LDTR_TR_ACCESS]           = PROC2(PROC2_DESCRIPTOR_TABLE_EXITING),
    [EXIT_REASON_EPT_VIOLATION]            = PROC2(PROC2_ENABLE_EPT),
    [EXIT_REASON_EPT_MISCONFIG]            = PROC2(PROC2_ENABLE_EPT),
    [EXIT_REASON_INVEPT]                   = ALWAYS,
    [EXIT_REASON_RDTSCP]                   = PROC_PROC2(PROC_RDTSC_EXITING, PROC2_ENABLE_RDTSCP),
    [EXIT_REASON_PREEMPTION_TIMER]         = PIN(PIN_PREEMPTION_TIMER),
    [EXIT_REASON_INVVPID]                  = ALWAYS,
    [EXIT_REASON_WBINVD]                   = PROC2(PROC2_WBINVD_EXITING),
    [EXIT_REASON_XSETBV]                   = RULE(RULE_XSAVE),
    [EXIT_REASON_APIC_WRITE]               = PROC2(PROC2_APIC_REGISTER_VIRT),
    [EXIT_REASON_RDRAND]                   = PROC2(PROC2_RDRAND_EXITING),
    [EXIT_REASON_INVPCID]                  = PROC_PROC2(PROC_INVLPG_EXITING, PROC2_ENABLE_INVPCID),
    [EXIT_REASON_VMFUNC]                   = PROC2(PROC2_ENABLE_VMFUNC),
    [EXIT_REASON_ENCLS]                    = PROC2(PROC2_ENCLS_EXITING),
    [EXIT_REASON_RDSEED]                   = PROC2(PROC2_RDSEED_EXITING),
    [EXIT_REASON_PML_FULL]                 = PROC2(PROC2_ENABLE_PML),
    [EXIT_REASON_XSAVES]                   = RULE(RULE_XSAVES),
    [EXIT_REASON_XRSTORS]                  = RULE(RULE_XSAVES),
    [EXIT_REASON_PCONFIG]                  = PROC2(PROC2_ENABLE_PCONFIG),
    [EXIT_REASON_SPP_EVENT]                = PROC2(PROC2_SUBPAGE_WRITE),
    [EXIT_REASON_UMWAIT]                   = PROC_PROC2(PROC_RDTSC_EXITING, PROC2_USER_WAIT_PAUSE),
    [EXIT_REASON_TPAUSE]                   = PROC_PROC2(PROC_RDTSC_EXITING, PROC2_USER_WAIT_PAUSE),
    [EXIT_REASON_LOADIWKEY]                = NEVER, /* tertiary controls, never activated */
    [EXIT_REASON_ENCLV]                    = PROC2(PROC2_ENCLV_EXITING),
    [EXIT_REASON_ENQCMD_PASID_FAIL]        = PROC2(PROC2_PASID_TRANSLATION),
    [EXIT_REASON_ENQCMDS_PASID_FAIL]       = PROC2(PROC2_PASID_TRANSLATION),
    [EXIT_REASON_BUS_LOCK]                 = PROC2(PROC2_BUS_LOCK_DETECTION),
    [EXIT_REASON_INSTRUCTION_TIMEOUT]      = PROC2(PROC2_INSTRUCTION_TIMEOUT),
    [EXIT_REASON_SEAMCALL]                 = NEVER, /* needs a TDX module (SEAM), which exitvisor does not run with */
    [EXIT_REASON_TDCALL]                   = NEVER, /* only inside a TDX trust domain */
    [EXIT_REASON_RDMSRLIST]                = NEVER, /* tertiary controls, never activated */
    [EXIT_REASON_WRMSRLIST]                = NEVER, /* tertiary controls, never activated */
};

const struct exit_condition *exit_reason_condition(u32 reason)
{
    if (reason >= EXIT_REASON_COUNT || conditions[reason].rule == RULE_UNDEFINED)
        return NULL;
    return &conditions[reason];
}

bool exit_reason_possible(u32 reason, const struct vmx_controls *c)
{
    const struct exit_condition *k = exit_reason_condition(reason);
    u32 proc2 = (c->proc & PROC_SECONDARY_CONTROLS) ? c->proc2 : 0;

    if (!k)
        return false;
    switch (k->rule) {
    case RULE_ALWAYS: return true;
    case RULE_NEVER: return false;
    case RULE_PIN: return (c->pin & k->bit) != 0;
    case RULE_PROC: return (c->proc & k->bit) != 0;
    case RULE_PROC2: return (proc2 & k->bit) != 0;
    case RULE_PROC_AND_PROC2: return (c->proc & k->bit) && (proc2 & k->bit2);
    case RULE_EXCEPTION_OR_NMI: return c->exception_bitmap != 0 || (c->pin & PIN_NMI_EXITING);
    case RULE_CR_ACCESS:
        return c->cr0_guest_host_mask || c->cr4_guest_host_mask ||
               (c->proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
                           PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING));
    case RULE_WAIT_FOR_SIPI: return c->wait_for_sipi_used;
    case RULE_XSAVE: return c->cpu_has_xsave;
    case RULE_XSAVES: return (proc2 & PROC2_ENABLE_XSAVES) && c->xss_exiting_bitmap != 0;
    case RULE_GETSEC: return c->guest_can_set_smxe;
    case RULE_ENTRY_MSR_LOAD: return c->entry_msr_load_count != 0;
    case RULE_PAUSE: return (c->proc & PROC_PAUSE_EXITING) || (proc2 & PROC2_PAUSE_LOOP_EXITING);
    case RULE_IO: return (c->proc & (PROC_UNCONDITIONAL_IO_EXITING | PROC_USE_IO_BITMAPS)) != 0;
    case RULE_UNDEFINED: break;
    }
    return false;
}
