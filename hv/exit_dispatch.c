/*
 * The VM-exit dispatcher: one table maps every basic exit reason the SDM
 * defines to its handler. Counting and timing happen here, around the
 * handler call, never inside handlers:
 *   - the exit is counted before its handler runs, so a statistics query
 *     includes itself;
 *   - its cycles (RDTSC at the top of the dispatcher to RDTSC just before
 *     returning to VM entry) are added after the handler, less the time
 *     spent waiting for the serial port (v->untimed_cycles, hv/platform/log.c):
 *     cycles mean handling, not waiting;
 *   - an exit that exists only because exitvisor watches something is also
 *     counted as exitvisor's own (exit_is_own), so a table can show the
 *     guest's exits apart from the instrument's.
 */
#include "vcpu.h"
#include "vmx/vmcs.h"
#include "platform/diag.h"
#include "guest/guest_events.h"
#include "arch/msr.h"
#include "stats/exit_names.h"
#include "exits/handlers.h"
#include "guest/guest_apic_base.h"

/* Whose exit is it? Most exits are the guest's own doing; these exist only
 * because exitvisor watches something (exit_is_own decides the conditional
 * ones). The flag sits next to the handler so the common case costs one
 * load on the exit path. */
enum exit_owner {
    GUEST = 0,
    OWN,                /* always exitvisor's: NMI kicks and windows, the watched I/O ports */
    OWN_IF_APIC_STORE,  /* init_sipi=intercept: a store to the write-protected APIC page */
    OWN_IF_WATCHED_MSR, /* a WRMSR exitvisor acts on: MTRRs, microcode, with init_sipi=intercept
                           the x2APIC ICR and IA32_APIC_BASE (hv/exits/msr.c) */
};

struct exit_entry {
    exit_handler handler;
    u8 owner; /* enum exit_owner */
};

static const struct exit_entry exits[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI] = { handle_exception_nmi, OWN },
    [EXIT_REASON_EXTERNAL_INTERRUPT] = { handle_external_interrupt },
    [EXIT_REASON_TRIPLE_FAULT] = { handle_triple_fault },
    [EXIT_REASON_INIT_SIGNAL] = { handle_init_signal },
    [EXIT_REASON_SIPI] = { handle_sipi },
    [EXIT_REASON_IO_SMI] = { handle_io_smi },
    [EXIT_REASON_OTHER_SMI] = { handle_other_smi },
    [EXIT_REASON_INTERRUPT_WINDOW] = { handle_interrupt_window },
    [EXIT_REASON_NMI_WINDOW] = { handle_nmi_window, OWN },
    [EXIT_REASON_TASK_SWITCH] = { handle_task_switch },
    [EXIT_REASON_CPUID] = { handle_cpuid },
    [EXIT_REASON_GETSEC] = { handle_getsec },
    [EXIT_REASON_HLT] = { handle_hlt },
    [EXIT_REASON_INVD] = { handle_invd },
    [EXIT_REASON_INVLPG] = { handle_invlpg },
    [EXIT_REASON_RDPMC] = { handle_rdpmc },
    [EXIT_REASON_RDTSC] = { handle_rdtsc },
    [EXIT_REASON_RSM] = { handle_rsm },
    [EXIT_REASON_VMCALL] = { handle_vmcall },
    [EXIT_REASON_VMCLEAR] = { handle_vmclear },
    [EXIT_REASON_VMLAUNCH] = { handle_vmlaunch },
    [EXIT_REASON_VMPTRLD] = { handle_vmptrld },
    [EXIT_REASON_VMPTRST] = { handle_vmptrst },
    [EXIT_REASON_VMREAD] = { handle_vmread },
    [EXIT_REASON_VMRESUME] = { handle_vmresume },
    [EXIT_REASON_VMWRITE] = { handle_vmwrite },
    [EXIT_REASON_VMXOFF] = { handle_vmxoff },
    [EXIT_REASON_VMXON] = { handle_vmxon },
    [EXIT_REASON_CR_ACCESS] = { handle_cr_access },
    [EXIT_REASON_MOV_DR] = { handle_mov_dr },
    [EXIT_REASON_IO_INSTRUCTION] = { handle_io_instruction, OWN },
    [EXIT_REASON_RDMSR] = { handle_rdmsr },
    [EXIT_REASON_WRMSR] = { handle_wrmsr, OWN_IF_WATCHED_MSR },
    [EXIT_REASON_ENTRY_FAIL_GUEST_STATE] = { handle_entry_fail_guest_state },
    [EXIT_REASON_ENTRY_FAIL_MSR_LOADING] = { handle_entry_fail_msr_loading },
    [EXIT_REASON_MWAIT] = { handle_mwait },
    [EXIT_REASON_MONITOR_TRAP_FLAG] = { handle_monitor_trap_flag },
    [EXIT_REASON_MONITOR] = { handle_monitor },
    [EXIT_REASON_PAUSE] = { handle_pause },
    [EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = { handle_entry_fail_machine_check },
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = { handle_tpr_below_threshold },
    [EXIT_REASON_APIC_ACCESS] = { handle_apic_access },
    [EXIT_REASON_VIRTUALIZED_EOI] = { handle_virtualized_eoi },
    [EXIT_REASON_GDTR_IDTR_ACCESS] = { handle_gdtr_idtr_access },
    [EXIT_REASON_LDTR_TR_ACCESS] = { handle_ldtr_tr_access },
    [EXIT_REASON_EPT_VIOLATION] = { handle_ept_violation, OWN_IF_APIC_STORE },
    [EXIT_REASON_EPT_MISCONFIG] = { handle_ept_misconfig },
    [EXIT_REASON_INVEPT] = { handle_invept },
    [EXIT_REASON_RDTSCP] = { handle_rdtscp },
    [EXIT_REASON_PREEMPTION_TIMER] = { handle_preemption_timer },
    [EXIT_REASON_INVVPID] = { handle_invvpid },
    [EXIT_REASON_WBINVD] = { handle_wbinvd },
    [EXIT_REASON_XSETBV] = { handle_xsetbv },
    [EXIT_REASON_APIC_WRITE] = { handle_apic_write },
    [EXIT_REASON_RDRAND] = { handle_rdrand },
    [EXIT_REASON_INVPCID] = { handle_invpcid },
    [EXIT_REASON_VMFUNC] = { handle_vmfunc },
    [EXIT_REASON_ENCLS] = { handle_encls },
    [EXIT_REASON_RDSEED] = { handle_rdseed },
    [EXIT_REASON_PML_FULL] = { handle_pml_full },
    [EXIT_REASON_XSAVES] = { handle_xsaves },
    [EXIT_REASON_XRSTORS] = { handle_xrstors },
    [EXIT_REASON_PCONFIG] = { handle_pconfig },
    [EXIT_REASON_SPP_EVENT] = { handle_spp_event },
    [EXIT_REASON_UMWAIT] = { handle_umwait },
    [EXIT_REASON_TPAUSE] = { handle_tpause },
    [EXIT_REASON_LOADIWKEY] = { handle_loadiwkey },
    [EXIT_REASON_ENCLV] = { handle_enclv },
    [EXIT_REASON_ENQCMD_PASID_FAIL] = { handle_enqcmd_pasid_fail },
    [EXIT_REASON_ENQCMDS_PASID_FAIL] = { handle_enqcmds_pasid_fail },
    [EXIT_REASON_BUS_LOCK] = { handle_bus_lock },
    [EXIT_REASON_INSTRUCTION_TIMEOUT] = { handle_instruction_timeout },
    [EXIT_REASON_SEAMCALL] = { handle_seamcall },
    [EXIT_REASON_TDCALL] = { handle_tdcall },
    [EXIT_REASON_RDMSRLIST] = { handle_rdmsrlist },
    [EXIT_REASON_WRMSRLIST] = { handle_wrmsrlist },
};

