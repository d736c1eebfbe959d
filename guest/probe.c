/*
 * probe — the guest-side reader of exitvisor's exit statistics.
 *
 * A GNU-EFI application that exitvisor chain-loads by default once every CPU
 * runs as a guest. It reads the CPUID leaves of hv/stats/abi.h and prints, to the
 * UEFI console (which OVMF mirrors to COM1):
 *   - a kvm_stat-like table of exits per basic exit reason, taken as one
 *     snapshot between two reads of the totals leaf;
 *   - machine-checkable "probe: ..." lines that tools/exitlog.py parses and
 *     tools/tests/check_boot.py checks (the formats are part of that
 *     contract: change them together);
 *   - the reason map of leaf 0x40000002 (which reasons are possible,
 *     impossible or undefined) and a check of every per-reason leaf answer
 *     against the ABI's rules for those classes;
 *   - the same counters read once on every processor through
 *     EFI_MP_SERVICES_PROTOCOL.
 * With the load option --poweroff it ends the emulator afterwards.
 *
 * Every statistics query is itself a CPUID exit that the hypervisor counts
 * before answering, so the order and number of CPUIDs below is deliberate:
 * the checker derives exact expected values from it. Do not add CPUIDs (or
 * calls that might execute one) inside the measured sequences.
 *
 * Built with -DGNU_EFI_USE_MS_ABI: EFIAPI function pointers are called
 * directly. No floating point anywhere: shares are printed from integer
 * hundredths so nothing depends on SSE state on any processor.
 */
#include <efi.h>
#include <efilib.h>

#include "../hv/stats/abi.h"
#include "../hv/arch/exit_reasons.h"
#include "../hv/stats/exit_names.h"
#include "../boot/mp_services.h"   /* EFI_MP_SERVICES_PROTOCOL: gnu-efi lacks it */
#include "uefi_guest.h"
#include "exv_query.h"
#include "exv_ratio.h"
#include "exv_log_read.h"

#ifndef HAVE_USE_MS_ABI
#error "build the probe with -DGNU_EFI_USE_MS_ABI: it calls EFIAPI pointers directly"
#endif


/* ------------------------------------------------------------------------
 * Small output helpers. gnu-efi's Print right-aligns with a width but has no
 * left alignment, so names are padded by hand.
 */
static const CHAR8 spaces[] = "                                                  ";
#define SPACES_LEN (sizeof(spaces) - 1)

static UINTN ascii_len(const char *s)
{
    UINTN n = 0;
    while (s[n])
        n++;
    return n;
}

/* Print `s` left-aligned in a field of `width` characters. */
static void print_left(const char *s, UINTN width)
{
    UINTN len = ascii_len(s);
    UINTN pad = len < width ? width - len : 0;
    if (pad > SPACES_LEN)
        pad = SPACES_LEN;
    Print(L"%a%a", s, spaces + SPACES_LEN - pad);
}

static void print_share(UINT64 x100)
{
    Print(L"%4lu.%02lu", x100 / 100, x100 % 100);
}

/* ------------------------------------------------------------------------
 * Snapshot of all reasons (step b).
 */
#define SNAPSHOT_REASONS EXIT_REASON_COUNT
/* Queries issued after T1 up to and including T2: a count and a cycles
 * query per reason, then T2 itself. check_boot.py relies on this. */
#define SNAPSHOT_QUERIES_BETWEEN (2 * SNAPSHOT_REASONS + 1)

static struct cpuid_regs snap_t1, snap_t2;
static struct cpuid_regs snap_count[SNAPSHOT_REASONS];
static struct cpuid_regs snap_cycles[SNAPSHOT_REASONS];

/* Interrupts off around the measured windows: a firmware timer handler
 * running in the middle could touch devices the hypervisor intercepts and add
 * exits the checker's arithmetic does not expect. (With external-interrupt
 * exiting the interrupt itself still exits regardless of IF; that is the
 * hypervisor's choice and shows in the table.) */

/* Nothing but the queries and stores to static arrays happens between T1
 * and T2, so the only exits in that window are these CPUIDs (on this CPU). */
