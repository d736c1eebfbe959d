/* Fakes and stubs behind fake_hw.h: a VMCS, MSRs, CPUID, TSC and the
 * hypervisor services the exit handlers call. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "fake_hw.h"
#include "hv/vcpu.h"
#include "hv/platform/diag.h"
#include "hv/guest/ipi.h"
#include "hv/platform/log.h"
#include "hv/platform/serial.h"
#include "hv/mem/guest_mem.h"
#include "hv/vmx/vmcs.h"
#include "hv/vmx/vmcs_setup.h"
#include "hv/platform/host_exception.h"

struct fake fake;
struct hv_state *hv; /* the real one lives in hv/launch.c */

void fake_begin_exit(struct fin *in)
{
    jmp_buf *j = fake.stop_jmp;
    /* Keep the answers, clear the VMCS and the records. */
    fake.nr_fields = 0;
    fake.nr_writes = 0;
    fake.in = in;
    fake.safe_rdmsr_calls = fake.safe_wrmsr_calls = fake.safe_xsetbv_calls = fake.ipi_calls = 0;
    fake.last_msr = fake.last_xcr = fake.ipi_low = fake.ipi_high = 0;
    fake.last_wrmsr_value = fake.last_xsetbv_value = 0;
    fake.raw_rdmsr_calls = fake.raw_wrmsr_calls = fake.wbinvd_calls = fake.outb_calls = fake.invvpid_calls = 0;
    fake.mailbox_calls = fake.init_state_calls = fake.sipi_vector_calls = fake.sipi_vector = 0;
    fake.log_calls = fake.report_failures = 0;
    fake.mtrr_followed_calls = fake.microcode_calls = fake.apic_base_calls = 0;
    fake.microcode_linear = 0;
    fake.first_tsc = fake.last_tsc = 0;
    fake.tsc_reads = 0;
    fake.stop_reason = NULL;
    fake.stop_jmp = j;
}

static int find(u32 field)
{
    for (u32 i = 0; i < fake.nr_fields; i++)
        if (fake.field[i].field == field)
            return (int)i;
    return -1;
}

void fake_vmcs_set(u32 field, u64 value)
{
    int i = find(field);
    if (i < 0) {
        FUZZ_CHECK(fake.nr_fields < FAKE_FIELDS, "fake VMCS full");
        i = (int)fake.nr_fields++;
        fake.field[i].field = field;
    }
    fake.field[i].value = value;
}

u64 fake_vmcs_get(u32 field)
{
    int i = find(field);
    if (i < 0) {
        fake_vmcs_set(field, fake.in ? fin_u64(fake.in) : 0);
        i = find(field);
    }
    return fake.field[i].value;
}

u32 fake_vmcs_written(u32 field, u64 *last)
{
    u32 n = 0;
    for (u32 i = 0; i < fake.nr_writes; i++)
        if (fake.writes[i].field == field) {
            n++;
            if (last)
                *last = fake.writes[i].value;
        }
    return n;
}

enum vmx_status fake_vmread_checked(u64 field, u64 *value)
{
    *value = fake_vmcs_get((u32)field);
    return VMX_OK;
}

enum vmx_status fake_vmwrite_checked(u64 field, u64 value)
{
    FUZZ_CHECK(fake.nr_writes < FAKE_WRITES, "more than %d VMWRITEs in one exit", FAKE_WRITES);
    fake.writes[fake.nr_writes].field = (u32)field;
    fake.writes[fake.nr_writes].value = value;
    fake.nr_writes++;
    fake_vmcs_set((u32)field, value);
    return VMX_OK;
}

void vmcs_report_failure(const char *op, u32 field, enum vmx_status st)
{
    (void)op;
    (void)field;
    (void)st;
    fake.report_failures++;
}

u32 vmcs_failures(void) { return fake.report_failures; }
u32 vmcs_instruction_error(void) { return 0; }

enum vmx_status fake_invvpid(u64 type, const struct invvpid_descriptor *d)
{
    (void)type;
    (void)d;
    fake.invvpid_calls++;
    return VMX_OK;
}

enum vmx_status fake_invept(u64 type, const struct invept_descriptor *d)
{
    (void)type;
    (void)d;
    return VMX_OK;
}

void fake_cpuid_ex(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
    if (leaf == 0xD && subleaf == 0) {
        r->eax = (u32)fake.xcr0_supported;
        r->edx = (u32)(fake.xcr0_supported >> 32);
        r->ebx = r->ecx = 0;
        return;
    }
    /* Any deterministic mix will do: the harness recomputes it. */
    u32 h = (leaf * 0x9E3779B1u) ^ (subleaf * 0x85EBCA77u) ^ fake.cpuid_seed;
    r->eax = h;
    r->ebx = h * 3u + 1;
    r->ecx = h ^ 0xFFFF0000u;
    r->edx = ~h;
}

