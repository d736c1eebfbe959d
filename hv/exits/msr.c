/*
 * RDMSR/WRMSR. The MSR bitmap lets every MSR in the two bitmap ranges go
 * straight to the hardware except those that would reveal or change VMX
 * (IA32_FEATURE_CONTROL and the IA32_VMX_* capability MSRs: reads and
 * writes) and writes exitvisor must act on (exitvisor's own exits, see
 * msr_write_is_watched):
 *   - the MTRRs: the EPT follows their memory types (hv/guest/guest_mtrr.c);
 *   - IA32_BIOS_UPDT_TRIG: a microcode update is loaded from root
 *     operation, never in non-root (hv/guest/guest_microcode.c);
 *   - with init_sipi=intercept only, the x2APIC ICR, so INIT/SIPI between
 *     vCPUs can be delivered virtually (hv/guest/ipi.c), and IA32_APIC_BASE, so
 *     the write-protected xAPIC page follows a move (hv/guest/guest_apic_base.c).
 * MSRs outside the bitmap ranges always exit; they are passed through,
 * and a #GP the real access raises is given to the guest, as the hardware
 * would.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../platform/host_exception.h"
#include "../arch/msr.h"
#include "../guest/ipi.h"
#include "../guest/guest_mtrr.h"
#include "../guest/guest_microcode.h"
#include "../guest/guest_apic_base.h"
#include "../mem/mtrr.h"
#include "../arch/vmcs_fields.h"

/* Every MSR named here lies in one of the bitmap's ranges. */
static void intercept_writes(u8 *bitmap, u32 msr)
{
    u32 byte;
    u8 mask;
    if (msr_bitmap_bit(msr, &byte, &mask))
        bitmap[2048 + byte] |= mask;
}

static void intercept(u8 *bitmap, u32 msr)
{
    u32 byte;
    u8 mask;
    if (msr_bitmap_bit(msr, &byte, &mask))
        bitmap[byte] |= mask;
    intercept_writes(bitmap, msr);
}

/* The MTRR and xAPIC-base followers change the EPT: without it the MTRRs
 * act on guest accesses directly and no page is write-protected. */
static bool has_ept(const struct hv_state *h)
{
    return (h->proc2_ctls & PROC2_ENABLE_EPT) != 0;
}

void msr_bitmap_init(u8 *bitmap, const struct hv_state *h)
{
    intercept(bitmap, MSR_IA32_FEATURE_CONTROL);
    if (h->opt.intercept_init_sipi) {
        intercept(bitmap, MSR_X2APIC_ICR); /* INIT/SIPI between vCPUs, hv/guest/ipi.c */
        if (has_ept(h))
            intercept_writes(bitmap, MSR_IA32_APIC_BASE); /* the protected xAPIC page follows */
    }
    for (u32 msr = MSR_IA32_VMX_FIRST; msr <= MSR_IA32_VMX_LAST; msr++)
        intercept(bitmap, msr);
    intercept_writes(bitmap, MSR_IA32_BIOS_UPDT_TRIG);
    for (u32 msr = MSR_IA32_MTRR_PHYSBASE0; msr <= MSR_IA32_MTRR_DEF_TYPE; msr++)
        if (has_ept(h) && mtrr_msr_is(msr, h->mtrr_variable_count))
            intercept_writes(bitmap, msr);
}

static bool is_vmx_capability_msr(u32 msr)
{
    return msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST;
}

void handle_rdmsr(struct vcpu *v)
{
    u32 msr = (u32)v->regs->rcx;
    u64 value;

    if (is_vmx_capability_msr(msr)) {
        /* CPUID says "no VMX": reading these faults on such a CPU. */
        guest_inject_gp0();
        return;
    }
    if (safe_rdmsr(msr, &value)) {
        guest_inject_gp0();
        return;
    }
    if (msr == MSR_IA32_FEATURE_CONTROL)
        value &= ~(FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
    v->regs->rax = (u32)value;
    v->regs->rdx = (u32)(value >> 32);
    guest_skip_instruction(v);
}

void handle_wrmsr(struct vcpu *v)
{
    u32 msr = (u32)v->regs->rcx;
    u64 value = ((v->regs->rdx & 0xFFFFFFFFull) << 32) | (v->regs->rax & 0xFFFFFFFFull);

    /* IA32_FEATURE_CONTROL is locked (exitvisor locked it if firmware had
     * not): a write faults on hardware. The VMX MSRs are read-only. */
    if (msr == MSR_X2APIC_ICR && hv->opt.intercept_init_sipi && ipi_intercept_icr(v, (u32)value, (u32)(value >> 32))) {
        guest_skip_instruction(v);
        return;
    }
    if (msr == MSR_IA32_BIOS_UPDT_TRIG) {
        guest_microcode_load(v, value);
        return;
    }
    if (msr == MSR_IA32_FEATURE_CONTROL || is_vmx_capability_msr(msr) || safe_wrmsr(msr, value)) {
        guest_inject_gp0();
        return;
    }
    if (has_ept(hv) && mtrr_msr_is(msr, hv->mtrr_variable_count))
        guest_mtrr_written(v, msr);
    else if (msr == MSR_IA32_APIC_BASE && hv->opt.intercept_init_sipi && has_ept(hv))
        guest_apic_base_written(v);
    guest_skip_instruction(v);
}
