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
;
; The last instructions before VMRESUME (vmentry_window_start up to and
; including the VMRESUME) form a window that the root-mode NMI handler
; (hv/platform/host_exception.c) restarts at vmentry_recheck when an NMI lands in
; it: a kick that arrives after the dispatcher looked at the mailbox must
; not be lost (the vCPU might be entering a halt that only that kick ends).
; Inside the window RSP never moves, so restarting it is always safe.
extern guest_events_before_entry
global vmexit_entry
global vmentry_window_start
global vmentry_window_end
global vmentry_recheck
vmexit_entry:
    PUSH_GPRS
    mov rdi, rsp                ; struct guest_regs *
    mov rsi, [rsp + GPRS_SIZE]  ; struct vcpu *
    call vmexit_dispatch wrt ..plt
vmentry_window_start:
    mov rax, [rsp + GPRS_SIZE]  ; struct vcpu *: root_events is its first member
    test dword [rax], 1         ; ROOT_EVENT_NMI (a waiting #MC is not rechecked: it may wait for an entry)
    jnz vmentry_recheck         ; an NMI arrived after the dispatcher's last look
    mov rax, [rsp + 0 * 8]      ; the guest's GPRs, without moving RSP
    mov rcx, [rsp + 1 * 8]
    mov rdx, [rsp + 2 * 8]
    mov rbx, [rsp + 3 * 8]
    mov rbp, [rsp + 5 * 8]
    mov rsi, [rsp + 6 * 8]
    mov rdi, [rsp + 7 * 8]
    mov r8,  [rsp + 8 * 8]
    mov r9,  [rsp + 9 * 8]
    mov r10, [rsp + 10 * 8]
    mov r11, [rsp + 11 * 8]
    mov r12, [rsp + 12 * 8]
    mov r13, [rsp + 13 * 8]
    mov r14, [rsp + 14 * 8]
    mov r15, [rsp + 15 * 8]
vmentry_window_end:
    vmresume
    ; VMRESUME failed (VMfail): report it with the error number and stop.
    setc sil                    ; 1 = VMfailInvalid, 0 = VMfailValid
    movzx esi, sil
    mov rdi, [rsp + GPRS_SIZE]  ; struct vcpu *
    call vmresume_failed wrt ..plt
.hang:
    cli
    hlt
    jmp .hang

; The NMI handler resumes here (same RSP) when it interrupted the window.
vmentry_recheck:
    mov rdi, [rsp + GPRS_SIZE]  ; struct vcpu *
    call guest_events_before_entry wrt ..plt
    jmp vmentry_window_start

section .note.GNU-stack noalloc noexec nowrite progbits
