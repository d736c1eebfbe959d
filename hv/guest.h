/* Operations on the guest of the exit being handled (the current VMCS). */
#ifndef EXITVISOR_GUEST_H
#define EXITVISOR_GUEST_H
#include "vcpu.h"

/* Skip the instruction that exited (VM-exit instruction length) and drop
 * STI/MOV-SS blocking, which ends with that instruction. */
void guest_skip_instruction(struct vcpu *v);
/* The same for an instruction exitvisor decoded itself (EPT violations
 * report no instruction length): advance RIP by len. */
void guest_advance_rip(u64 len);
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
u32 guest_cpl(void);
/* Drop this vCPU's cached translations (VPID), as the hardware would after
 * a paging-mode change or INIT that exitvisor performed for the guest. */
void guest_flush_tlb(struct vcpu *v);
#endif
