/*
 * bench — round-trip costs of exitvisor's VM exits, measured from the guest.
 *
 * A GNU-EFI application (run by `make bench`, tools/bench/run.sh), started
 * either as exitvisor's next stage or directly by the firmware (no
 * hypervisor, for the boot-overhead comparison). It prints machine-readable
 * "bench: ..." lines on the UEFI console (mirrored to COM1), which
 * tools/bench/report.py parses; change the formats together.
 *
 *   bench: marker tsc=T                 RDTSC taken as the very first action
 *   bench: exits-at-marker=N hv_cycles=C  leaf 0x4FFFFFFF read right after it
 *                                       (N includes that query itself)
 *   bench: <test> ticks_per_op median=.. min=.. max=.. p10=.. p90=.. runs=31 ops=2000
 *   bench: <test> hv_cycles_per_exit=.. median=.. exits=.. expected=.. exact=yes|no
 *   bench: ratio cpuid-leaf/vmcall-floor=.. hv=..
 *   bench: scaling vcpu=i apic=a ticks_per_exit median=.. min=.. max=..
 *   bench: scaling vcpus=N ticks_per_exit median=.. max=.. mode=.. exact=yes|no
 *   bench: done
 *
 * Tests (each: R runs of K back-to-back instructions between two RDTSCs):
 *   cpuid-leaf         CPUID EAX=0x4FFFFFFE ECX=10: the full statistics path
 *   vmcall-floor       VMCALL RAX=EXV_VMCALL_PING: the handler only sets RAX
 *                      and advances RIP, so this is the cheapest exit there is
 *   cpuid-passthrough  CPUID EAX=0 ECX=0: a leaf the hypervisor forwards
 *   no-exit            RDTSC alone: the baseline, no exit at all
 * Each op includes the register loads its instruction needs (CPUID: two
 * MOVs, VMCALL: one), because the exit clobbers them.
 *
 * Values with a fraction are printed from integer hundredths: no floating
 * point anywhere (the build uses -mgeneral-regs-only).
 *
 * Built with -DGNU_EFI_USE_MS_ABI: EFIAPI function pointers are called
 * directly.
 */
#include <efi.h>
#include <efilib.h>

#include "../hv/stats/abi.h"
#include "../hv/arch/exit_reasons.h"
#include "../boot/mp_services.h"   /* EFI_MP_SERVICES_PROTOCOL: gnu-efi lacks it */
#include "uefi_guest.h"
#include "exv_query.h"
#include "exv_ratio.h"

#ifndef HAVE_USE_MS_ABI
#error "build the bench with -DGNU_EFI_USE_MS_ABI: it calls EFIAPI pointers directly"
#endif

#define RUNS 31                 /* R: runs per test */
#define OPS 2000                /* K: back-to-back instructions per run */
#define STR_(x) #x
#define STR(x) STR_(x)
#define MAX_VCPUS 64

/* ------------------------------------------------------------------------
 * Instructions.
 */
static inline UINT64 rdtsc_plain(void)
{
    UINT32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((UINT64)hi << 32) | lo;
}

/* Interrupts off around every measured window: a firmware timer tick in the
 * middle would add its handler's instructions to the timing and, under
 * exitvisor, its EOI write to the (write-protected) xAPIC page is an exit of
 * its own. */

/*
 * The timed windows. Each is one asm statement so nothing the compiler
 * generates can land between the two time stamps, with every register it
 * touches named explicitly. Serialization: "lfence; rdtsc; lfence" on both
 * sides — the first LFENCE keeps RDTSC from executing before earlier
 * instructions complete, the second keeps later ones from starting before
 * it. CPUID, the classic serializer, is not usable here: under a
 * hypervisor it is itself an exit (and a counted one). VMCALL and CPUID in
 * the body are serializing anyway (a VM exit is), RDTSC in the no-exit body
 * is not, which is the point of that baseline. The K instructions are
 * unrolled (.rept), so no loop instructions are timed.
 * Returns end - start in TSC ticks.
 */
