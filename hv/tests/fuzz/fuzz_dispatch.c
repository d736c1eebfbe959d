/*
 * fuzz_dispatch: the VM-exit dispatcher (hv/exit_dispatch.c) and every exit
 * handler (every file in hv/exits/, with the real hv/guest/guest.c), on random exit reasons,
 * qualifications and guest state, over fake_hw.h's fake VMCS and hardware.
 *
 * fuzz-sources: hv/exit_dispatch.c hv/exits/[a-z]*.c hv/guest/guest.c hv/guest/guest_events.c hv/guest/nmi_window.c hv/guest/init_state.c hv/platform/platform.c hv/stats/leaves.c hv/stats/exit_stats.c hv/stats/exit_names.c hv/stats/exit_possible.c hv/guest/insn_decode.c hv/stats/stats_report.c hv/stats/timeline.c hv/stats/log_ring.c hv/platform/fmt.c hv/guest/guest_mtrr.c hv/guest/guest_microcode.c hv/guest/guest_apic_base.c hv/mem/ept_edit.c hv/mem/ept_live.c hv/mem/arena.c hv/mem/mtrr.c hv/mem/mtrr_read.c hv/guest/microcode.c hv/tests/fuzz/fake_hw.c
 * fuzz-cflags: -include hv/tests/fuzz/fake_hw.h
 * fuzz-max-len: 2048
 *
 * Per input: 1-4 vCPUs with their counter shards, the controls-derived
 * possible[] map, VMX fixed bits, hypervisor memory ranges and an APIC page
 * (a host buffer); then up to 24 exits. Each exit has a raw 32-bit
 * exit-reason field (any basic reason 0..95, entry-failure and other high
 * bits, or any 32-bit value), random GPRs and a fake VMCS in which every
 * field the code reads (qualification, interruption info, guest CR0/CR4,
 * SS.DPL, EFER, GPA...) comes from the input. vmexit_dispatch runs; a
 * vcpu_stop longjmps back. Checked after every exit:
 *   counting   defined basic reason: its count and the total in this vCPU's
 *              shard +1, before the handler (also when it stops); its cycles
 *              and total cycles + (last RDTSC - first RDTSC) unless it
 *              stopped; nothing else in the shard changes. Undefined basic
 *              reason: the vCPU stops, no counter, no VMWRITE, no GPR change.
 *   outcome    at most one RIP write and one VM-entry event; never a skipped
 *              instruction together with an injected exception; an injected
 *              exception leaves the GPRs alone and, unless reflected, sets
 *              RFLAGS.RF (#GP and #UD are faults); #GP(0) has no error code
 *              in real mode; guest_events_before_entry looked at the mailbox
 *              once with init_sipi=intercept, never with native (unless stopped).
 *   VMX instructions and GETSEC: #UD, nothing else changes.
 *   VMCALL     RAX = 0 for PING and PRINT_STATS at CPL 0, else all ones; RIP
 *              skipped; PRINT_STATS logs the exit table (a header, a line
 *              per reason counted, a total), any other call logs nothing.
 *   CPUID      hypervisor range: exactly exv_leaf_answer; leaf 1: VMX and SMX
 *              hidden, hypervisor bit set, OSXSAVE = guest CR4.OSXSAVE;
 *              high halves cleared; other GPRs unchanged.
 *   RDMSR/WRMSR one outcome (fuzz_msr checks the rules in detail).
 *   XSETBV     CPL > 0, ECX != 0 or an invalid XCR0 (SDM Vol. 1 13.3) is #GP
 *              and never reaches the hardware.
 *   CR access  the real CR0/CR4 written always hold the VMX fixed-0 bits and
 *              no bit outside fixed-1; the CR4 read shadow never shows VMXE or
 *              SMXE; a refused write (#GP) changes no control register.
 *   EPT        an access to hypervisor memory is #GP(0) and writes nothing; a
 *              store to the APIC page writes exactly the decoded value, 4 or
 *              1 bytes, at the decoded offset (or, with init_sipi=intercept,
 *              hands the ICR to hv/guest/ipi.c), gives XCHG's register the old
 *              value and advances RIP by the decoded length; no other byte
 *              of the page changes.
 *   triple fault   logged with the exit table, platform reset attempted, stop.
 *   exception/NMI  a reflected event is the exit's event, never more.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "fake_hw.h"
#include "hv/stats/abi.h"
#include "hv/vcpu.h"
#include "hv/guest/guest.h"
#include "hv/guest/insn_decode.h"
#include "hv/arch/msr.h"
#include "hv/arch/vmcs_fields.h"

void vmexit_dispatch(struct guest_regs *regs, struct vcpu *v); /* hv/exit_dispatch.c */
int exit_dispatch_self_check(void);