/* Checked once at start-up: every reason the SDM defines has a handler and
 * no undefined number has one. Returns the first offending number or -1. */
int exit_dispatch_self_check(void)
{
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
        if ((exits[r].handler != NULL) != (exit_reason_defined(r) != 0))
            return (int)r;
    return -1;
}

/* Does this exit exist only because exitvisor watches something? NMIs exit
 * only for kicks or while a guest NMI waits for its window; the I/O bitmap
 * holds only the ports exitvisor watches; MTRR and microcode-trigger
 * writes exit so exitvisor can act on them; with init_sipi=intercept every
 * store to the APIC page and every x2APIC ICR write exits. Decided before
 * the handler runs, from the exit alone. */
static bool exit_is_own(struct vcpu *v, u32 owner)
{
    switch (owner) {
    case OWN:
        return true;
    case OWN_IF_APIC_STORE:
        return hv->opt.intercept_init_sipi && apic_page_is_watched(vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS) & ~0xFFFull);
    case OWN_IF_WATCHED_MSR:
        return msr_write_is_watched(hv->msr_bitmap, (u32)v->regs->rcx);
    default:
        return false;
    }
}

/* Anything to deliver before this entry (hv/guest/guest_events.c)? One look at
 * the words that can ask for it, instead of a call on every exit. */
static inline bool events_waiting(const struct vcpu *v)
{
    return (v->root_events | __atomic_load_n(&v->mailbox, __ATOMIC_ACQUIRE) | (u32)v->guest_nmi_pending |
            (u32)v->waiting_for_sipi) != 0;
}

/* Called from vmexit_entry (hv/vmx/vmx_entry.asm) on this CPU's host stack.
 * Only `v` lives across the handler call (the rest is kept in it), so the
 * function saves one register, not six: the assembly saved them all. */
void vmexit_dispatch(struct guest_regs *regs, struct vcpu *v)
{
    u64 start = rdtsc();
    u32 basic = (u32)vmcs_read(VMCS_EXIT_REASON) & EXIT_REASON_BASIC_MASK;

    v->regs = regs;
    v->exit_reason = basic;
    v->exit_tsc = start;
    v->untimed_cycles = 0;

    if (__builtin_expect(basic >= EXIT_REASON_COUNT || !exits[basic].handler, 0)) {
        log_exit(v, "exit with a reason the SDM does not define");
        vcpu_stop(v, "unknown exit reason");
    }
    exit_shard_count(v->shard, basic);
    u32 owner = exits[basic].owner;
    v->exit_own = owner != GUEST && exit_is_own(v, owner);
    if (timeline_due(hv->timeline, start))
        timeline_sample(hv->timeline, hv->stats, start);
    exits[basic].handler(v);
    if (events_waiting(v))
        guest_events_before_entry(v);
    basic = v->exit_reason;
    u64 cycles = rdtsc() - v->exit_tsc - v->untimed_cycles;
    exit_shard_add_cycles(v->shard, basic, cycles);
    if (v->exit_own)
        exit_shard_add_own(v->shard, cycles);
}