#define TSC_BEGIN \
    "lfence\n\trdtsc\n\tlfence\n\t" \
    "shlq $32, %%rdx\n\torq %%rdx, %%rax\n\tmovq %%rax, %%r8\n\t"
#define TSC_END \
    "lfence\n\trdtsc\n\tlfence\n\t" \
    "shlq $32, %%rdx\n\torq %%rdx, %%rax\n\tsubq %%r8, %%rax\n\t"

static __attribute__((noinline)) UINT64 window_empty(void)
{
    UINT64 d;
    __asm__ volatile(TSC_BEGIN TSC_END
                     : "=a"(d) : : "rdx", "r8", "memory");
    return d;
}

static __attribute__((noinline)) UINT64 window_cpuid_leaf(void)
{
    UINT64 d;
    __asm__ volatile(TSC_BEGIN
                     ".rept " STR(OPS) "\n\t"
                     "movl %[leaf], %%eax\n\t"
                     "movl %[sel], %%ecx\n\t"
                     "cpuid\n\t"
                     ".endr\n\t"
                     TSC_END
                     : "=a"(d)
                     : [leaf] "i"(EXV_LEAF_REASON_COUNT), [sel] "i"(EXIT_REASON_CPUID)
                     : "rbx", "rcx", "rdx", "r8", "memory");
    return d;
}

static __attribute__((noinline)) UINT64 window_vmcall_floor(void)
{
    UINT64 d;
    /* movl zero-extends: RAX = EXV_VMCALL_PING exactly. The handler writes
     * RAX only. */
    __asm__ volatile(TSC_BEGIN
                     ".rept " STR(OPS) "\n\t"
                     "movl %[fn], %%eax\n\t"
                     "vmcall\n\t"
                     ".endr\n\t"
                     TSC_END
                     : "=a"(d) : [fn] "i"(EXV_VMCALL_PING) : "rdx", "r8", "memory");
    return d;
}

static __attribute__((noinline)) UINT64 window_cpuid_passthrough(void)
{
    UINT64 d;
    __asm__ volatile(TSC_BEGIN
                     ".rept " STR(OPS) "\n\t"
                     "movl $0, %%eax\n\t"
                     "movl $0, %%ecx\n\t"
                     "cpuid\n\t"
                     ".endr\n\t"
                     TSC_END
                     : "=a"(d) : : "rbx", "rcx", "rdx", "r8", "memory");
    return d;
}

static __attribute__((noinline)) UINT64 window_no_exit(void)
{
    UINT64 d;
    __asm__ volatile(TSC_BEGIN
                     ".rept " STR(OPS) "\n\t"
                     "rdtsc\n\t"
                     ".endr\n\t"
                     TSC_END
                     : "=a"(d) : : "rdx", "r8", "memory");
    return d;
}

/* ------------------------------------------------------------------------
 * Statistics over R values (hundredths of a tick per op).
 */
struct summary {
    UINT64 median, min, max, p10, p90;
};

