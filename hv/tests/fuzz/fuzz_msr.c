/*
 * fuzz_msr: the MSR rules (hv/exits/msr.c): the MSR bitmap and the RDMSR and
 * WRMSR handlers, run on the host over fake_hw.h (fake VMCS, recorded
 * safe_rdmsr/safe_wrmsr, a stub ipi_intercept_icr) with the real
 * hv/guest/guest.c doing the RIP skip and the #GP injection.
 *
 * fuzz-sources: hv/exits/msr.c hv/guest/guest.c hv/mem/mtrr.c hv/tests/fuzz/fake_hw.c hv/tests/fuzz/fake_msr_watch.c
 * fuzz-cflags: -include hv/tests/fuzz/fake_hw.h
 * fuzz-max-len: 1024
 *
 * Once at start-up, the bitmap (4 KiB, exactly-sized for ASan) in each
 * INIT/SIPI mode, with and without EPT: reads and writes of
 * IA32_FEATURE_CONTROL and every IA32_VMX_* MSR (0x480-0x492) exit, and
 * with init_sipi=intercept the x2APIC ICR's; writes only of
 * IA32_BIOS_UPDT_TRIG, with EPT of the MTRRs (8 variable ranges here), and
 * with init_sipi=intercept and EPT of IA32_APIC_BASE; no other MSR of the two
 * bitmap ranges exits.
 * Per input, up to 32 RDMSR/WRMSR exits with random ECX (the high half of
 * RCX too, which must be ignored), RAX, RDX, other GPRs and hardware answers
 * (the access faults or not, the value read, the ICR write is taken by
 * hv/guest/ipi.c or not). After each exit:
 *   - exactly one outcome: the instruction is skipped (RIP += 2) or #GP(0)
 *     is injected (RIP unchanged); never both, never neither; no vcpu_stop;
 *   - #GP leaves every GPR unchanged;
 *   - RDMSR of a VMX capability MSR: #GP without touching the hardware;
 *     other MSRs: the hardware is read once with ECX; a fault is #GP; else
 *     EDX:EAX = the value (IA32_FEATURE_CONTROL without the two VMX-enable
 *     bits), the high halves of RAX and RDX cleared, other GPRs unchanged;
 *   - WRMSR of IA32_FEATURE_CONTROL or a VMX MSR: #GP and the hardware is
 *     never written; IA32_BIOS_UPDT_TRIG goes to hv/guest/guest_microcode.c with
 *     EDX:EAX and never to the hardware from here; the ICR goes to
 *     hv/guest/ipi.c first (skip if it takes it); otherwise the hardware is
 *     written once with ECX and EDX:EAX (low halves only) and its fault is
 *     the guest's #GP; a write that went through is handed on once to
 *     hv/guest/guest_mtrr.c (an MTRR, with EPT) or hv/guest/guest_apic_base.c
 *     (IA32_APIC_BASE, init_sipi=intercept, EPT), and nothing else is; GPRs
 *     never change.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "fake_hw.h"
#include "hv/vcpu.h"
#include "hv/guest/guest.h"
#include "hv/exits/handlers.h"
#include "hv/arch/msr.h"
#include "hv/arch/vmcs_fields.h"

#define GP0_INFO (INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_ERROR_CODE | 13u)

static bool is_vmx_msr(u32 m) { return m >= 0x480 && m <= 0x492; }
static bool protected_msr(u32 m, bool intercept) { return m == 0x3A || (m == 0x830 && intercept) || is_vmx_msr(m); }
/* The MTRRs with 8 variable ranges, spelled out from the SDM's MSR list. */
static bool is_mtrr(u32 m)
{
    return m == 0x2FF || m == 0x250 || m == 0x258 || m == 0x259 || (m >= 0x268 && m <= 0x26F) ||
           (m >= 0x200 && m <= 0x20F);
}
static bool watched_write(u32 m, bool intercept, bool ept)
{
    return protected_msr(m, intercept) || m == 0x79 || (ept && is_mtrr(m)) || (intercept && ept && m == 0x1B);
}

static bool bitmap_bit(const u8 *bm, u32 base, u32 msr)
{
    u32 bit = msr & 0x1FFF;
    return (bm[base + bit / 8] >> (bit % 8)) & 1;
}