static void take_snapshot(void)
{
    UINT64 flags;
    UINT32 r;

    flags = irq_save();
    snap_t1 = cpuid(EXV_LEAF_TOTALS, 0);
    for (r = 0; r < SNAPSHOT_REASONS; r++) {
        snap_count[r] = cpuid(EXV_LEAF_REASON_COUNT, r);
        snap_cycles[r] = cpuid(EXV_LEAF_REASON_CYCLES, r);
    }
    snap_t2 = cpuid(EXV_LEAF_TOTALS, 0);
    irq_restore(flags);
}

#define NAME_WIDTH 43   /* longest SDM name in exit_reasons.h */

/* The table of the last snapshot. `final` selects the second table, printed
 * after the per-vCPU step: same rows, its own header and end line (the boot
 * checker's exact arithmetic uses only the first). */
static void print_table(BOOLEAN final)
{
    UINT8 order[SNAPSHOT_REASONS];
    UINTN rows = 0, i, j;
    UINT64 sum_exits = 0, sum_cycles = 0;
    UINT32 r;

    for (r = 0; r < SNAPSHOT_REASONS; r++) {
        sum_exits += snap_count[r].eax;
        sum_cycles += ebx_ecx(snap_cycles[r]);
        if (snap_count[r].eax != 0)
            order[rows++] = (UINT8)r;
    }
    /* kvm_stat order: most frequent first; equal counts by reason number.
     * Insertion sort: at most 80 entries. */
    for (i = 1; i < rows; i++) {
        UINT8 v = order[i];
        for (j = i; j > 0 && snap_count[order[j - 1]].eax < snap_count[v].eax; j--)
            order[j] = order[j - 1];
        order[j] = v;
    }

    if (final)
        Print(L"probe: final exit table (all exits since launch, after the per-vCPU queries)\n");
    else
        Print(L"probe: exit table (snapshot between two reads of leaf 0x4FFFFFFF, all vCPUs;"
              L" shares are of the sum over reasons)\n");
    Print(L"  nr  ");
    print_left("reason", NAME_WIDTH);
    Print(L"  %10a  %16a  %7a  %7a\n", "exits", "cycles", "%exits", "%cycles");
    for (i = 0; i < rows; i++) {
        const char *name;
        r = order[i];
        name = exit_reason_name(r);
        Print(L"  %2d  ", r);
        print_left(name ? name : "(not defined by the SDM)", NAME_WIDTH);
        Print(L"  %10lu  %16lu  ", (UINT64)snap_count[r].eax, ebx_ecx(snap_cycles[r]));
        print_share(exv_ratio_rounded(snap_count[r].eax, sum_exits, 10000));
        Print(L"  ");
        print_share(exv_ratio_rounded(ebx_ecx(snap_cycles[r]), sum_cycles, 10000));
        Print(L"\n");
    }
    Print(L"  total ");
    print_left("", NAME_WIDTH - 2);
    Print(L"  %10lu  %16lu  ", sum_exits, sum_cycles);
    print_share(sum_exits ? 10000 : 0);
    Print(L"  ");
    print_share(sum_cycles ? 10000 : 0);
    Print(L"\n");
    Print(final ? L"probe: final exit table end rows=%lu\n" : L"probe: exit table end rows=%lu\n", (UINT64)rows);
    if (final)
        return;

    Print(L"probe: snapshot t1_exits=%u t1_cycles=%lu t2_exits=%u t2_cycles=%lu"
          L" reasons=%d queries_between=%d\n",
          snap_t1.eax, ebx_ecx(snap_t1), snap_t2.eax, ebx_ecx(snap_t2),
          SNAPSHOT_REASONS, SNAPSHOT_QUERIES_BETWEEN);
    Print(L"probe: sum-of-reasons exits=%lu cycles=%lu\n", sum_exits, sum_cycles);
}

/* ------------------------------------------------------------------------
 * CPUID delta (step c) and 64-bit counts (step d). All five reads happen
 * before anything is printed, so nothing but the 1000 CPUIDs runs between A
 * and B, and only the count64 queries themselves between B and them:
 * expected B - A = RAN + 1 (B counts itself) and count64 cpuid = B + 2 (the
 * total query and the cpuid query each count once more).
 */
#define CPUID_DELTA_RAN 1000