static void sort_u64(UINT64 *v, UINTN n)
{
    UINTN i, j;
    for (i = 1; i < n; i++) {
        UINT64 x = v[i];
        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Percentiles by nearest rank: p-th percentile = the ceil(p*n/100)-th
 * smallest value (for n = 31: p10 = 4th, median = 16th, p90 = 28th). */
static UINT64 nearest_rank(const UINT64 *sorted, UINTN n, UINTN p)
{
    UINTN rank = (p * n + 99) / 100;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

/* Only ever called on the BSP: the scratch array can be static. */
static struct summary summarize(const UINT64 *values, UINTN n)
{
    static UINT64 s[MAX_VCPUS * RUNS];
    struct summary r;
    UINTN i;

    for (i = 0; i < n; i++)
        s[i] = values[i];
    sort_u64(s, n);
    r.min = s[0];
    r.max = s[n - 1];
    r.median = nearest_rank(s, n, 50);
    r.p10 = nearest_rank(s, n, 10);
    r.p90 = nearest_rank(s, n, 90);
    return r;
}

/* a/b in hundredths, rounded; 0 when b is 0. */
static UINT64 div_x100(UINT64 a, UINT64 b)
{
    return exv_ratio_rounded(a, b, 100);
}

static void print_x100(UINT64 v)
{
    Print(L"%lu.%02lu", v / 100, v % 100);
}

/* Ticks of one window minus the timer's own cost, per op, in hundredths. */
static UINT64 timer_overhead;

static UINT64 per_op_x100(UINT64 delta)
{
    delta = delta > timer_overhead ? delta - timer_overhead : 0;
    return div_x100(delta, OPS);
}

static void print_ticks_line(const char *name, const UINT64 *runs_x100)
{
    struct summary s = summarize(runs_x100, RUNS);
    Print(L"bench: %a ticks_per_op median=", name);
    print_x100(s.median);
    Print(L" min=");
    print_x100(s.min);
    Print(L" max=");
    print_x100(s.max);
    Print(L" p10=");
    print_x100(s.p10);
    Print(L" p90=");
    print_x100(s.p90);
    Print(L" runs=%d ops=%d\n", RUNS, OPS);
}

/* ------------------------------------------------------------------------
 * One test: R timed runs, and (under exitvisor) the hypervisor's own
 * counters for `reason` read around each run.
 */
struct test {
    const char *name;
    UINT64 (*window)(void);
    UINT32 reason;          /* the exit reason its instruction causes */
    UINT32 exits_per_op;    /* 1, or 0 for the no-exit baseline */
    /* results */
    UINT64 runs_x100[RUNS];
    UINT64 median_x100;
    UINT64 hv_cycles, hv_exits, hv_total_extra;
    UINT64 hv_run_x100[RUNS];
    BOOLEAN hv_exact;
};

/*
 * Reading the hypervisor's counters without counting the reads.
 *
 * Every query is a CPUID exit (reason 10), counted before it is answered,
 * with its cycles added after it returns. Per run, in this order:
 *
 *   a0 = total64               (0x4FFFFFFC ECX=0xFFFFFFFF)
 *   c0 = cycles(reason)        (0x4FFFFFFD)  excludes c0 itself
 *   n0 = count64(reason)       (0x4FFFFFFC)  includes c0 and n0
 *   ---- timed window: K ops ----
 *   c1 = cycles(reason)        includes c0, n0 and the window's exits
 *   n1 = count64(reason)       includes the window's exits, c1 and n1
 *   c2 = cycles(reason)        includes c1 and n1
 *   a1 = total64               includes c0, n0, window, c1, n1, c2, a1
 *
 * Count:  n1 - n0 = window exits, plus 2 (c1, n1) when reason is CPUID.
 * Cycles: c1 - c0 = window cycles, plus the cycles of the pair (c0, n0)
 *         when reason is CPUID. c2 - c1 is the cycles of the pair (c1, n1):
 *         the same two queries with the same selectors, so the same work in
 *         the handler (the same instructions; in Bochs, where a tick is an
 *         instruction, exactly the same ticks). The window's own cycles are
 *         therefore (c1 - c0) - (c2 - c1), with no estimate beyond "the same
 *         query costs the same". For VMCALL the queries touch reason 10
 *         only: c2 - c1 is 0 and c1 - c0 is exact by construction.
 * Total:  a1 - a0 = window exits of any reason + 6 (c0 n0 c1 n1 c2 a1): it
 *         proves that nothing else exited (all vCPUs) during the run.
 */
#define READS_IN_TOTAL 6

static void run_test(struct test *t, BOOLEAN hv)
{
    UINT64 flags, d, c0 = 0, c1 = 0, c2 = 0, n0 = 0, n1 = 0, a0 = 0, a1 = 0;
    UINT64 sum_cycles = 0, sum_exits = 0, extra = 0;
    UINT32 i, reads_of_reason = t->reason == EXIT_REASON_CPUID ? 2 : 0;
    BOOLEAN exact = TRUE;

    for (i = 0; i < RUNS; i++) {
        flags = irq_save();
        if (hv) {
            a0 = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL));
            c0 = ebx_ecx(cpuid(EXV_LEAF_REASON_CYCLES, t->reason));
            n0 = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, t->reason));
        }
        d = t->window();
        if (hv) {
            c1 = ebx_ecx(cpuid(EXV_LEAF_REASON_CYCLES, t->reason));
            n1 = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, t->reason));
            c2 = ebx_ecx(cpuid(EXV_LEAF_REASON_CYCLES, t->reason));
            a1 = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL));
        }
        irq_restore(flags);

        t->runs_x100[i] = per_op_x100(d);
        if (hv) {
            UINT64 exits = n1 - n0 - reads_of_reason;
            UINT64 win = c1 - c0, pair = c2 - c1;
            /* On real hardware the two pairs can differ by a few cycles
             * (cache state); never let that make a count negative. */
            UINT64 cyc = win > pair ? win - pair : 0;
            if (exits != (UINT64)OPS * t->exits_per_op)
                exact = FALSE;
            if (a1 - a0 != (UINT64)OPS * t->exits_per_op + READS_IN_TOTAL) {
                exact = FALSE;
                extra += (a1 - a0) - ((UINT64)OPS * t->exits_per_op + READS_IN_TOTAL);
            }
            sum_exits += exits;
            sum_cycles += cyc;
            t->hv_run_x100[i] = div_x100(cyc, exits);
        }
    }
    t->median_x100 = summarize(t->runs_x100, RUNS).median;
    t->hv_cycles = sum_cycles;
    t->hv_exits = sum_exits;
    t->hv_total_extra = extra;
    t->hv_exact = exact;

    print_ticks_line(t->name, t->runs_x100);
    if (hv) {
        Print(L"bench: %a hv_cycles_per_exit=", t->name);
        if (t->exits_per_op && sum_exits) {
            print_x100(div_x100(sum_cycles, sum_exits));
            Print(L" median=");
            print_x100(summarize(t->hv_run_x100, RUNS).median);
        } else {
            Print(L"n/a median=n/a");
        }
        Print(L" reason=%u exits=%lu expected=%lu other_exits=%lu exact=%a\n",
              t->reason, sum_exits, (UINT64)RUNS * OPS * t->exits_per_op, extra,
              exact ? "yes" : "no");
    }
}

