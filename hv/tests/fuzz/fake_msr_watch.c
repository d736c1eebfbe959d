/* Stand-ins for what hv/exits/msr.c hands a watched write to after it
 * (hv/guest/guest_mtrr.c, hv/guest/guest_microcode.c, hv/guest/guest_apic_base.c): fuzz_msr
 * checks that the handler calls them exactly when it should; fuzz_dispatch
 * runs the real ones. */
#include "fake_hw.h"
#include "hv/guest/guest.h"
#include "hv/guest/guest_mtrr.h"
#include "hv/guest/guest_microcode.h"
#include "hv/guest/guest_apic_base.h"

void guest_mtrr_written(struct vcpu *v, u32 msr)
{
    (void)v;
    (void)msr;
    fake.mtrr_followed_calls++;
}

void guest_microcode_load(struct vcpu *v, u64 linear)
{
    fake.microcode_calls++;
    fake.microcode_linear = linear;
    guest_skip_instruction(v); /* the real one skips or injects #GP(0) */
}

void guest_apic_base_written(struct vcpu *v)
{
    (void)v;
    fake.apic_base_calls++;
}
