/*
 * XSETBV exits unconditionally. XCR0 is not switched between guest and host
 * (root mode never uses extended state), so the handler validates the value
 * as the CPU would and then executes XSETBV for the guest. Rules: SDM Vol. 1
 * 13.3 and the XSETBV instruction page.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../platform/host_exception.h"

static bool xcr0_valid(u64 value)
{
    struct cpuid_regs r;
    cpuid_ex(0xD, 0, &r);
    u64 supported = ((u64)r.edx << 32) | r.eax;

    if ((value & ~supported) || !(value & XCR0_X87))
        return false;
    if ((value & XCR0_AVX) && !(value & XCR0_SSE))
        return false;
    if (((value & XCR0_BNDREGS) != 0) != ((value & XCR0_BNDCSR) != 0))
        return false;
    if ((value & XCR0_AVX512) && ((value & XCR0_AVX512) != XCR0_AVX512 || !(value & XCR0_AVX)))
        return false;
    if (((value & XCR0_TILECFG) != 0) != ((value & XCR0_TILEDATA) != 0))
        return false;
    return true;
}

void handle_xsetbv(struct vcpu *v)
{
    u32 xcr = (u32)v->regs->rcx;
    u64 value = ((v->regs->rdx & 0xFFFFFFFFull) << 32) | (v->regs->rax & 0xFFFFFFFFull);

    if (guest_cpl() != 0 || xcr != 0 || !xcr0_valid(value) || safe_xsetbv(xcr, value)) {
        guest_inject_gp0();
        return;
    }
    guest_skip_instruction(v);
}
