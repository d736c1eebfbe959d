/*
 * Instructions and accesses whose exiting exitvisor leaves off. Each still
 * has its own handler: it logs the exit (reason, qualification, guest RIP,
 * vCPU), then either performs the instruction for the guest where that is
 * simple and exact, or stops the vCPU with its state on the console.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../arch/msr.h"

#define UNEXPECTED "unexpected exit (its control is off)"

void handle_hlt(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    guest_skip_instruction(v);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
}

/* PAUSE, MONITOR and MWAIT may be treated as no-ops (MWAIT may return at any
 * time per the SDM). */
#define SKIPPED_INSTRUCTION(name)                                              \
    void handle_##name(struct vcpu *v)                                         \
    {                                                                          \
        log_exit(v, UNEXPECTED);                                               \
        guest_skip_instruction(v);                                             \
    }
SKIPPED_INSTRUCTION(pause)
SKIPPED_INSTRUCTION(monitor)
SKIPPED_INSTRUCTION(mwait)

void handle_invlpg(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    guest_flush_tlb(v); /* more than INVLPG asks, never less */
    guest_skip_instruction(v);
}

void handle_rdtsc(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    u64 t = rdtsc();
    v->regs->rax = (u32)t;
    v->regs->rdx = (u32)(t >> 32);
    guest_skip_instruction(v);
}

void handle_rdtscp(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    u64 t = rdtsc();
    v->regs->rax = (u32)t;
    v->regs->rdx = (u32)(t >> 32);
    v->regs->rcx = (u32)rdmsr(0xC0000103u /* IA32_TSC_AUX */);
    guest_skip_instruction(v);
}

#define STOPPING_EXIT(name)                                                    \
    void handle_##name(struct vcpu *v)                                         \
    {                                                                          \
        log_exit(v, UNEXPECTED);                                               \
        vcpu_stop(v, "exitvisor cannot complete this exit for the guest");     \
    }
STOPPING_EXIT(rdpmc)
STOPPING_EXIT(rsm)
STOPPING_EXIT(mov_dr)
STOPPING_EXIT(tpr_below_threshold)
STOPPING_EXIT(apic_access)
STOPPING_EXIT(virtualized_eoi)
STOPPING_EXIT(gdtr_idtr_access)
STOPPING_EXIT(ldtr_tr_access)
STOPPING_EXIT(ept_misconfig)
STOPPING_EXIT(apic_write)
STOPPING_EXIT(rdrand)
STOPPING_EXIT(invpcid)
STOPPING_EXIT(encls)
STOPPING_EXIT(rdseed)
STOPPING_EXIT(pml_full)
STOPPING_EXIT(xsaves)
STOPPING_EXIT(xrstors)
STOPPING_EXIT(pconfig)
STOPPING_EXIT(spp_event)
STOPPING_EXIT(umwait)
STOPPING_EXIT(tpause)
STOPPING_EXIT(loadiwkey)
STOPPING_EXIT(enclv)
STOPPING_EXIT(enqcmd_pasid_fail)
STOPPING_EXIT(enqcmds_pasid_fail)
STOPPING_EXIT(bus_lock)
STOPPING_EXIT(instruction_timeout)
STOPPING_EXIT(seamcall)
STOPPING_EXIT(tdcall)
STOPPING_EXIT(rdmsrlist)
STOPPING_EXIT(wrmsrlist)