#define MAX_VCPUS 4
#define MAX_EXITS 24
#define UD_INFO (INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6u)
/* #GP(0) as injected: no error code in real mode (guest CR0.PE = 0). */
#define GP0_INFO                                                                                                 \
    (INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 13u |                                                            \
     ((fake_vmcs_get(VMCS_GUEST_CR0) & CR0_PE) ? INTR_INFO_DELIVER_ERROR_CODE : 0))

static struct hv_state state;
static struct exit_stats stats;
static struct timeline timeline;
static struct log_ring log_ring;
static struct vcpu vcpus[MAX_VCPUS];
static u8 apic_buf[4096] __attribute__((aligned(4096)));
static u8 msr_bitmap[4096]; /* built per input by msr_bitmap_init, as at launch */
static u8 apic_before[4096], apic_pattern[4096];
static u8 code[32];

static bool is_refused_vmx_insn(u32 r)
{
    return r == 11 || (r >= 19 && r <= 27) || r == 50 || r == 53 || r == 59;
}

/* SDM Vol. 1 13.3 and the XSETBV page: which XCR0 values are valid. */
static bool xcr0_valid_ref(u64 v, u64 supported)
{
    if (v & ~supported)
        return false;
    if (!(v & 1))
        return false;                       /* x87 */
    if ((v & 4) && !(v & 2))
        return false;                       /* AVX needs SSE */
    if (((v >> 3) & 1) != ((v >> 4) & 1))
        return false;                       /* BNDREGS and BNDCSR together */
    if ((v & 0xE0) && ((v & 0xE0) != 0xE0 || !(v & 4)))
        return false;                       /* AVX-512: all three, and AVX */
    if (((v >> 17) & 1) != ((v >> 18) & 1))
        return false;                       /* AMX TILECFG and TILEDATA together */
    return true;
}

static void setup(struct fin *f)
{
    memset(&state, 0, sizeof(state));
    memset(vcpus, 0, sizeof(vcpus));
    hv = &state;
    u32 nr = 1 + fin_u8(f) % MAX_VCPUS;
    /* What exit_stats_reset(&stats, nr) does (fuzz_leaves covers it), with
     * a memset instead of its byte loop, which dominated the run time. */
    memset(&stats, 0, sizeof(stats));
    stats.nr_vcpus = nr;
    state.nr_vcpus = nr;
    state.nr_launched = nr;
    state.nr_cpus_present = nr;
    state.vcpus = vcpus;
    state.stats = &stats;
    /* The timeline: sampling from a TSC the input picks (the fake RDTSC
     * counts up from fake.tsc), or never started. */
    timeline_reset(&timeline, 0);
    state.timeline = &timeline;
    log_ring_reset(&log_ring);
    state.log_ring = &log_ring;
    state.boot_log_open = fin_u8(f) & 1;
    state.apic_page = (u64)(uintptr_t)apic_buf;
    for (u32 i = 0; i < nr; i++) {
        vcpus[i].index = vcpus[i].apic_id = i;
        vcpus[i].shard = &stats.shard[i];
        vcpus[i].apic_page = state.apic_page; /* no xAPIC moved (hv/guest/guest_apic_base.c needs a real EPT) */
    }
    for (u32 r = 0; r < EXIT_REASON_COUNT; r += 8) {
        u8 bits = fin_u8(f);
        for (u32 b = 0; b < 8 && r + b < EXIT_REASON_COUNT; b++)
            state.possible[r + b] = (bits >> b) & 1;
    }

    /* VMX fixed bits as the capability MSRs report them: fixed0 within
     * fixed1; CR4.VMXE always fixed to 1 in VMX operation. */
    u8 sel = fin_u8(f);
    state.cr0_fixed0 = (sel & 1) ? (CR0_PE | CR0_NE | CR0_PG) : (fin_u64(f) & 0xFFFFFFFFu);
    state.cr0_fixed1 = ((sel & 2) ? 0xFFFFFFFFull : fin_u64(f)) | state.cr0_fixed0;
    state.cr4_fixed0 = CR4_VMXE | ((sel & 4) ? 0 : (fin_u64(f) & 0x00FFFFFFu));
    state.cr4_fixed1 = ((sel & 8) ? 0x3767FFull : fin_u64(f)) | state.cr4_fixed0;
    state.proc2_ctls = fin_u32(f);
    state.has_wait_for_sipi = sel & 16;
    state.opt.intercept_init_sipi = (sel & 32) != 0;
    state.opt.watch_reset_port = (sel & 64) != 0;
    state.has_nmi_window = (sel & 128) != 0;
    state.pin_ctls = state.opt.intercept_init_sipi ? PIN_NMI_EXITING : 0;
    state.mtrr_variable_count = fin_u8(f) % 40; /* IA32_MTRRCAP.VCNT; above 32 is capped */
    memset(msr_bitmap, 0, sizeof(msr_bitmap));
    msr_bitmap_init(msr_bitmap, &state);
    state.msr_bitmap = msr_bitmap;
    state.cr0_mask = fin_u64(f);
    state.cr4_mask = fin_u64(f) | CR4_VMXE | CR4_SMXE;
    state.nr_memory = fin_u8(f) % 4;
    for (u32 i = 0; i < state.nr_memory; i++) {
        /* Realistic: below 2^52 and at most 2^32 pages, so no range wraps. */
        state.memory[i].base = fin_u64(f) & 0x000FFFFFFFFFF000ull;
        state.memory[i].pages = fin_u32(f);
        state.memory[i].kind = 1 + i;
    }
    state.leaf_env = (struct leaf_env){ .stats = &stats, .possible = state.possible,
                                        .vcpus_launched = &state.nr_launched, .memory = state.memory,
                                        .nr_memory = state.nr_memory, .timeline = &timeline,
                                        .vcpus = state.leaf_vcpus };
    exv_leaf_env_classify(&state.leaf_env);
    memcpy(apic_buf, apic_pattern, sizeof(apic_buf));

    fake.xcr0_supported = (fin_u8(f) & 1) ? 0x2E7ull : fin_u64(f);
    fake.cpuid_seed = fin_u32(f);
    fake.tsc = fin_u64(f);
    if (fin_u8(f) & 1)
        timeline_start(&timeline, fake.tsc - fin_u8(f) * TIMELINE_FIRST_INTERVAL / 64);
    fake.tsc_step = 1 + fin_u8(f);
    fake.raw_msr_value = fin_u64(f);
}

