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
section .text

extern vmexit_dispatch
extern vmresume_failed

VMCS_GUEST_RSP    equ 0x681C
VMCS_GUEST_RIP    equ 0x681E
VMCS_GUEST_RFLAGS equ 0x6820

; int vmx_launch_here(void)
;   returns 0 in the guest after a successful launch; in root mode on failure:
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
    mov rax, VMCS_GUEST_RFLAGS
    mov rdx, [rsp]
    vmwrite rax, rdx
    jbe .write_failed
    mov rax, VMCS_GUEST_RSP
    vmwrite rax, rsp
    jbe .write_failed
    mov rax, VMCS_GUEST_RIP
    lea rdx, [.guest_starts_here]
    vmwrite rax, rdx
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
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rdi
    push rsi
    push rbp
    push 0                      ; rsp slot: the guest's RSP is in the VMCS
    push rbx
    push rdx
    push rcx
    push rax
    mov rdi, rsp                ; struct guest_regs *
    mov rsi, [rsp + 16 * 8]     ; struct vcpu *
    call vmexit_dispatch wrt ..plt
    pop rax
    pop rcx
    pop rdx
    pop rbx
    add rsp, 8
    pop rbp
    pop rsi
    pop rdi
    pop r8
    pop r9
    pop r10
    pop r11
    pop r12
    pop r13
    pop r14
    pop r15
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
