#include "diag.h"
#include "../vmx/vmcs.h"
#include "log.h"
#include "../stats/exit_names.h"
#include "../vmx/vmx_errors.h"

static const char *reason_name(u32 basic)
{
    const char *n = exit_reason_name(basic);
    return n ? n : "not defined by the SDM";
}

void log_exit(struct vcpu *v, const char *what)
{
    hv_log("cpu %u %s: exit reason %u (%s), qualification 0x%llx, guest rip 0x%llx", v->index, what,
           v->exit_reason, reason_name(v->exit_reason), (unsigned long long)vmcs_read(VMCS_EXIT_QUALIFICATION),
           (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
}

#define R(f) ((unsigned long long)vmcs_read(f))

void vcpu_dump_state(struct vcpu *v)
{
    u32 i = v->index;
    hv_log("cpu %u guest: rip 0x%llx rsp 0x%llx rflags 0x%llx activity %llu interruptibility 0x%llx", i,
           R(VMCS_GUEST_RIP), R(VMCS_GUEST_RSP), R(VMCS_GUEST_RFLAGS), R(VMCS_GUEST_ACTIVITY_STATE),
           R(VMCS_GUEST_INTERRUPTIBILITY));
    hv_log("cpu %u guest: cr0 0x%llx (shadow 0x%llx) cr3 0x%llx cr4 0x%llx (shadow 0x%llx) efer 0x%llx", i,
           R(VMCS_GUEST_CR0), R(VMCS_CR0_READ_SHADOW), R(VMCS_GUEST_CR3), R(VMCS_GUEST_CR4),
           R(VMCS_CR4_READ_SHADOW), R(VMCS_GUEST_EFER));
    hv_log("cpu %u guest: cs %llx/%llx/%llx ss %llx/%llx ds %llx tr %llx/%llx gdtr 0x%llx+%llx idtr 0x%llx+%llx", i,
           R(VMCS_GUEST_CS_SEL), R(VMCS_GUEST_CS_BASE), R(VMCS_GUEST_CS_AR), R(VMCS_GUEST_SS_SEL),
           R(VMCS_GUEST_SS_AR), R(VMCS_GUEST_DS_SEL), R(VMCS_GUEST_TR_SEL), R(VMCS_GUEST_TR_AR),
           R(VMCS_GUEST_GDTR_BASE), R(VMCS_GUEST_GDTR_LIMIT), R(VMCS_GUEST_IDTR_BASE), R(VMCS_GUEST_IDTR_LIMIT));
    if (v->regs)
        hv_log("cpu %u guest: rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx rsi 0x%llx rdi 0x%llx rbp 0x%llx", i,
               (unsigned long long)v->regs->rax, (unsigned long long)v->regs->rbx,
               (unsigned long long)v->regs->rcx, (unsigned long long)v->regs->rdx,
               (unsigned long long)v->regs->rsi, (unsigned long long)v->regs->rdi,
               (unsigned long long)v->regs->rbp);
    hv_log("cpu %u controls: pin 0x%llx proc 0x%llx proc2 0x%llx exit 0x%llx entry 0x%llx exceptions 0x%llx", i,
           R(VMCS_PIN_CONTROLS), R(VMCS_PROC_CONTROLS), R(VMCS_PROC2_CONTROLS), R(VMCS_EXIT_CONTROLS),
           R(VMCS_ENTRY_CONTROLS), R(VMCS_EXCEPTION_BITMAP));
    hv_log("cpu %u events: exit intr 0x%llx/0x%llx idt-vectoring 0x%llx/0x%llx entry intr 0x%llx", i,
           R(VMCS_EXIT_INTR_INFO), R(VMCS_EXIT_INTR_ERROR), R(VMCS_IDT_VECTORING_INFO),
           R(VMCS_IDT_VECTORING_ERROR), R(VMCS_ENTRY_INTR_INFO));
    hv_log("cpu %u host: rip 0x%llx rsp 0x%llx cr0 0x%llx cr3 0x%llx cr4 0x%llx", i, R(VMCS_HOST_RIP),
           R(VMCS_HOST_RSP), R(VMCS_HOST_CR0), R(VMCS_HOST_CR3), R(VMCS_HOST_CR4));
}

void vcpu_stop(struct vcpu *v, const char *why)
{
    hv_log("cpu %u STOPPED: %s", v->index, why);
    vcpu_dump_state(v);
    hv_log("cpu %u halted; the other CPUs keep running", v->index);
    halt_forever();
}

void vmresume_failed(struct vcpu *v, u64 fail_invalid)
{
    if (fail_invalid) {
        hv_log("cpu %u VMRESUME failed: VMfailInvalid (no current VMCS)", v->index);
    } else {
        u32 err = vmcs_instruction_error();
        hv_log("cpu %u VMRESUME failed: VM-instruction error %u (%s)", v->index, err,
               vmx_instruction_error_text(err));
    }
    vcpu_stop(v, "VMRESUME failed");
}
