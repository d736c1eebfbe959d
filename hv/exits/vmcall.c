/*
 * VMCALL: the hypercall interface of hv/abi.h. RAX selects the function and
 * receives the result; an unknown function or a call from CPL > 0 gets
 * EXV_VMCALL_UNKNOWN and nothing else changes.
 */
#include "handlers.h"
#include "../abi.h"
#include "../guest.h"

void handle_vmcall(struct vcpu *v)
{
    u64 fn = v->regs->rax;

    if (guest_cpl() == 0 && fn == EXV_VMCALL_PING)
        v->regs->rax = EXV_VMCALL_OK;
    else
        v->regs->rax = EXV_VMCALL_UNKNOWN;
    guest_skip_instruction(v);
}