static struct test tests[] = {
    { .name = "cpuid-leaf", .window = window_cpuid_leaf, .reason = EXIT_REASON_CPUID, .exits_per_op = 1 },
    { .name = "vmcall-floor", .window = window_vmcall_floor, .reason = EXIT_REASON_VMCALL, .exits_per_op = 1 },
    { .name = "cpuid-passthrough", .window = window_cpuid_passthrough, .reason = EXIT_REASON_CPUID, .exits_per_op = 1 },
    { .name = "no-exit", .window = window_no_exit, .reason = EXIT_REASON_CPUID, .exits_per_op = 0 },
};
#define T_CPUID_LEAF 0
#define T_VMCALL 1
#define T_PASSTHROUGH 2
#define T_NO_EXIT 3

static void measure_timer_overhead(void)
{
    UINT64 v[RUNS], flags;
    UINTN i;

    for (i = 0; i < RUNS; i++) {
        flags = irq_save();
        v[i] = window_empty();
        irq_restore(flags);
    }
    sort_u64(v, RUNS);
    timer_overhead = nearest_rank(v, RUNS, 50);
    Print(L"bench: timer-overhead ticks median=%lu min=%lu max=%lu (subtracted from every run)\n",
          timer_overhead, v[0], v[RUNS - 1]);
}

