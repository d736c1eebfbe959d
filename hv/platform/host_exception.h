#ifndef EXITVISOR_HOST_EXCEPTION_H
#define EXITVISOR_HOST_EXCEPTION_H
#include "../types.h"

/* The frame host_isr.asm builds: the GPRs as hv/gpr.inc saves them. */
struct host_exception_frame {
    u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
    u64 vector, error_code;
    u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void host_exception(struct host_exception_frame *f);

/* Root-mode instructions that may fault because of the guest's operands:
 * they return 1 instead of taking the hypervisor down. */
int safe_rdmsr(u32 msr, u64 *value);
int safe_wrmsr(u32 msr, u64 value);
int safe_xsetbv(u32 xcr, u64 value);
#endif
