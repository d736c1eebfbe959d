; Root-mode exception entry stubs and the instructions that may fault on
; purpose (RDMSR/WRMSR/XSETBV on behalf of the guest).
;
; Every stub leaves the same frame (struct host_exception_frame in
; host_exception.h): 15 GPRs, vector, error code, then the CPU's frame.
; Faulting-on-purpose instructions are listed in host_fixups: when one of
; them raises an exception, the handler resumes at its recovery label with
; RAX = 1, so the caller can inject the same fault into the guest.

default rel
bits 64
%include "gpr.inc"
section .text

extern host_exception

%macro ISR_NOERR 1
isr_%1:
    push 0                      ; no error code: keep the frame uniform
    push %1
    jmp isr_common
%endmacro

%macro ISR_ERR 1
isr_%1:
    push %1
    jmp isr_common
%endmacro

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR   8
ISR_NOERR 9
ISR_ERR   10
ISR_ERR   11
ISR_ERR   12
ISR_ERR   13
ISR_ERR   14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR   17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR   21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR   29
ISR_ERR   30
ISR_NOERR 31

isr_common:
    PUSH_GPRS
    mov rdi, rsp                ; struct host_exception_frame *
    sub rsp, 8                  ; 16 GPRs + vector + error + CPU frame leave RSP 8 off 16-byte alignment
    cld
    call host_exception wrt ..plt   ; returns only for NMI and fixups
    add rsp, 8
    POP_GPRS
    add rsp, 16                 ; vector and error code
    iretq

; int safe_rdmsr(u32 msr, u64 *value): 0 on success, 1 if RDMSR faulted.
global safe_rdmsr
safe_rdmsr:
    mov ecx, edi
.insn:
    rdmsr
    shl rdx, 32
    mov eax, eax
    or rax, rdx
    mov [rsi], rax
    xor eax, eax
    ret
.fault:
    mov eax, 1
    ret

; int safe_wrmsr(u32 msr, u64 value): 0 on success, 1 if WRMSR faulted.
global safe_wrmsr
safe_wrmsr:
    mov ecx, edi
    mov rax, rsi
    mov rdx, rsi
    shr rdx, 32
.insn:
    wrmsr
    xor eax, eax
    ret
.fault:
    mov eax, 1
    ret

; int safe_xsetbv(u32 xcr, u64 value): 0 on success, 1 if XSETBV faulted.
global safe_xsetbv
safe_xsetbv:
    mov ecx, edi
    mov rax, rsi
    mov rdx, rsi
    shr rdx, 32
.insn:
    xsetbv
    xor eax, eax
    ret
.fault:
    mov eax, 1
    ret

section .data
align 8
global host_isr_table
host_isr_table:
%assign v 0
%rep 32
    dq isr_ %+ v
%assign v v+1
%endrep

; Pairs of (faulting instruction, recovery label), ended by a zero pair.
global host_fixups
host_fixups:
    dq safe_rdmsr.insn, safe_rdmsr.fault
    dq safe_wrmsr.insn, safe_wrmsr.fault
    dq safe_xsetbv.insn, safe_xsetbv.fault
    dq 0, 0

section .note.GNU-stack noalloc noexec nowrite progbits
