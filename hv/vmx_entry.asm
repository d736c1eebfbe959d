; Where a CPU enters its guest.
;
; vmx_launch: the first VM entry of a CPU.
;
; vmexit_entry: VMCS host RIP. Saves every guest GPR (struct guest_regs,
; hv/vcpu.h), calls the C dispatcher, restores them and resumes the guest.

default rel
bits 64
%include "gpr.inc"
section .text

extern vmexit_dispatch
extern vmresume_failed

; int vmx_launch(void)
;   VMLAUNCH the current VMCS, whose guest RIP/RSP/RFLAGS the caller wrote
;   (boot/enter_guest.asm decides where the guest resumes). Returns only on
;   failure: 1 = VMfailInvalid, 2 = VMfailValid (see the VM-instruction
;   error field).
global vmx_launch
vmx_launch:
    vmlaunch
    mov eax, 1
    jc .out
    mov eax, 2
.out:
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