static void cpuid_delta_and_count64(void)
{
    UINT32 before, after, i;
    struct cpuid_regs total64, cpuid64;
    UINT64 flags;

    flags = irq_save();
    before = cpuid(EXV_LEAF_REASON_COUNT, EXIT_REASON_CPUID).eax;
    for (i = 0; i < CPUID_DELTA_RAN; i++)
        (void)cpuid(0, 0);
    after = cpuid(EXV_LEAF_REASON_COUNT, EXIT_REASON_CPUID).eax;
    total64 = cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL);
    cpuid64 = cpuid(EXV_LEAF_REASON_COUNT64, EXIT_REASON_CPUID);
    irq_restore(flags);

    Print(L"probe: cpuid-delta ran=%d before=%u after=%u\n", CPUID_DELTA_RAN, before, after);
    Print(L"probe: count64 total=%lu cpuid=%lu\n", ebx_ecx(total64), ebx_ecx(cpuid64));
}

/* ------------------------------------------------------------------------
 * Reason map and leaf rules. Read after the snapshot and after the
 * cpuid-delta/count64 reads, so these queries cannot disturb their
 * arithmetic; nothing after this point is measured exactly.
 *
 * Leaf 0x40000002 says, 32 reasons per ECX word, which reasons the SDM
 * defines (EBX) and which can occur with the controls in force (EAX). That
 * classifies every reason without looking at its count: a possible reason
 * whose count is still zero is not "impossible".
 */
#define MAP_WORDS ((SNAPSHOT_REASONS + 31) / 32)

enum reason_class { CLASS_POSSIBLE, CLASS_IMPOSSIBLE, CLASS_UNDEFINED, CLASS_TOTAL };

static const char *class_name(enum reason_class c)
{
    switch (c) {
    case CLASS_POSSIBLE:   return "possible";
    case CLASS_IMPOSSIBLE: return "impossible";
    case CLASS_UNDEFINED:  return "undefined";
    default:               return "total";
    }
}

/* The map words read (MAP_WORDS of them, plus one past the end, which must
 * be all zero: no reason 32*MAP_WORDS or above exists) and the class of each
 * reason derived from them. */
static struct cpuid_regs map_word[MAP_WORDS + 1];
static enum reason_class reason_class[SNAPSHOT_REASONS];

/* Selectors checked besides the reasons 0..79: just past the last reason,
 * 0x100, the "total" selector, and 16 fixed pseudo-random values
 * (xorshift32 from seed 0x2545F491), all of which name no reason. */
static const UINT32 extra_selectors[] = {
    SNAPSHOT_REASONS, 0x100u, EXV_SELECT_TOTAL,
    0xE124B63Au, 0x8B9A74ABu, 0x64E1B3ACu, 0x00174626u,
    0xF2ADBBAFu, 0xFED75123u, 0x8A94501Au, 0x12751A71u,
    0x96573F6Cu, 0x46EA7191u, 0x13D2EA5Du, 0x9DB4CF31u,
    0x8E0F4E18u, 0x9E43C23Eu, 0x268A56BCu, 0xE7E1F2D2u,
};
#define EXTRA_SELECTORS (sizeof(extra_selectors) / sizeof(extra_selectors[0]))
#define RULE_SELECTORS (SNAPSHOT_REASONS + EXTRA_SELECTORS)

static const UINT32 rule_leaves[] = {
    EXV_LEAF_REASON_COUNT, EXV_LEAF_REASON_CYCLES, EXV_LEAF_REASON_COUNT64,
};
#define RULE_LEAVES (sizeof(rule_leaves) / sizeof(rule_leaves[0]))

static struct cpuid_regs rule_answer[RULE_LEAVES][RULE_SELECTORS];

static UINT32 rule_selector(UINTN i)
{
    return i < SNAPSHOT_REASONS ? (UINT32)i : extra_selectors[i - SNAPSHOT_REASONS];
}

/* What a selector of a per-reason leaf should be answered as. */
static enum reason_class expected_class(UINT32 leaf, UINT32 sel)
{
    if (leaf == EXV_LEAF_REASON_COUNT64 && sel == EXV_SELECT_TOTAL)
        return CLASS_TOTAL;
    if (sel < SNAPSHOT_REASONS)
        return reason_class[sel];
    return CLASS_UNDEFINED;
}

