; The two places where a CPU crosses between root and non-root mode.
;
; vmx_launch_here: launch the current VMCS so that the guest continues as
; if this call had returned 0: the CPU keeps running the same code, with
; the same stack and registers, but in VMX non-root mode.
;
; vmexit_entry: VMCS host RIP. Saves every guest GPR (struct guest_regs,
; hv/vcpu.h), calls the C dispatcher, restores them and resumes the guest.

default rel
bits 64
%include "gpr.inc"
section .text

extern vmexit_dispatch
extern vmresume_failed

; int vmx_launch_here(u64 rsp_field, u64 rip_field, u64 rflags_field)
;   The arguments are the VMCS encodings of guest RSP, RIP and RFLAGS (from
;   hv/arch/vmcs_fields.h, so they are written in one place only).
;   Returns 0 in the guest after a successful launch; in root mode on failure:
;   1 = VMfailInvalid, 2 = VMfailValid (see VM-instruction error field),
;   3 = writing guest RSP/RIP/RFLAGS failed.
global vmx_launch_here
vmx_launch_here:
    push rbp                    ; callee-saved registers: the guest resumes
    push rbx                    ; with them exactly as the caller left them
    push r12
    push r13
    push r14
    push r15
    pushfq
    mov rax, [rsp]
    vmwrite rdx, rax            ; guest RFLAGS
    jbe .write_failed
    vmwrite rdi, rsp            ; guest RSP
    jbe .write_failed
    lea rax, [.guest_starts_here]
    vmwrite rsi, rax            ; guest RIP
    jbe .write_failed
    vmlaunch
    ; Only a failed VMLAUNCH gets here: CF=1 VMfailInvalid, ZF=1 VMfailValid.
    mov eax, 1
    jc .out
    mov eax, 2
    jmp .out
.write_failed:
    mov eax, 3
    jmp .out
.guest_starts_here:             ; first instruction run in VMX non-root mode
    xor eax, eax
.out:
    add rsp, 8                  ; saved RFLAGS (already the guest's RFLAGS)
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; Host RSP points 16 bytes below the top of this CPU's host stack, where
; launch code stored the struct vcpu pointer.
global vmexit_entry
vmexit_entry:
    PUSH_GPRS
    mov rdi, rsp                ; struct guest_regs *
    mov rsi, [rsp + GPRS_SIZE]  ; struct vcpu *
    call vmexit_dispatch wrt ..plt
    POP_GPRS
    vmresume
    ; VMRESUME failed (VMfail): report it with the error number and stop.
    mov rdi, [rsp]              ; struct vcpu *
    setc sil                    ; 1 = VMfailInvalid, 0 = VMfailValid
    movzx esi, sil
    call vmresume_failed wrt ..plt
.hang:
    cli
    hlt
    jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
