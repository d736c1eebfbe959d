; int enter_guest_here(u32 index, hv_launch_fn launch)
;
; Boot code calls this, in its own (original) image, to turn the calling
; CPU into a guest. `launch` is the hypervisor's hv_launch_cpu, in the
; runtime copy; it is given this function's own resume label as the guest
; RIP and the current stack as the guest RSP. So after VMLAUNCH the CPU
; continues here, in VMX non-root mode, and returns 0 to its caller with
; its callee-saved registers intact, never having run the copy's code as
; a guest. If the launch fails, `launch` returns its nonzero error in root
; (or VMX-off) mode and that is returned instead.

default rel
bits 64
section .text

global enter_guest_here
enter_guest_here:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    pushfq
    mov rax, rsi                ; launch
    mov rcx, [rsp]              ; arg 4: guest RFLAGS (as now)
    mov rdx, rsp                ; arg 3: guest RSP
    lea rsi, [.guest_resumes_here] ; arg 2: guest RIP
                                ; arg 1: index, already in edi
    call rax                    ; returns only when the launch failed
    jmp .out
.guest_resumes_here:            ; first instruction run in VMX non-root mode
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

section .note.GNU-stack noalloc noexec nowrite progbits