/* hv/stats/abi.h's rules for one answer of a per-reason leaf. */
static BOOLEAN answer_follows_rules(UINT32 leaf, enum reason_class c, struct cpuid_regs r)
{
    switch (c) {
    case CLASS_UNDEFINED:
        return r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == EXV_UNDEFINED_EDX;
    case CLASS_IMPOSSIBLE:
        return r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0;
    case CLASS_TOTAL:       /* EBX:ECX = 64-bit total */
        return r.eax == 0 && r.edx == 0;
    case CLASS_POSSIBLE:
    default:
        if (r.edx != 0)
            return FALSE;
        if (leaf == EXV_LEAF_REASON_COUNT)      /* EAX = count */
            return r.ebx == 0 && r.ecx == 0;
        return r.eax == 0;                      /* EBX:ECX = cycles or count64 */
    }
}

/* A map word is well formed: ECX = EDX = 0, every possible reason is
 * defined, and no bit stands for a reason at or above SNAPSHOT_REASONS. */
static BOOLEAN map_word_ok(UINT32 n, struct cpuid_regs r)
{
    UINT32 valid;

    if (32 * n >= SNAPSHOT_REASONS)
        valid = 0;
    else if (SNAPSHOT_REASONS - 32 * n >= 32)
        valid = 0xFFFFFFFFu;
    else
        valid = (1u << (SNAPSHOT_REASONS - 32 * n)) - 1;
    return r.ecx == 0 && r.edx == 0 && (r.eax & ~r.ebx) == 0 &&
           (r.eax & ~valid) == 0 && (r.ebx & ~valid) == 0;
}

static void print_mismatch(UINT32 leaf, UINT32 sel, struct cpuid_regs r, const char *expected)
{
    Print(L"probe: leaf-mismatch leaf=0x%08X ecx=0x%08x eax=0x%08x ebx=0x%08x ecx=0x%08x"
          L" edx=0x%08x expected=%a\n", leaf, sel, r.eax, r.ebx, r.ecx, r.edx, expected);
}

static void reason_map_and_leaf_rules(void)
{
    UINTN n[3] = { 0, 0, 0 };
    UINTN checked = 0, mismatches = 0, l, i;
    UINT32 r, w;

    /* All reads first, printing after: nothing runs between the queries. */
    for (w = 0; w <= MAP_WORDS; w++)
        map_word[w] = cpuid(EXV_LEAF_REASON_MAP, w);
    for (l = 0; l < RULE_LEAVES; l++)
        for (i = 0; i < RULE_SELECTORS; i++)
            rule_answer[l][i] = cpuid(rule_leaves[l], rule_selector(i));

    for (r = 0; r < SNAPSHOT_REASONS; r++) {
        UINT32 bit = 1u << (r % 32);
        struct cpuid_regs m = map_word[r / 32];
        if (!(m.ebx & bit))
            reason_class[r] = CLASS_UNDEFINED;
        else if (m.eax & bit)
            reason_class[r] = CLASS_POSSIBLE;
        else
            reason_class[r] = CLASS_IMPOSSIBLE;
        n[reason_class[r]]++;
    }
    Print(L"probe: reason-map possible=%lu impossible=%lu undefined=%lu\n",
          (UINT64)n[CLASS_POSSIBLE], (UINT64)n[CLASS_IMPOSSIBLE], (UINT64)n[CLASS_UNDEFINED]);
    /* The impossible reasons are the rest. */
    Print(L"probe: possible-reasons");
    for (r = 0; r < SNAPSHOT_REASONS; r++)
        if (reason_class[r] == CLASS_POSSIBLE)
            Print(L" %d", r);
    Print(L"\nprobe: undefined-reasons");
    for (r = 0; r < SNAPSHOT_REASONS; r++)
        if (reason_class[r] == CLASS_UNDEFINED)
            Print(L" %d", r);
    Print(L"\n");

    for (w = 0; w <= MAP_WORDS; w++) {
        checked++;
        if (!map_word_ok(w, map_word[w])) {
            mismatches++;
            print_mismatch(EXV_LEAF_REASON_MAP, w, map_word[w], "map-word");
        }
    }
    for (l = 0; l < RULE_LEAVES; l++) {
        for (i = 0; i < RULE_SELECTORS; i++) {
            UINT32 sel = rule_selector(i);
            enum reason_class c = expected_class(rule_leaves[l], sel);
            checked++;
            if (!answer_follows_rules(rule_leaves[l], c, rule_answer[l][i])) {
                mismatches++;
                print_mismatch(rule_leaves[l], sel, rule_answer[l][i], class_name(c));
            }
        }
    }
    Print(L"probe: leaf-rules checked=%lu mismatches=%lu\n", (UINT64)checked, (UINT64)mismatches);
}