/* ------------------------------------------------------------------------
 * Counter scaling: the cpuid-leaf window on every vCPU at once.
 *
 * Every participant (the APs through StartupAllAPs, the BSP by calling the
 * same procedure) takes a slot, then waits at a barrier. The LAST one to
 * arrive reads the 64-bit total (T0) and releases the others, so T0 is
 * taken while every other participant spins (PAUSE, no exits). Each then
 * runs R timed windows; the LAST one to finish reads the total again (T1)
 * and only then lets the others return to the firmware, so the firmware's
 * own bookkeeping (which can exit: IPIs are ICR writes) stays outside
 * T0..T1. T0 counts itself, T1 counts itself, hence
 *   T1 - T0 = participants * K * R + 1.
 */
struct scaling {
    volatile UINT32 slot_next, arrived, go, finished, release;
    UINT32 participants;
    UINT64 t0, t1;
};

static struct scaling scal;
static UINT64 scal_runs[MAX_VCPUS][RUNS];
static UINT32 scal_apic[MAX_VCPUS];
static volatile UINT32 scal_overflow;

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" : : : "memory");
}

static UINT64 total64(void)
{
    return ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL));
}

static VOID EFIAPI scaling_proc(IN VOID *arg)
{
    struct scaling *s = arg;
    UINT64 flags = irq_save();
    UINT32 apic = cpuid(1, 0).ebx >> 24;   /* before the window: may exit */
    UINT32 slot = __atomic_fetch_add(&s->slot_next, 1, __ATOMIC_SEQ_CST);
    UINTN i;

    if (__atomic_fetch_add(&s->arrived, 1, __ATOMIC_SEQ_CST) == s->participants - 1) {
        s->t0 = total64();
        __atomic_store_n(&s->go, 1, __ATOMIC_SEQ_CST);
    } else {
        while (!__atomic_load_n(&s->go, __ATOMIC_SEQ_CST))
            cpu_relax();
    }

    for (i = 0; i < RUNS; i++) {
        UINT64 d = window_cpuid_leaf();
        if (slot < MAX_VCPUS)
            scal_runs[slot][i] = d;
    }

    if (__atomic_fetch_add(&s->finished, 1, __ATOMIC_SEQ_CST) == s->participants - 1) {
        s->t1 = total64();
        __atomic_store_n(&s->release, 1, __ATOMIC_SEQ_CST);
    } else {
        while (!__atomic_load_n(&s->release, __ATOMIC_SEQ_CST))
            cpu_relax();
    }
    if (slot < MAX_VCPUS)
        scal_apic[slot] = apic;
    else
        scal_overflow = 1;
    irq_restore(flags);
}

/* A new barrier phase for `participants`; slots already taken stay taken
 * (the blocking fallback runs two phases into one slot table). */
static void scaling_phase(UINT32 participants)
{
    scal.arrived = scal.go = scal.finished = scal.release = 0;
    scal.t0 = scal.t1 = 0;
    scal.participants = participants;
}

