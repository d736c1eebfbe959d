/* Operations on the guest of the exit being handled (the current VMCS). */
#ifndef EXITVISOR_GUEST_H
#define EXITVISOR_GUEST_H
#include "../vcpu.h"
#include "../vmx/vmcs.h"

/* Advance RIP by len and drop STI/MOV-SS blocking, which ends with the
 * instruction skipped. For an instruction exitvisor decoded itself (EPT
 * violations report no instruction length). Inline, like the two below:
 * most exits end here, and a call cost 5 cycles on each (make bench). */
static inline void guest_advance_rip(u64 len)
{
    vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + len);
    u64 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(u64)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* Skip the instruction that exited (VM-exit instruction length). */
static inline void guest_skip_instruction(struct vcpu *v)
{
    (void)v;
    guest_advance_rip(vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}
/* Make the guest take a hardware exception at the exiting instruction
 * (fault semantics: RIP is not advanced, RFLAGS.RF set in the pushed image;
 * no error code in real mode). */
void guest_inject_exception(u32 vector, bool has_error_code, u32 error_code);
void guest_inject_ud(void);
void guest_inject_gp0(void);
/* Guest GPR by x86 register number (0 = RAX ... 4 = RSP ... 15 = R15). */
u64 guest_gpr(struct vcpu *v, u32 index);
void guest_set_gpr(struct vcpu *v, u32 index, u64 value);
/* Current privilege level of the guest (SS.DPL). */
static inline u32 guest_cpl(void)
{
    return (u32)((vmcs_read(VMCS_GUEST_SS_AR) >> 5) & 3);
}
/* Drop this vCPU's cached translations (VPID), as the hardware would after
 * a paging-mode change or INIT that exitvisor performed for the guest. */
void guest_flush_tlb(struct vcpu *v);
#endif