/* ------------------------------------------------------------------------
 * Per-vCPU reads (step e).
 */
#define MAX_VCPUS 256

struct vcpu_slot {
    volatile UINT32 done;
    volatile UINT32 sig_ok;
    volatile UINT32 total;
    volatile UINT32 cpuid_count;
    volatile UINT32 apic_id;
};

static struct vcpu_slot vcpu_slots[MAX_VCPUS];

/* Runs on the BSP directly and on each AP through StartupThisAP. An AP may
 * not call UEFI services, so this only executes CPUID and stores results;
 * the BSP prints them afterwards. */
static VOID EFIAPI read_this_vcpu(IN VOID *arg)
{
    struct vcpu_slot *slot = arg;
    struct cpuid_regs sig, total, count, basic;

    sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    total = cpuid(EXV_LEAF_TOTALS, 0);
    count = cpuid(EXV_LEAF_REASON_COUNT, EXIT_REASON_CPUID);
    basic = cpuid(1, 0);

    slot->sig_ok = signature_ok(sig);
    slot->total = total.eax;
    slot->cpuid_count = count.eax;
    slot->apic_id = basic.ebx >> 24;    /* initial APIC ID, CPUID.1:EBX[31:24] */
    slot->done = 1;
}

static void print_vcpu(UINTN i, const struct vcpu_slot *s)
{
    if (s->sig_ok)
        Print(L"probe: vcpu %lu apic %u signature ok total=%u cpuid=%u\n",
              (UINT64)i, s->apic_id, s->total, s->cpuid_count);
    else
        /* Without the hypervisor the stats leaves return the highest basic
         * leaf's data: the numbers would mean nothing. */
        Print(L"probe: vcpu %lu apic %u signature missing total=n/a cpuid=n/a\n",
              (UINT64)i, s->apic_id);
}

static void per_vcpu(void)
{
    static EFI_GUID mp_guid = EFI_MP_SERVICES_PROTOCOL_GUID;
    EFI_MP_SERVICES_PROTOCOL *mp = NULL;
    UINTN n = 0, enabled = 0, bsp = 0, i, read = 0;
    EFI_STATUS st;

    st = BS->LocateProtocol(&mp_guid, NULL, (VOID **)&mp);
    if (EFI_ERROR(st) || mp == NULL) {
        Print(L"probe: MP services protocol not found (%r); reading the BSP only\n", st);
        read_this_vcpu(&vcpu_slots[0]);
        print_vcpu(0, &vcpu_slots[0]);
        Print(L"probe: vcpus-read 1\n");
        return;
    }
    st = mp->GetNumberOfProcessors(mp, &n, &enabled);
    if (EFI_ERROR(st)) {
        Print(L"probe: MP services GetNumberOfProcessors failed: %r\n", st);
        Print(L"probe: vcpus-read 0\n");
        return;
    }
    st = mp->WhoAmI(mp, &bsp);
    if (EFI_ERROR(st)) {
        Print(L"probe: MP services WhoAmI failed: %r\n", st);
        Print(L"probe: vcpus-read 0\n");
        return;
    }
    Print(L"probe: mp processors=%lu enabled=%lu bsp=%lu\n", (UINT64)n, (UINT64)enabled, (UINT64)bsp);
    if (n > MAX_VCPUS) {
        Print(L"probe: only the first %d processors are read\n", MAX_VCPUS);
        n = MAX_VCPUS;
    }

    /* One processor at a time, in processor-number order, so the global
     * totals each one reads can only grow along the printed order. */
    for (i = 0; i < n; i++) {
        if (i == bsp) {
            read_this_vcpu(&vcpu_slots[i]);
        } else {
            /* PI 1.7 appended ExtendedInformation (six UINT32s) to the
             * structure boot/mp_services.h declares; firmware fills it only
             * when asked (bit 24 of ProcessorNumber), but the spare room
             * keeps one that writes it anyway from overrunning the stack. */
            struct {
                EFI_PROCESSOR_INFORMATION info;
                UINT32 extended[6];
            } buf;
            st = mp->GetProcessorInfo(mp, i, &buf.info);
            if (!EFI_ERROR(st) && !(buf.info.StatusFlag & PROCESSOR_ENABLED_BIT)) {
                Print(L"probe: vcpu %lu not read: processor disabled\n", (UINT64)i);
                continue;
            }
            /* Blocking (no WaitEvent). The timeout turns a wedged AP into
             * a reported error instead of a hang. */
            st = mp->StartupThisAP(mp, read_this_vcpu, i, NULL, 5000000,
                                   &vcpu_slots[i], NULL);
            if (EFI_ERROR(st)) {
                Print(L"probe: vcpu %lu not read: StartupThisAP: %r\n", (UINT64)i, st);
                continue;
            }
        }
        if (!vcpu_slots[i].done) {
            Print(L"probe: vcpu %lu not read: procedure did not run\n", (UINT64)i);
            continue;
        }
        read++;
    }
    for (i = 0; i < n; i++)
        if (vcpu_slots[i].done)
            print_vcpu(i, &vcpu_slots[i]);
    Print(L"probe: vcpus-read %lu\n", (UINT64)read);
}