static void scaling(void)
{
    static EFI_GUID mp_guid = EFI_MP_SERVICES_PROTOCOL_GUID;
    EFI_MP_SERVICES_PROTOCOL *mp = NULL;
    UINTN n = 1, enabled = 1, i, idx, slots;
    EFI_EVENT ev = NULL;
    EFI_STATUS st;
    const char *mode;
    UINT64 moved, expected, med_max = 0;
    static UINT64 all[MAX_VCPUS * RUNS];
    BOOLEAN exact;

    st = BS->LocateProtocol(&mp_guid, NULL, (VOID **)&mp);
    if (EFI_ERROR(st) || mp == NULL) {
        Print(L"bench: scaling: MP services protocol not found (%r); the BSP alone\n", st);
        mp = NULL;
    } else {
        st = mp->GetNumberOfProcessors(mp, &n, &enabled);
        if (EFI_ERROR(st)) {
            Print(L"bench: scaling: GetNumberOfProcessors failed (%r); the BSP alone\n", st);
            mp = NULL;
            enabled = 1;
        }
    }
    if (enabled > MAX_VCPUS) {
        Print(L"bench: scaling: %lu processors, more than the %d this bench records; not run\n",
              (UINT64)enabled, MAX_VCPUS);
        return;
    }

    if (mp == NULL || enabled == 1) {
        mode = "bsp-only";
        scaling_phase(1);
        scaling_proc(&scal);
        moved = scal.t1 - scal.t0;
        expected = (UINT64)OPS * RUNS + 1;
        slots = 1;
    } else {
        /* Non-blocking: the APs start, StartupAllAPs returns at once, and
         * the BSP joins them; the event says when the APs are done. */
        scaling_phase((UINT32)enabled);
        st = BS->CreateEvent(0, 0, NULL, NULL, &ev);
        if (!EFI_ERROR(st))
            st = mp->StartupAllAPs(mp, scaling_proc, FALSE, ev, 0, &scal, NULL);
        if (!EFI_ERROR(st)) {
            mode = "non-blocking";
            scaling_proc(&scal);
            st = BS->WaitForEvent(1, &ev, &idx);
            if (EFI_ERROR(st))
                Print(L"bench: scaling: WaitForEvent: %r\n", st);
            moved = scal.t1 - scal.t0;
            expected = (UINT64)enabled * OPS * RUNS + 1;
            slots = scal.slot_next;
        } else {
            /* Blocking mode cannot let the BSP run alongside (it sits in
             * StartupAllAPs): the APs run together, then the BSP alone;
             * each phase has its own exact window. */
            UINT64 moved_aps;
            Print(L"bench: scaling: firmware refused non-blocking StartupAllAPs (%r); "
                  L"falling back to blocking mode: the APs run together, then the BSP alone\n", st);
            mode = "blocking-fallback";
            scaling_phase((UINT32)enabled - 1);
            st = mp->StartupAllAPs(mp, scaling_proc, FALSE, NULL, 0, &scal, NULL);
            if (EFI_ERROR(st)) {
                Print(L"bench: scaling: blocking StartupAllAPs failed too (%r); not run\n", st);
                return;
            }
            moved_aps = scal.t1 - scal.t0;
            scaling_phase(1);           /* the BSP's phase, in the next slot */
            scaling_proc(&scal);
            moved = moved_aps + (scal.t1 - scal.t0);
            expected = (UINT64)enabled * OPS * RUNS + 2;
            slots = scal.slot_next;
        }
        if (ev)
            BS->CloseEvent(ev);
    }
    if (scal_overflow)
        Print(L"bench: scaling: more participants than slots\n");

    for (i = 0; i < slots && i < MAX_VCPUS; i++) {
        UINT64 v[RUNS];
        struct summary s;
        UINTN r;
        for (r = 0; r < RUNS; r++) {
            v[r] = per_op_x100(scal_runs[i][r]);
            all[i * RUNS + r] = v[r];
        }
        s = summarize(v, RUNS);
        if (s.median > med_max)
            med_max = s.median;
        Print(L"bench: scaling vcpu=%lu apic=%u ticks_per_exit median=", (UINT64)i, scal_apic[i]);
        print_x100(s.median);
        Print(L" min=");
        print_x100(s.min);
        Print(L" max=");
        print_x100(s.max);
        Print(L"\n");
    }
    exact = moved == expected && slots == enabled;
    {
        struct summary s = summarize(all, slots * RUNS);
        Print(L"bench: scaling vcpus=%lu ticks_per_exit median=", (UINT64)slots);
        print_x100(s.median);
        Print(L" max=");
        print_x100(s.max);
        Print(L" max_vcpu_median=");
        print_x100(med_max);
        Print(L" mode=%a total_exits_moved=%lu expected=%lu exact=%a\n", mode, moved, expected,
              exact ? "yes" : "no");
    }
}

/* ------------------------------------------------------------------------
 * Options (power-off itself is guest_power_off() in guest/uefi_guest.c).
 */