static struct hv_state state; /* hv->opt: the INIT/SIPI mode */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int mode = 0; mode < 4; mode++) {
        bool intercept = mode & 1, ept = mode & 2;
        u8 *bm = calloc(1, 4096);
        state.opt.intercept_init_sipi = intercept;
        state.proc2_ctls = ept ? PROC2_ENABLE_EPT : 0;
        state.mtrr_variable_count = 8;
        msr_bitmap_init(bm, &state);
        for (u32 i = 0; i < 0x2000; i++) {
            u32 lo = i, hi = 0xC0000000u + i;
            FUZZ_CHECK(bitmap_bit(bm, 0, lo) == protected_msr(lo, intercept), "bitmap: read of MSR 0x%x", lo);
            FUZZ_CHECK(bitmap_bit(bm, 2048, lo) == watched_write(lo, intercept, ept), "bitmap: write of MSR 0x%x",
                       lo);
            FUZZ_CHECK(!bitmap_bit(bm, 1024, hi), "bitmap: read of MSR 0x%x", hi);
            FUZZ_CHECK(!bitmap_bit(bm, 3072, hi), "bitmap: write of MSR 0x%x", hi);
        }
        free(bm);
    }
    hv = &state;
    return 0;
}

static u32 pick_msr(struct fin *f)
{
    static const u32 interesting[] = {
        0x3A, 0x830, 0x480, 0x481, 0x485, 0x48B, 0x491, 0x492, 0x47F, 0x493, 0x1B, 0x10, 0x277, 0x2FF, 0x1FFF, 0x2000,
        0x79, 0x8B, 0x200, 0x20F, 0x210, 0x250, 0x26F, 0x270,
        0xC0000080u, 0xC0000100u, 0xC0001FFFu, 0xC0002000u, 0x4000003Au, 0x40000830u, 0x80000480u, 0xFFFFFFFFu,
    };
    u8 sel = fin_u8(f);
    if (sel < 200)
        return interesting[sel % (sizeof(interesting) / sizeof(interesting[0]))];
    return fin_u32(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    jmp_buf stop;
    fake.stop_jmp = &stop;

    for (int exit_no = 0; exit_no < 32 && !fin_done(&f); exit_no++) {
        u8 sel = fin_u8(&f);
        bool write = sel & 1;
        u32 msr = pick_msr(&f);
        struct guest_regs regs, before;
        u64 *r = (u64 *)&regs;
        for (int i = 0; i < 16; i++)
            r[i] = (sel & 2) ? fin_edgy_u64(&f) : 0x1111111111111111ull * (u64)i;
        regs.rcx = ((u64)fin_u32(&f) << 32) | msr;
        before = regs;

        fake_begin_exit(&f);
        fake.msr_fault = sel & 4;
        fake.ipi_delivers = sel & 8;
        state.opt.intercept_init_sipi = (sel & 16) != 0;
        state.proc2_ctls = (sel & 32) ? PROC2_ENABLE_EPT : 0;
        state.mtrr_variable_count = 8;
        fake.msr_value = fin_edgy_u64(&f);
        u64 rip = fin_u64(&f);
        fake_vmcs_set(VMCS_GUEST_RIP, rip);
        fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 2);
        fake_vmcs_set(VMCS_GUEST_CR0, CR0_PE | CR0_PG); /* protected mode: #GP(0) has its error code */
        fake_vmcs_set(VMCS_GUEST_INTERRUPTIBILITY, fin_u8(&f) & 0xF);

        struct vcpu v;
        memset(&v, 0, sizeof(v));
        v.regs = &regs;
        v.index = 0;
        v.exit_reason = write ? 32 : 31;
        if (setjmp(stop)) {
            FUZZ_CHECK(0, "%s of MSR 0x%x stopped the vCPU: %s", write ? "WRMSR" : "RDMSR", msr, fake.stop_reason);
        }
        if (write)
            handle_wrmsr(&v);
        else
            handle_rdmsr(&v);

        u64 new_rip = 0, info = 0, err = 0;
        u32 skipped = fake_vmcs_written(VMCS_GUEST_RIP, &new_rip);
        u32 injected = fake_vmcs_written(VMCS_ENTRY_INTR_INFO, &info);
        FUZZ_CHECK(skipped + injected == 1, "%s 0x%x: %u RIP writes, %u injections", write ? "WRMSR" : "RDMSR", msr,
                   skipped, injected);
        if (skipped)
            FUZZ_CHECK(new_rip == rip + 2, "RIP 0x%llx -> 0x%llx", (unsigned long long)rip,
                       (unsigned long long)new_rip);
        if (injected) {
            FUZZ_CHECK(info == GP0_INFO, "injected 0x%llx, not #GP(0)", (unsigned long long)info);
            FUZZ_CHECK(fake_vmcs_written(VMCS_ENTRY_EXCEPTION_ERROR, &err) == 1 && err == 0, "#GP error code %llu",
                       (unsigned long long)err);
            FUZZ_CHECK(memcmp(&regs, &before, sizeof(regs)) == 0, "#GP changed a GPR (MSR 0x%x)", msr);
        }
        FUZZ_CHECK(fake.raw_rdmsr_calls == 0 && fake.raw_wrmsr_calls == 0, "unchecked rdmsr/wrmsr used");

        if (!write) {
            if (is_vmx_msr(msr)) {
                FUZZ_CHECK(injected && fake.safe_rdmsr_calls == 0, "RDMSR of VMX MSR 0x%x: hardware read %u times",
                           msr, fake.safe_rdmsr_calls);
                continue;
            }
            FUZZ_CHECK(fake.safe_rdmsr_calls == 1 && fake.last_msr == msr, "RDMSR 0x%x: %u reads, last 0x%x", msr,
                       fake.safe_rdmsr_calls, fake.last_msr);
            FUZZ_CHECK(injected == fake.msr_fault, "RDMSR 0x%x: fault %d, injected %u", msr, fake.msr_fault, injected);
            if (injected)
                continue;
            u64 want = fake.msr_value;
            if (msr == 0x3A)
                want &= ~(u64)6; /* VMX in/outside SMX: the guest must not see them enabled */
            FUZZ_CHECK(regs.rax == (want & 0xFFFFFFFFu) && regs.rdx == want >> 32,
                       "RDMSR 0x%x: EDX:EAX %llx:%llx, want %llx", msr, (unsigned long long)regs.rdx,
                       (unsigned long long)regs.rax, (unsigned long long)want);
            struct guest_regs rest = regs;
            rest.rax = before.rax;
            rest.rdx = before.rdx;
            FUZZ_CHECK(memcmp(&rest, &before, sizeof(rest)) == 0, "RDMSR changed a GPR besides RAX/RDX");
        } else {
            FUZZ_CHECK(memcmp(&regs, &before, sizeof(regs)) == 0, "WRMSR 0x%x changed a GPR", msr);
            if (msr == 0x3A || is_vmx_msr(msr)) {
                FUZZ_CHECK(injected && fake.safe_wrmsr_calls == 0, "WRMSR of protected MSR 0x%x reached the hardware",
                           msr);
                continue;
            }
            u64 value = ((before.rdx & 0xFFFFFFFFu) << 32) | (before.rax & 0xFFFFFFFFu);
            bool ept = (state.proc2_ctls & PROC2_ENABLE_EPT) != 0, intercept = state.opt.intercept_init_sipi;
            if (msr == 0x79) {
                FUZZ_CHECK(fake.microcode_calls == 1 && fake.microcode_linear == value && fake.safe_wrmsr_calls == 0,
                           "microcode trigger: %u loads of 0x%llx, %u direct writes", fake.microcode_calls,
                           (unsigned long long)fake.microcode_linear, fake.safe_wrmsr_calls);
                continue;
            }
            FUZZ_CHECK(fake.microcode_calls == 0, "WRMSR 0x%x went to hv/guest/guest_microcode.c", msr);
            bool through = !fake.msr_fault;
            FUZZ_CHECK(fake.mtrr_followed_calls == (ept && is_mtrr(msr) && through),
                       "WRMSR 0x%x (EPT %d, fault %d): handed to hv/guest/guest_mtrr.c %u times", msr, ept, fake.msr_fault,
                       fake.mtrr_followed_calls);
            FUZZ_CHECK(fake.apic_base_calls == (intercept && ept && msr == 0x1B && through),
                       "WRMSR 0x%x (intercept %d, fault %d): handed to hv/guest/guest_apic_base.c %u times", msr, intercept,
                       fake.msr_fault, fake.apic_base_calls);
            if (msr == 0x830 && state.opt.intercept_init_sipi) {
                FUZZ_CHECK(fake.ipi_calls == 1 && fake.ipi_low == (u32)value && fake.ipi_high == (u32)(value >> 32),
                           "ICR write: %u calls to hv/guest/ipi.c", fake.ipi_calls);
                if (fake.ipi_delivers) {
                    FUZZ_CHECK(skipped && fake.safe_wrmsr_calls == 0, "ICR taken by hv/guest/ipi.c but also written");
                    continue;
                }
            } else {
                FUZZ_CHECK(fake.ipi_calls == 0, "WRMSR 0x%x went to hv/guest/ipi.c", msr);
            }
            FUZZ_CHECK(fake.safe_wrmsr_calls == 1 && fake.last_msr == msr && fake.last_wrmsr_value == value,
                       "WRMSR 0x%x: %u writes of 0x%llx to 0x%x, want 0x%llx", msr, fake.safe_wrmsr_calls,
                       (unsigned long long)fake.last_wrmsr_value, fake.last_msr, (unsigned long long)value);
            FUZZ_CHECK(injected == fake.msr_fault, "WRMSR 0x%x: fault %d, injected %u", msr, fake.msr_fault, injected);
        }
    }
    fake.stop_jmp = NULL;
    return 0;
}