/* ------------------------------------------------------------------------ */

/* A clock mark: where this point of the probe falls on the hypervisor's
 * timeline (tools/timeline.py places "probe: mark LABEL tsc=T" at T minus
 * the launch TSC). RDTSC does not exit: it adds nothing to the counts. */
static void mark(const char *label)
{
    UINT32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    Print(L"probe: mark %a tsc=%lu\n", label, ((UINT64)hi << 32) | lo);
}

/* The hypervisor's own log (leaf 0x40000008), as "probe: hv-log: <line>":
 * on a machine without a serial port this is where its lines show. */
static void print_log_line(const char *line, uint32_t n, void *ctx)
{
    char text[EXV_LOG_LINE_MAX];
    (void)ctx;
    for (uint32_t i = 0; i < n && i < sizeof(text) - 1; i++)
        text[i] = line[i];
    text[n < sizeof(text) - 1 ? n : sizeof(text) - 1] = '\0';
    Print(L"probe: hv-log: %a\n", text);
}

static void print_hv_log(void)
{
    struct exv_log_info info;
    if (exv_log_read(print_log_line, NULL, &info) != 0) {
        Print(L"probe: hv-log: none (this exitvisor keeps no log)\n");
        return;
    }
    Print(L"probe: hv-log end: %u lines, %lu bytes written since launch, ring %u bytes, %lu bytes lost\n",
          info.lines, info.written, info.ring_size, info.lost_bytes);
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the System V convention. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    struct cpuid_regs sig;
    BOOLEAN poweroff;

    InitializeLib(image, systab);
    poweroff = guest_has_option(image, L"--poweroff");
    mark("probe-start");

    sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    if (!signature_ok(sig)) {
        Print(L"probe: no exitvisor signature at CPUID 0x40000000 (bare metal or another "
              L"hypervisor); the 0x4FFFFFFx leaves would return the highest basic leaf's "
              L"data, so nothing to read\n");
    } else {
        struct cpuid_regs info = cpuid(EXV_LEAF_INFO, 0);
        Print(L"probe: exitvisor signature found, ABI %u, %u vCPUs\n", info.eax, info.ebx);
        take_snapshot();
        print_table(FALSE);
        cpuid_delta_and_count64();
        reason_map_and_leaf_rules();
    }
    /* Runs with or without the hypervisor: on bare firmware it still shows
     * which processors MP services can reach. */
    mark("per-vcpu");
    per_vcpu();
    if (signature_ok(sig)) {
        take_snapshot();
        print_table(TRUE);
        /* The hypervisor's own view of the same counters, printed by it. */
        UINT64 rax = EXV_VMCALL_PRINT_STATS;
        __asm__ volatile("vmcall" : "+a"(rax) : : "memory");
        Print(L"probe: VMCALL print-stats returned 0x%lx\n", rax);
        print_hv_log();
    }

    mark("probe-done");
    Print(L"probe: done\n");
    if (poweroff) {
        Print(L"probe: --poweroff: ending the emulator\n");
        guest_power_off();
    }
    return EFI_SUCCESS;
}