/*
 * --poweroff in the load options; if the load options do not have it, in
 * the file \bench.options on the volume the bench was loaded from. The file
 * is how the no-hypervisor run gets the option: the firmware starts
 * \EFI\BOOT\BOOTX64.EFI with empty load options. It is read after the
 * marker, so it cannot change what the marker measures.
 */
static BOOLEAN want_poweroff(EFI_HANDLE image)
{
    EFI_LOADED_IMAGE *li = NULL;
    EFI_FILE_HANDLE root, f;
    CHAR8 buf[256];
    CHAR16 wide[256];
    UINTN size = sizeof(buf) - 1, i;

    if (guest_has_option(image, L"--poweroff"))
        return TRUE;
    if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (VOID **)&li)) || li == NULL)
        return FALSE;
    root = LibOpenRoot(li->DeviceHandle);
    if (root == NULL)
        return FALSE;
    if (EFI_ERROR(root->Open(root, &f, L"\\bench.options", EFI_FILE_MODE_READ, 0))) {
        root->Close(root);
        return FALSE;
    }
    if (EFI_ERROR(f->Read(f, &size, buf)))
        size = 0;
    f->Close(f);
    root->Close(root);
    for (i = 0; i < size; i++)
        wide[i] = buf[i];
    if (guest_text_has(wide, size, L"--poweroff")) {
        Print(L"bench: options from \\bench.options: --poweroff\n");
        return TRUE;
    }
    return FALSE;
}

/* ------------------------------------------------------------------------ */

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the System V convention. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    /* The very first action: the boot-overhead marker, then the hypervisor's
     * total exits at that point (harmless without a hypervisor: it is only
     * printed when the signature says the answer means something). */
    UINT64 marker = rdtsc_plain();
    struct cpuid_regs at_marker = cpuid(EXV_LEAF_TOTALS, 0);
    struct cpuid_regs sig;
    BOOLEAN poweroff, hv;
    UINTN i;

    InitializeLib(image, systab);
    Print(L"bench: marker tsc=%lu\n", marker);

    sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    hv = signature_ok(sig);
    if (hv) {
        struct cpuid_regs info = cpuid(EXV_LEAF_INFO, 0);
        Print(L"bench: exits-at-marker=%u hv_cycles=%lu\n", at_marker.eax, ebx_ecx(at_marker));
        Print(L"bench: exitvisor ABI %u vcpus=%u runs=%d ops=%d\n", info.eax, info.ebx, RUNS, OPS);
    } else {
        Print(L"bench: exits-at-marker=n/a\n");
        Print(L"bench: no hypervisor (no exitvisor signature at CPUID 0x40000000); "
              L"measuring natively: no-exit, cpuid-passthrough\n");
    }
    poweroff = want_poweroff(image);

    if (hv) {
        /* The floor must really be the floor: one PING first. */
        UINT64 rax = EXV_VMCALL_PING;
        __asm__ volatile("vmcall" : "+a"(rax) : : "memory");
        Print(L"bench: vmcall ping rax=0x%lx %a\n", rax, rax == EXV_VMCALL_OK ? "ok" : "UNEXPECTED");
    }

    measure_timer_overhead();
    if (hv) {
        for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
            run_test(&tests[i], TRUE);
        Print(L"bench: ratio cpuid-leaf/vmcall-floor=");
        print_x100(div_x100(tests[T_CPUID_LEAF].median_x100, tests[T_VMCALL].median_x100));
        Print(L" hv=");
        print_x100(div_x100(tests[T_CPUID_LEAF].hv_cycles * tests[T_VMCALL].hv_exits,
                            tests[T_VMCALL].hv_cycles * tests[T_CPUID_LEAF].hv_exits));
        Print(L"\n");
        scaling();
    } else {
        run_test(&tests[T_PASSTHROUGH], FALSE);
        run_test(&tests[T_NO_EXIT], FALSE);
    }

    Print(L"bench: done\n");
    if (poweroff) {
        Print(L"bench: --poweroff: ending the emulator\n");
        guest_power_off();
    }
    return EFI_SUCCESS;
}