static u32 pick_reason(struct fin *f)
{
    u8 sel = fin_u8(f);
    if (sel < 160)
        return fin_u8(f) % 96;                                   /* any basic reason, defined or not */
    if (sel < 192)
        return EXIT_REASON_ENTRY_FAILURE | (fin_u8(f) % 96);     /* entry failures and nonsense with bit 31 */
    if (sel < 224)
        return (fin_u8(f) % 96) | ((u32)fin_u16(f) << 16);       /* any high bits */
    return fin_u32(f);
}

static bool in_hv_memory(u64 gpa)
{
    for (u32 i = 0; i < state.nr_memory; i++) {
        const struct hv_memory_range *m = &state.memory[i];
        if (gpa >= m->base && gpa - m->base < m->pages * 4096)
            return true;
    }
    return false;
}

static void one_exit(struct fin *f, jmp_buf *stop)
{
    struct vcpu *v = &vcpus[fin_u8(f) % state.nr_vcpus];
    u32 raw = pick_reason(f);
    u32 basic = raw & 0xFFFF;
    struct guest_regs regs, before;
    u64 *r = (u64 *)&regs;
    u8 shape = fin_u8(f);

    /* RAX, RCX, RDX from the input; the other GPRs too, or a pattern
     * (keeps most inputs short). */
    bool all_regs = fin_u8(f) & 1;
    for (int i = 0; i < 16; i++)
        r[i] = (all_regs || i < 3) ? fin_edgy_u64(f) : 0x0101010101010101ull * (u64)i;
    if (basic == EXIT_REASON_CPUID && (shape & 3)) {
        static const u32 leaves[] = { 1, 7, 0xD, 0x40000000u, 0x40000002u, 0x4FFFFFFEu, 0x4FFFFFFCu, 0x4FFFFFFFu };
        regs.rax = leaves[fin_u8(f) % 8] | ((u64)fin_u32(f) << 32);
    }
    if (basic == EXIT_REASON_VMCALL && (shape & 3))
        regs.rax = ((shape & 16) ? EXV_VMCALL_PRINT_STATS : (shape & 64) ? EXV_VMCALL_BOOT_LOG : EXV_VMCALL_PING) |
                   ((shape & 4) ? (u64)fin_u32(f) << 32 : 0);
    if ((basic == EXIT_REASON_WRMSR || basic == EXIT_REASON_RDMSR) && (shape & 3)) {
        /* The MSRs exitvisor watches or refuses, and their neighbours. */
        static const u32 msrs[] = { 0x79, 0x2FF, 0x200, 0x20F, 0x23F, 0x250, 0x26F, 0x270, 0x1B, 0x830, 0x3A, 0x480 };
        regs.rcx = msrs[fin_u8(f) % 12] | ((u64)fin_u32(f) << 32);
    }
    if (basic == EXIT_REASON_XSETBV && (shape & 3)) {
        regs.rcx = (shape & 4) ? 0 : regs.rcx;
        regs.rax = (u32)(fake.xcr0_supported & fin_u64(f)) | 1;
    }
    before = regs;

    fake_begin_exit(f);
    fake.msr_fault = shape & 8;
    fake.xsetbv_fault = shape & 16;
    fake.ipi_delivers = shape & 32;
    fake.nmi_was_kick = shape & 64;
    fake.msr_value = fin_u64(f);
    v->root_events = fin_bool(f) ? ROOT_EVENT_NMI : 0;
    v->guest_nmi_pending = fin_bool(f);
    /* Something posted by another vCPU, or a vCPU halted in its INIT state
     * (init_sipi=intercept only: nothing posts or halts otherwise). */
    if (state.opt.intercept_init_sipi) {
        v->mailbox = fin_bool(f) ? (1u << 9) | 0x10 : 0;
        v->waiting_for_sipi = fin_bool(f);
    }
    bool mailbox_waiting = v->mailbox || v->waiting_for_sipi;

    u64 rip = fin_u64(f), cs_base = (shape & 128) ? 0 : fin_u64(f);
    fake_vmcs_set(VMCS_EXIT_REASON, raw);
    fake_vmcs_set(VMCS_GUEST_RIP, rip);
    fake_vmcs_set(VMCS_GUEST_CS_BASE, cs_base);
    fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 1 + fin_u8(f) % 15);
    fake_vmcs_set(VMCS_ENTRY_INTR_INFO, 0); /* every VM exit clears its valid bit */
    u64 gpa = 0;
    if (basic == EXIT_REASON_EPT_VIOLATION) {
        u8 where = fin_u8(f);
        if (where < 128)
            gpa = state.apic_page + (fin_u16(f) & 0xFFF);
        else if (where < 192 && state.nr_memory)
            gpa = state.memory[where % state.nr_memory].base + fin_u32(f) % (state.memory[where % state.nr_memory].pages * 4096 + 1);
        else
            gpa = fin_u64(f);
        fake_vmcs_set(VMCS_GUEST_PHYSICAL_ADDRESS, gpa);
        fake_vmcs_set(VMCS_EXIT_QUALIFICATION, (where & 1) ? 2 : fin_u64(f));
        size_t n = fin_u8(f) % (sizeof(code) + 1);
        for (size_t i = 0; i < n; i++)
            code[i] = fin_u8(f);
        fake.code = code;
        fake.code_len = n;
        fake.code_base = cs_base + rip;
        memcpy(apic_before, apic_buf, sizeof(apic_buf));
    }

    struct exit_stats_shard shard_before = stats.shard[v->index];
    u64 others_before = exit_stats_total_count(&stats) - shard_before.total_count;
    bool stopped = setjmp(*stop) != 0;
    if (!stopped)
        vmexit_dispatch(&regs, v);
    /* A WRMSR to IA32_APIC_BASE (init_sipi=intercept) moves this vCPU's
     * xAPIC page to the input's value; with no EPT here nothing else
     * follows. Put it back, or a later EPT violation at an address of the
     * input's choosing would be emulated as an APIC store there. */
    FUZZ_CHECK(v->apic_page == state.apic_page || (basic == EXIT_REASON_WRMSR && (u32)before.rcx == 0x1B &&
                                                   state.opt.intercept_init_sipi),
               "the xAPIC page of vCPU %u moved on exit reason %u", v->index, basic);
    v->apic_page = state.apic_page;
    const struct exit_stats_shard *s = &stats.shard[v->index];

    /* ---- counting ---- */
    FUZZ_CHECK(exit_stats_total_count(&stats) - s->total_count == others_before,
               "an exit on vCPU %u changed another vCPU's counters", v->index);
    if (!sdm_defined(basic)) {
        FUZZ_CHECK(stopped, "undefined basic reason %u (raw 0x%08x) did not stop the vCPU", basic, raw);
        FUZZ_CHECK(memcmp(s, &shard_before, sizeof(*s)) == 0, "undefined reason %u counted", basic);
        FUZZ_CHECK(fake.nr_writes == 0, "undefined reason %u: %u VMWRITEs", basic, fake.nr_writes);
        FUZZ_CHECK(memcmp(&regs, &before, sizeof(regs)) == 0, "undefined reason %u changed a GPR", basic);
        return;
    }
    FUZZ_CHECK(v->exit_reason == basic && v->regs == &regs, "vcpu exit_reason %u, want %u", v->exit_reason, basic);
    if (!stopped && v->exit_reason == basic) {
        /* Whose exit: spelled out here from what exitvisor watches. */
        u32 msr = (u32)before.rcx, vcnt = state.mtrr_variable_count > 32 ? 32 : state.mtrr_variable_count;
        bool ept = (state.proc2_ctls & PROC2_ENABLE_EPT) != 0, icpt = state.opt.intercept_init_sipi;
        bool mtrr = msr == 0x2FF || msr == 0x250 || msr == 0x258 || msr == 0x259 || (msr >= 0x268 && msr <= 0x26F) ||
                    (msr >= 0x200 && msr < 0x200 + 2 * vcnt);
        bool own = basic == EXIT_REASON_EXCEPTION_NMI || basic == EXIT_REASON_NMI_WINDOW ||
                   basic == EXIT_REASON_IO_INSTRUCTION ||
                   (basic == EXIT_REASON_EPT_VIOLATION && icpt && (gpa & ~0xFFFull) == state.apic_page) ||
                   (basic == EXIT_REASON_WRMSR &&
                    (msr == 0x79 || (ept && mtrr) || (icpt && msr == 0x830) || (icpt && ept && msr == 0x1B)));
        FUZZ_CHECK(s->own_count == shard_before.own_count + own, "reason %u (MSR 0x%x): own count %llu -> %llu, want +%d",
                   basic, msr, (unsigned long long)shard_before.own_count, (unsigned long long)s->own_count, own);
    }
    FUZZ_CHECK(s->count[basic] == shard_before.count[basic] + 1 && s->total_count == shard_before.total_count + 1,
               "reason %u: count %llu -> %llu, total %llu -> %llu", basic,
               (unsigned long long)shard_before.count[basic], (unsigned long long)s->count[basic],
               (unsigned long long)shard_before.total_count, (unsigned long long)s->total_count);
    u64 delta = stopped ? 0 : fake.last_tsc - fake.first_tsc;
    FUZZ_CHECK(s->cycles[basic] == shard_before.cycles[basic] + delta &&
                   s->total_cycles == shard_before.total_cycles + delta,
               "reason %u: cycles +%llu, total +%llu, want +%llu (stopped %d)", basic,
               (unsigned long long)(s->cycles[basic] - shard_before.cycles[basic]),
               (unsigned long long)(s->total_cycles - shard_before.total_cycles), (unsigned long long)delta, stopped);
    for (u32 k = 0; k < EXIT_REASON_COUNT; k++)
        if (k != basic)
            FUZZ_CHECK(s->count[k] == shard_before.count[k] && s->cycles[k] == shard_before.cycles[k],
                       "exit %u changed the counters of reason %u", basic, k);

    /* ---- outcome ---- */
    u64 new_rip = 0, entry = 0, err = 0;
    u32 rip_writes = fake_vmcs_written(VMCS_GUEST_RIP, &new_rip);
    u32 events = fake_vmcs_written(VMCS_ENTRY_INTR_INFO, &entry);
    bool exception = events && (entry & INTR_INFO_VALID) && ((entry >> 8) & 7) == 3;
    FUZZ_CHECK(rip_writes <= 1 && events <= 1, "reason %u: %u RIP writes, %u VM-entry events", basic, rip_writes,
               events);
    FUZZ_CHECK(!(rip_writes && exception), "reason %u: instruction skipped and exception 0x%llx injected", basic,
               (unsigned long long)entry);
    if (exception && basic != EXIT_REASON_EXCEPTION_NMI)
        FUZZ_CHECK(memcmp(&regs, &before, sizeof(regs)) == 0, "reason %u: exception injected and GPRs changed",
                   basic);
    /* The dispatcher looks at the mailbox before the entry whenever a
     * message or an INIT halt waits (at most once), never with native INIT/SIPI. */
    if (!stopped)
        FUZZ_CHECK(fake.mailbox_calls <= 1 && (state.opt.intercept_init_sipi || fake.mailbox_calls == 0) &&
                       (!mailbox_waiting || fake.mailbox_calls == 1),
                   "guest_events_before_entry: mailbox checked %u times (init_sipi=%s, waiting %d)",
                   fake.mailbox_calls, state.opt.intercept_init_sipi ? "intercept" : "native", mailbox_waiting);
    if (exception && basic != EXIT_REASON_EXCEPTION_NMI && ((entry & 0xFF) == 13 || (entry & 0xFF) == 6)) {
        /* A fault is delivered with RFLAGS.RF set in the pushed image. */
        u64 rflags = 0;
        FUZZ_CHECK(fake_vmcs_written(VMCS_GUEST_RFLAGS, &rflags) >= 1 && (rflags & RFLAGS_RF),
                   "fault 0x%llx injected without RFLAGS.RF", (unsigned long long)entry);
    }
    u32 cpl = (u32)(fake_vmcs_get(VMCS_GUEST_SS_AR) >> 5) & 3;

    /* ---- per reason ---- */
    if (is_refused_vmx_insn(basic)) {
        FUZZ_CHECK(!stopped && events == 1 && entry == UD_INFO && rip_writes == 0,
                   "VMX instruction / GETSEC (reason %u): stopped %d, event 0x%llx, RIP writes %u", basic, stopped,
                   (unsigned long long)entry, rip_writes);
        return;
    }
    switch (basic) {
    case EXIT_REASON_VMCALL: {
        FUZZ_CHECK(!stopped && rip_writes == 1, "VMCALL: stopped %d, RIP writes %u", stopped, rip_writes);
        bool known = before.rax == EXV_VMCALL_PING || before.rax == EXV_VMCALL_PRINT_STATS;
        u64 want = (cpl == 0 && known) ? EXV_VMCALL_OK : EXV_VMCALL_UNKNOWN;
        if (cpl == 0 && before.rax == EXV_VMCALL_BOOT_LOG) {
            /* Taken (OK) or refused (closed, too long, unreadable): either,
             * and the ring never past its end; after the last call, closed. */
            FUZZ_CHECK(regs.rax == EXV_VMCALL_OK || regs.rax == EXV_VMCALL_UNKNOWN, "BOOT_LOG rax 0x%llx",
                       (unsigned long long)regs.rax);
            FUZZ_CHECK(regs.rax == EXV_VMCALL_UNKNOWN || before.rcx <= EXV_BOOT_LOG_MAX,
                       "BOOT_LOG took %llu bytes", (unsigned long long)before.rcx);
            FUZZ_CHECK(!(before.rdx & 1) || !state.boot_log_open, "BOOT_LOG: still open after the last call");
            want = regs.rax;
        }
        FUZZ_CHECK(regs.rax == want, "VMCALL rax 0x%llx at CPL %u: 0x%llx", (unsigned long long)before.rax, cpl,
                   (unsigned long long)regs.rax);
        /* The exit table (hv/stats/stats_report.h): a header, one line per reason
         * with a nonzero count, a total, exitvisor's own; nothing printed otherwise. */
        u32 lines = 0;
        if (cpl == 0 && before.rax == EXV_VMCALL_PRINT_STATS) {
            lines = 3;
            for (u32 k = 0; k < EXIT_REASON_COUNT; k++)
                lines += exit_stats_reason_count(&stats, k) != 0;
        }
        FUZZ_CHECK(fake.log_calls == lines, "VMCALL 0x%llx at CPL %u: %u lines logged, want %u",
                   (unsigned long long)before.rax, cpl, fake.log_calls, lines);
        struct guest_regs rest = regs;
        rest.rax = before.rax;
        FUZZ_CHECK(memcmp(&rest, &before, sizeof(rest)) == 0, "VMCALL changed a GPR besides RAX");
        break;
    }
    case EXIT_REASON_CPUID: {
        FUZZ_CHECK(!stopped && rip_writes == 1 && events <= 1, "CPUID: stopped %d, RIP writes %u", stopped,
                   rip_writes);
        u32 leaf = (u32)before.rax, sub = (u32)before.rcx;
        struct cpuid_regs want;
        if (leaf >= 0x40000000u && leaf <= 0x4FFFFFFFu) {
            /* hv/stats/abi.h: a query's count includes itself, its cycles are added
             * after it returns: answer from the counters as they were then. */
            struct exit_stats_shard *w = &stats.shard[v->index];
            u64 cycles = w->cycles[basic], total_cycles = w->total_cycles;
            w->cycles[basic] = shard_before.cycles[basic];
            w->total_cycles = shard_before.total_cycles;
            exv_leaf_answer(leaf, sub, &state.leaf_env, &want);
            w->cycles[basic] = cycles;
            w->total_cycles = total_cycles;
        } else {
            fake_cpuid_ex(leaf, sub, &want);
            if (leaf == 1) {
                u64 cr4 = fake_vmcs_get(VMCS_GUEST_CR4);
                want.ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_OSXSAVE);
                want.ecx |= CPUID1_ECX_HYPERVISOR | ((cr4 & CR4_OSXSAVE) ? CPUID1_ECX_OSXSAVE : 0);
            } else if (leaf == 7 && sub == 0) {
                u64 cr4 = fake_vmcs_get(VMCS_GUEST_CR4);
                want.ecx = (want.ecx & ~CPUID7_ECX_OSPKE) | ((cr4 & CR4_PKE) ? CPUID7_ECX_OSPKE : 0);
            }
        }
        FUZZ_CHECK(regs.rax == want.eax && regs.rbx == want.ebx && regs.rcx == want.ecx && regs.rdx == want.edx,
                   "CPUID 0x%x/0x%x: %llx %llx %llx %llx, want %x %x %x %x", leaf, sub, (unsigned long long)regs.rax,
                   (unsigned long long)regs.rbx, (unsigned long long)regs.rcx, (unsigned long long)regs.rdx,
                   want.eax, want.ebx, want.ecx, want.edx);
        struct guest_regs rest = regs;
        rest.rax = before.rax;
        rest.rbx = before.rbx;
        rest.rcx = before.rcx;
        rest.rdx = before.rdx;
        FUZZ_CHECK(memcmp(&rest, &before, sizeof(rest)) == 0, "CPUID changed a GPR besides RAX..RDX");
        break;
    }
    case EXIT_REASON_RDMSR:
    case EXIT_REASON_WRMSR:
        FUZZ_CHECK(!stopped && rip_writes + (exception && entry == GP0_INFO) == 1,
                   "MSR exit %u: stopped %d, RIP writes %u, event 0x%llx", basic, stopped, rip_writes,
                   (unsigned long long)entry);
        break;
    case EXIT_REASON_XSETBV: {
        u64 value = ((before.rdx & 0xFFFFFFFFu) << 32) | (before.rax & 0xFFFFFFFFu);
        bool may = cpl == 0 && (u32)before.rcx == 0 && xcr0_valid_ref(value, fake.xcr0_supported);
        FUZZ_CHECK(!stopped && rip_writes + (exception && entry == GP0_INFO) == 1, "XSETBV: one outcome");
        FUZZ_CHECK(fake.safe_xsetbv_calls == (may ? 1u : 0u),
                   "XSETBV xcr %u value 0x%llx CPL %u supported 0x%llx: hardware called %u times", (u32)before.rcx,
                   (unsigned long long)value, cpl, (unsigned long long)fake.xcr0_supported, fake.safe_xsetbv_calls);
        if (may)
            FUZZ_CHECK(fake.last_xsetbv_value == value && fake.last_xcr == 0, "XSETBV wrote 0x%llx",
                       (unsigned long long)fake.last_xsetbv_value);
        FUZZ_CHECK(rip_writes == (may && !fake.xsetbv_fault), "XSETBV: skipped %u, allowed %d", rip_writes, may);
        break;
    }
    case EXIT_REASON_CR_ACCESS: {
        u64 w;
        u64 fixed0 = state.cr0_fixed0;
        if (state.proc2_ctls & PROC2_UNRESTRICTED_GUEST)
            fixed0 &= ~(CR0_PE | CR0_PG);
        if (fake_vmcs_written(VMCS_GUEST_CR0, &w))
            FUZZ_CHECK((w & fixed0) == fixed0 && !(w & ~state.cr0_fixed1),
                       "CR0 written 0x%llx, fixed0 0x%llx fixed1 0x%llx", (unsigned long long)w,
                       (unsigned long long)fixed0, (unsigned long long)state.cr0_fixed1);
        if (fake_vmcs_written(VMCS_CR0_READ_SHADOW, &w))
            FUZZ_CHECK(!(w >> 32) && !((w & CR0_PG) && !(w & CR0_PE)) && !((w & CR0_NW) && !(w & CR0_CD)),
                       "CR0 shadow written 0x%llx: a value MOV to CR0 refuses", (unsigned long long)w);
        if (fake_vmcs_written(VMCS_GUEST_CR4, &w))
            FUZZ_CHECK((w & state.cr4_fixed0) == state.cr4_fixed0 && !(w & ~state.cr4_fixed1),
                       "CR4 written 0x%llx, fixed0 0x%llx fixed1 0x%llx", (unsigned long long)w,
                       (unsigned long long)state.cr4_fixed0, (unsigned long long)state.cr4_fixed1);
        if (fake_vmcs_written(VMCS_CR4_READ_SHADOW, &w))
            FUZZ_CHECK(!(w & (CR4_VMXE | CR4_SMXE)), "CR4 shadow shows VMXE/SMXE: 0x%llx", (unsigned long long)w);
        if (exception)
            FUZZ_CHECK(!fake_vmcs_written(VMCS_GUEST_CR0, NULL) && !fake_vmcs_written(VMCS_GUEST_CR4, NULL) &&
                           !fake_vmcs_written(VMCS_CR0_READ_SHADOW, NULL) &&
                           !fake_vmcs_written(VMCS_CR4_READ_SHADOW, NULL) &&
                           !fake_vmcs_written(VMCS_GUEST_EFER, NULL) && !fake_vmcs_written(VMCS_GUEST_CR3, NULL),
                       "refused CR write (#GP) changed a control register");
        if (!stopped)
            FUZZ_CHECK(rip_writes + (exception && entry == GP0_INFO) == 1, "CR access: one outcome");
        break;
    }
    case EXIT_REASON_EPT_VIOLATION: {
        u64 qual = fake_vmcs_get(VMCS_EXIT_QUALIFICATION);
        /* Only init_sipi=intercept write-protects the APIC page. */
        bool apic_store = (gpa & ~0xFFFull) == state.apic_page && (qual & 2) && state.opt.intercept_init_sipi;
        if (!apic_store) {
            FUZZ_CHECK(memcmp(apic_before, apic_buf, sizeof(apic_buf)) == 0, "EPT exit wrote to the APIC page");
            if (in_hv_memory(gpa))
                FUZZ_CHECK(!stopped && exception && entry == GP0_INFO && rip_writes == 0,
                           "access to hypervisor memory 0x%llx: stopped %d event 0x%llx", (unsigned long long)gpa,
                           stopped, (unsigned long long)entry);
            else
                FUZZ_CHECK(stopped, "EPT violation at 0x%llx outside the APIC and hypervisor memory not stopped",
                           (unsigned long long)gpa);
            break;
        }
        if (stopped) {
            FUZZ_CHECK(memcmp(apic_before, apic_buf, sizeof(apic_buf)) == 0, "stopped APIC store wrote");
            break;
        }
        u64 cs_ar = fake_vmcs_get(VMCS_GUEST_CS_AR);
        bool long_mode = (fake_vmcs_get(VMCS_GUEST_EFER) & EFER_LMA) && (cs_ar & (1u << 13));
        struct mmio_store st;
        size_t n = fake.code_len < 15 ? fake.code_len : 15;
        FUZZ_CHECK(decode_mmio_store(code, n, long_mode, &st), "APIC store emulated that does not decode");
        FUZZ_CHECK(rip_writes == 1 && new_rip == rip + st.length && st.length <= 15,
                   "APIC store: RIP 0x%llx -> 0x%llx, length %u", (unsigned long long)rip,
                   (unsigned long long)new_rip, st.length);
        u64 src = st.reg == 4 ? fake_vmcs_get(VMCS_GUEST_RSP) : ((u64 *)&before)[st.reg];
        u32 value = st.from_reg ? (u32)(st.high_byte ? src >> 8 : src) : st.imm;
        u64 now = st.reg == 4 ? fake_vmcs_get(VMCS_GUEST_RSP) : ((u64 *)&regs)[st.reg];
        if (st.width == 1) {
            /* The same byte store; XCHG puts the old byte into the register's byte. */
            u32 b = (u32)(gpa & 0xFFF);
            FUZZ_CHECK(apic_buf[b] == (u8)value, "APIC byte 0x%x: wrote 0x%x, want 0x%x", b, apic_buf[b],
                       (u8)value);
            if (st.exchange) {
                u32 shift = st.high_byte ? 8 : 0;
                u64 want = (src & ~(0xFFull << shift)) | ((u64)apic_before[b] << shift);
                FUZZ_CHECK(now == want, "XCHG byte: register 0x%llx, want 0x%llx", (unsigned long long)now,
                           (unsigned long long)want);
            }
            FUZZ_CHECK(fake.ipi_calls == 0, "a byte store went to hv/guest/ipi.c");
            apic_buf[b] = apic_before[b];
        } else {
            u32 off = (u32)(gpa & 0xFFC);
            bool icr = (gpa & 0xFFF) == 0x300 && state.opt.intercept_init_sipi;
            bool delivered = icr && fake.ipi_delivers;
            FUZZ_CHECK(fake.ipi_calls == (icr ? 1u : 0u) && (!icr || fake.ipi_low == value),
                       "ICR store offered to hv/guest/ipi.c %u times (init_sipi=%s)", fake.ipi_calls,
                       state.opt.intercept_init_sipi ? "intercept" : "native");
            if (!delivered) {
                u32 got;
                memcpy(&got, apic_buf + off, 4);
                FUZZ_CHECK(got == value, "APIC offset 0x%x: wrote 0x%x, want 0x%x", off, got, value);
                memcpy(apic_buf + off, apic_before + off, 4);
            }
            if (st.exchange) {
                u32 old;
                memcpy(&old, apic_before + off, 4);
                FUZZ_CHECK(now == old, "XCHG: register 0x%llx, want the old 0x%x zero-extended",
                           (unsigned long long)now, old);
            }
        }
        FUZZ_CHECK(memcmp(apic_before, apic_buf, sizeof(apic_buf)) == 0, "APIC store wrote outside its register");
        memcpy(apic_buf, apic_before, sizeof(apic_buf));
        break;
    }
    case EXIT_REASON_TRIPLE_FAULT:
        /* Logged with the exit table, then a platform reset; the vCPU
         * stops if the machine is still there. */
        FUZZ_CHECK(stopped && fake.outb_calls >= 1 && fake.log_calls >= 3,
                   "triple fault: stopped %d, reset writes %u, log lines %u", stopped, fake.outb_calls,
                   fake.log_calls);
        break;
    case EXIT_REASON_EXCEPTION_NMI: {
        u64 info = fake_vmcs_get(VMCS_EXIT_INTR_INFO);
        bool nmi = (info & INTR_INFO_VALID) && ((info >> 8) & 7) == 2;
        if (nmi || stopped)
            break;
        /* The reflected event: the exit's own vector/type/error-code bit. */
        u64 mask = INTR_INFO_VALID | 0x7FF | INTR_INFO_DELIVER_ERROR_CODE;
        FUZZ_CHECK(events == 1 && entry == (info & mask), "exception exit info 0x%llx reflected as 0x%llx",
                   (unsigned long long)info, (unsigned long long)entry);
        if (info & INTR_INFO_DELIVER_ERROR_CODE)
            FUZZ_CHECK(fake_vmcs_written(VMCS_ENTRY_EXCEPTION_ERROR, &err) == 1 &&
                           err == fake_vmcs_get(VMCS_EXIT_INTR_ERROR),
                       "error code not reflected");
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(exit_dispatch_self_check() == -1, "handler table: reason %d", exit_dispatch_self_check());
    for (u32 i = 0; i < sizeof(apic_pattern); i++)
        apic_pattern[i] = (u8)(i * 7 + 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    jmp_buf stop;

    setup(&f);
    fake.stop_jmp = &stop;
    for (int i = 0; i < MAX_EXITS && !fin_done(&f); i++)
        one_exit(&f, &stop);
    fake.stop_jmp = NULL;
    return 0;
}