u64 fake_rdmsr(u32 msr)
{
    (void)msr;
    fake.raw_rdmsr_calls++;
    return fake.raw_msr_value;
}

void fake_wrmsr(u32 msr, u64 v)
{
    (void)msr;
    (void)v;
    fake.raw_wrmsr_calls++;
}

u64 fake_rdtsc(void)
{
    fake.tsc += fake.tsc_step;
    if (!fake.tsc_reads++)
        fake.first_tsc = fake.tsc;
    fake.last_tsc = fake.tsc;
    return fake.tsc;
}

void fake_outb(u16 port, u8 v)
{
    (void)port;
    (void)v;
    fake.outb_calls++;
}

u8 fake_inb(u16 port)
{
    (void)port;
    return 0xFF;
}

/* The I/O exit handler's wider accesses (hv/exits/io.c): recorded as port
 * writes, reads return all ones like a floating bus. */
void fake_outw(u16 port, u16 v)
{
    (void)port;
    (void)v;
    fake.outb_calls++;
}

void fake_outl(u16 port, u32 v)
{
    (void)port;
    (void)v;
    fake.outb_calls++;
}

u16 fake_inw(u16 port)
{
    (void)port;
    return 0xFFFF;
}

u32 fake_inl(u16 port)
{
    (void)port;
    return 0xFFFFFFFFu;
}

void fake_wbinvd(void) { fake.wbinvd_calls++; }
void fake_cpu_pause(void) {}

void fake_halt_forever(void)
{
    FUZZ_CHECK(0, "halt_forever reached");
    __builtin_unreachable();
}

/* ---- hv services ---- */

int safe_rdmsr(u32 msr, u64 *value)
{
    fake.safe_rdmsr_calls++;
    fake.last_msr = msr;
    if (fake.msr_fault)
        return 1;
    *value = fake.msr_value;
    return 0;
}

int safe_wrmsr(u32 msr, u64 value)
{
    fake.safe_wrmsr_calls++;
    fake.last_msr = msr;
    fake.last_wrmsr_value = value;
    return fake.msr_fault;
}

int safe_xsetbv(u32 xcr, u64 value)
{
    fake.safe_xsetbv_calls++;
    fake.last_xcr = xcr;
    fake.last_xsetbv_value = value;
    return fake.xsetbv_fault;
}

bool ipi_intercept_icr(struct vcpu *sender, u32 icr_low, u32 dest_apic_id)
{
    (void)sender;
    fake.ipi_calls++;
    fake.ipi_low = icr_low;
    fake.ipi_high = dest_apic_id;
    return fake.ipi_delivers;
}

void ipi_process_mailbox(struct vcpu *v)
{
    (void)v;
    fake.mailbox_calls++;
}

bool ipi_nmi_was_kick(struct vcpu *v)
{
    (void)v;
    return fake.nmi_was_kick;
}

void vcpu_stop(struct vcpu *v, const char *why)
{
    (void)v;
    FUZZ_CHECK(why && why[0], "vcpu_stop without a reason");
    fake.stop_reason = why;
    FUZZ_CHECK(fake.stop_jmp != NULL, "vcpu_stop outside an exit: %s", why);
    longjmp(*fake.stop_jmp, 1);
}

void vcpu_dump_state(struct vcpu *v) { (void)v; }

void serial_drain(void) {}

void hv_log_drain(void) {}

void log_exit(struct vcpu *v, const char *what)
{
    (void)v;
    FUZZ_CHECK(what != NULL, "log_exit(NULL)");
    fake.log_calls++;
}

void hv_log(const char *fmt, ...)
{
    /* Format for real, so a bad argument for a conversion shows up (ASan). */
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fake.log_calls++;
}

void vmresume_failed(struct vcpu *v, u64 fail_invalid)
{
    (void)v;
    (void)fail_invalid;
    FUZZ_CHECK(0, "vmresume_failed called from an exit handler");
    __builtin_unreachable();
}

bool guest_read_linear(u64 linear, u8 *buf, size_t n)
{
    u64 off = linear - fake.code_base;
    if (linear < fake.code_base || off > fake.code_len || n > fake.code_len - off)
        return false;
    memcpy(buf, fake.code + off, n);
    return true;
}

/* A microcode update's buffer: never one physical run here (hv/guest/guest_microcode.c then says so). */
bool guest_linear_run(u64 linear, u64 n, u64 *pa)
{
    (void)linear;
    (void)n;
    (void)pa;
    return false;
}

void vmcs_set_guest_init_state(u32 activity)
{
    (void)activity;
    fake.init_state_calls++;
}

void vmcs_start_at_sipi_vector(u32 vector)
{
    fake.sipi_vector_calls++;
    fake.sipi_vector = vector;
}
