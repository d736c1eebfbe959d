/*
 * Fake hardware for fuzzing exit handlers on the host, without editing hv/.
 *
 * Targets that compile hypervisor code which executes privileged or VMX
 * instructions pass "-include hv/tests/fuzz/fake_hw.h" (their fuzz-cflags).
 * This header is then read before any hv/ header:
 *   1. it includes hv/arch/x86.h and hv/arch/vmx.h with each hardware
 *      primitive renamed (its asm body compiles under an unused name);
 *   2. it routes the real names to the fakes in fake_hw.c.
 * So VMREAD/VMWRITE go to a fake VMCS (hv/vmx/vmcs.h's inline wrappers run
 * unchanged on top of it), RDMSR/WRMSR/CPUID/RDTSC/OUT/WBINVD/INVVPID to
 * recorders, and the link-time dependencies of the handlers (diag, ipi, log,
 * guest memory, safe_rdmsr...) to stubs that record what was asked and answer
 * what the fuzz input chose. vcpu_stop longjmps back to the harness.
 *
 * A fake VMCS field never set or written in the current exit reads a value
 * taken lazily from the fuzz input (fake.in), so the input decides every
 * field a handler looks at, qualification included.
 */
#ifndef EXITVISOR_FUZZ_FAKE_HW_H
#define EXITVISOR_FUZZ_FAKE_HW_H
#include <setjmp.h>
#include "hv/types.h"

#define cpuid_ex hw_unused_cpuid_ex
#define rdmsr hw_unused_rdmsr
#define wrmsr hw_unused_wrmsr
#define rdtsc hw_unused_rdtsc
#define outb hw_unused_outb
#define inb hw_unused_inb
#define outw hw_unused_outw
#define outl hw_unused_outl
#define inw hw_unused_inw
#define inl hw_unused_inl
#define wbinvd hw_unused_wbinvd
#define cpu_pause hw_unused_cpu_pause
#define halt_forever hw_unused_halt_forever
#define vmread_checked hw_unused_vmread_checked
#define vmwrite_checked hw_unused_vmwrite_checked
#define invvpid hw_unused_invvpid
#define invept hw_unused_invept
#include "hv/arch/x86.h"
#include "hv/arch/vmx.h"
#undef cpuid_ex
#undef rdmsr
#undef wrmsr
#undef rdtsc
#undef outb
#undef inb
#undef outw
#undef outl
#undef inw
#undef inl
#undef wbinvd
#undef cpu_pause
#undef halt_forever
#undef vmread_checked
#undef vmwrite_checked
#undef invvpid
#undef invept

void fake_cpuid_ex(u32 leaf, u32 subleaf, struct cpuid_regs *r);
u64 fake_rdmsr(u32 msr);
void fake_wrmsr(u32 msr, u64 v);
u64 fake_rdtsc(void);
void fake_outb(u16 port, u8 v);
u8 fake_inb(u16 port);
void fake_outw(u16 port, u16 v);
void fake_outl(u16 port, u32 v);
u16 fake_inw(u16 port);
u32 fake_inl(u16 port);
void fake_wbinvd(void);
void fake_cpu_pause(void);
void __attribute__((noreturn)) fake_halt_forever(void);
enum vmx_status fake_vmread_checked(u64 field, u64 *value);
enum vmx_status fake_vmwrite_checked(u64 field, u64 value);
enum vmx_status fake_invvpid(u64 type, const struct invvpid_descriptor *d);
enum vmx_status fake_invept(u64 type, const struct invept_descriptor *d);
#define cpuid_ex fake_cpuid_ex
#define rdmsr fake_rdmsr
#define wrmsr fake_wrmsr
#define rdtsc fake_rdtsc
#define outb fake_outb
#define inb fake_inb
#define outw fake_outw
#define outl fake_outl
#define inw fake_inw
#define inl fake_inl
#define wbinvd fake_wbinvd
#define cpu_pause fake_cpu_pause
#define halt_forever fake_halt_forever
#define vmread_checked fake_vmread_checked
#define vmwrite_checked fake_vmwrite_checked
#define invvpid fake_invvpid
#define invept fake_invept

struct fin;

#define FAKE_FIELDS 96
#define FAKE_WRITES 64

/* Everything the fakes record and answer. Reset per exit by fake_begin_exit,
 * except the answers the harness sets after it. */
struct fake {
    /* VMCS: current values (preset, lazily read, or written). */
    u32 nr_fields;
    struct { u32 field; u64 value; } field[FAKE_FIELDS];
    u32 nr_writes; /* every VMWRITE in order */
    struct { u32 field; u64 value; } writes[FAKE_WRITES];
    struct fin *in; /* source of values for fields never set */

    /* Answers chosen by the harness. */
    u64 msr_value;        /* what safe_rdmsr reads */
    bool msr_fault;       /* safe_rdmsr/safe_wrmsr raise #GP */
    bool xsetbv_fault;
    bool ipi_delivers;    /* ipi_intercept_icr takes the IPI */
    bool nmi_was_kick;
    u64 raw_msr_value;    /* plain rdmsr (IA32_TSC_AUX, GS base...) */
    u64 xcr0_supported;   /* CPUID.(0xD,0) EDX:EAX */
    u32 cpuid_seed;       /* other CPUID answers: a hash of leaf, subleaf, seed */
    u64 tsc, tsc_step;
    const u8 *code;       /* guest_read_linear: bytes at code_base.. */
    u64 code_base;
    size_t code_len;

    /* Recorded calls. */
    u32 safe_rdmsr_calls, safe_wrmsr_calls, safe_xsetbv_calls, ipi_calls;
    u32 last_msr, last_xcr, ipi_low, ipi_high;
    u64 last_wrmsr_value, last_xsetbv_value;
    u32 raw_rdmsr_calls, raw_wrmsr_calls, wbinvd_calls, outb_calls, invvpid_calls;
    u32 mailbox_calls, init_state_calls, sipi_vector_calls, sipi_vector;
    u32 log_calls, report_failures;
    u32 mtrr_followed_calls, microcode_calls, apic_base_calls; /* fake_msr_watch.c */
    u64 microcode_linear;
    u64 first_tsc, last_tsc;
    u32 tsc_reads;

    /* vcpu_stop: where to return to, and why it was called. */
    jmp_buf *stop_jmp;
    const char *stop_reason;
};
extern struct fake fake;

/* Start an exit: forget the VMCS and every record; `in` feeds unset fields. */
void fake_begin_exit(struct fin *in);
/* Preset a VMCS field (not recorded as a write). */
void fake_vmcs_set(u32 field, u64 value);
/* The current value of a field (reading it lazily like VMREAD would). */
u64 fake_vmcs_get(u32 field);
/* Number of VMWRITEs to field in this exit; *last = the last value written. */
u32 fake_vmcs_written(u32 field, u64 *last);

#endif
