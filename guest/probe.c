/*
 * probe — the guest-side reader of exitvisor's exit statistics.
 *
 * A GNU-EFI application that exitvisor chain-loads by default once every CPU
 * runs as a guest. It reads the CPUID leaves of hv/abi.h and prints, to the
 * UEFI console (which OVMF mirrors to COM1):
 *   - a kvm_stat-like table of exits per basic exit reason, taken as one
 *     snapshot between two reads of the totals leaf;
 *   - machine-checkable "probe: ..." lines that tools/exitlog.py parses and
 *     tools/tests/check_boot.py checks (the formats are part of that
 *     contract: change them together);
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

#include "../hv/abi.h"
#include "../hv/arch/exit_reasons.h"
#include "../hv/exit_names.h"

#ifndef HAVE_USE_MS_ABI
#error "build the probe with -DGNU_EFI_USE_MS_ABI: it calls EFIAPI pointers directly"
#endif

struct cpuid_regs {
    UINT32 eax, ebx, ecx, edx;
};

#ifdef PROBE_TEST_CPUID
/* Format tests outside a hypervisor link a software model of the ABI here
 * instead of executing the instruction. Never defined by the real build. */
void PROBE_TEST_CPUID(UINT32 leaf, UINT32 subleaf, struct cpuid_regs *out);
#endif

/* One CPUID with both inputs explicit and all four outputs taken: the
 * statistics leaves are selected by ECX, and an unset ECX would silently
 * select whatever reason the register happened to hold. volatile keeps every
 * query in program order and stops the compiler from merging or dropping
 * repeated identical queries, each of which is a counted exit. */
static inline struct cpuid_regs cpuid(UINT32 leaf, UINT32 subleaf)
{
    struct cpuid_regs r;
#ifdef PROBE_TEST_CPUID
    PROBE_TEST_CPUID(leaf, subleaf, &r);
#else
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
#endif
    return r;
}

/* EBX:ECX (hi:lo) is how the ABI returns 64-bit values. */
static UINT64 ebx_ecx(struct cpuid_regs r)
{
    return ((UINT64)r.ebx << 32) | r.ecx;
}

static int signature_ok(struct cpuid_regs r)
{
    return r.ebx == EXV_SIG_EBX && r.ecx == EXV_SIG_ECX && r.edx == EXV_SIG_EDX;
}

/* ------------------------------------------------------------------------
 * EFI_MP_SERVICES_PROTOCOL, UEFI PI specification vol. 2, section 13.4.
 * gnu-efi 3.0.15 does not ship it.
 */
#define EFI_MP_SERVICES_PROTOCOL_GUID \
    { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

#define PROCESSOR_AS_BSP_BIT       0x00000001u
#define PROCESSOR_ENABLED_BIT      0x00000002u
#define PROCESSOR_HEALTH_STATUS_BIT 0x00000004u

typedef struct {
    UINT32 Package;
    UINT32 Core;
    UINT32 Thread;
} EFI_CPU_PHYSICAL_LOCATION;

/* PI 1.7 appended ExtendedInformation; firmware fills it only when asked
 * (bit 24 of ProcessorNumber), but reserving the room costs nothing and
 * keeps a firmware that writes it anyway from overrunning the stack. */
typedef struct {
    UINT32 Package, Module, Tile, Die, Core, Thread;
} EFI_CPU_PHYSICAL_LOCATION2;

typedef struct {
    UINT64 ProcessorId;
    UINT32 StatusFlag;
    EFI_CPU_PHYSICAL_LOCATION Location;
    union {
        EFI_CPU_PHYSICAL_LOCATION2 Location2;
    } ExtendedInformation;
} EFI_PROCESSOR_INFORMATION;

typedef VOID (EFIAPI *EFI_AP_PROCEDURE)(IN VOID *ProcedureArgument);

typedef struct _EFI_MP_SERVICES_PROTOCOL EFI_MP_SERVICES_PROTOCOL;

struct _EFI_MP_SERVICES_PROTOCOL {
    EFI_STATUS (EFIAPI *GetNumberOfProcessors)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        OUT UINTN *NumberOfProcessors,
        OUT UINTN *NumberOfEnabledProcessors);
    EFI_STATUS (EFIAPI *GetProcessorInfo)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        IN UINTN ProcessorNumber,
        OUT EFI_PROCESSOR_INFORMATION *ProcessorInfoBuffer);
    EFI_STATUS (EFIAPI *StartupAllAPs)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        IN EFI_AP_PROCEDURE Procedure,
        IN BOOLEAN SingleThread,
        IN EFI_EVENT WaitEvent OPTIONAL,
        IN UINTN TimeoutInMicroSeconds,
        IN VOID *ProcedureArgument OPTIONAL,
        OUT UINTN **FailedCpuList OPTIONAL);
    EFI_STATUS (EFIAPI *StartupThisAP)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        IN EFI_AP_PROCEDURE Procedure,
        IN UINTN ProcessorNumber,
        IN EFI_EVENT WaitEvent OPTIONAL,
        IN UINTN TimeoutInMicroseconds,
        IN VOID *ProcedureArgument OPTIONAL,
        OUT BOOLEAN *Finished OPTIONAL);
    EFI_STATUS (EFIAPI *SwitchBSP)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        IN UINTN ProcessorNumber,
        IN BOOLEAN EnableOldBSP);
    EFI_STATUS (EFIAPI *EnableDisableAP)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        IN UINTN ProcessorNumber,
        IN BOOLEAN EnableAP,
        IN UINT32 *HealthFlag OPTIONAL);
    EFI_STATUS (EFIAPI *WhoAmI)(
        IN EFI_MP_SERVICES_PROTOCOL *This,
        OUT UINTN *ProcessorNumber);
};

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

/* part/whole in hundredths of a percent, rounded; 0 when whole is 0. Both are
 * scaled down first if part*10000 would overflow 64 bits (cycle counts on a
 * long run can be large). */
static UINT64 share_x100(UINT64 part, UINT64 whole)
{
    if (whole == 0)
        return 0;
    while (part > (UINT64)-1 / 10000) {
        part >>= 1;
        whole >>= 1;
    }
    if (whole == 0)
        return 0;
    return (part * 10000 + whole / 2) / whole;
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
static inline UINT64 irq_save(void)
{
    UINT64 flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(UINT64 flags)
{
    if (flags & (1u << 9))      /* RFLAGS.IF */
        __asm__ volatile("sti" : : : "memory");
}

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

enum leaf_class { LEAF_POSSIBLE, LEAF_IMPOSSIBLE, LEAF_UNDEFINED };

/* The ABI's classes: EDX = 0xFFFFFFFF marks a number the SDM does not define;
 * all four registers 0 marks a defined reason that cannot occur with the
 * controls in force. A possible reason that has not happened yet also reads
 * as all zeros, so "impossible" here means "impossible or not yet seen". */
static enum leaf_class classify(struct cpuid_regs r)
{
    if (r.edx == EXV_UNDEFINED_EDX)
        return LEAF_UNDEFINED;
    if (r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0)
        return LEAF_IMPOSSIBLE;
    return LEAF_POSSIBLE;
}

static const char *class_name(enum leaf_class c)
{
    switch (c) {
    case LEAF_POSSIBLE:   return "possible";
    case LEAF_IMPOSSIBLE: return "impossible";
    default:              return "undefined";
    }
}

#define NAME_WIDTH 43   /* longest SDM name in exit_reasons.h */

static void print_snapshot(void)
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
        print_share(share_x100(snap_count[r].eax, sum_exits));
        Print(L"  ");
        print_share(share_x100(ebx_ecx(snap_cycles[r]), sum_cycles));
        Print(L"\n");
    }
    Print(L"  total ");
    print_left("", NAME_WIDTH - 2);
    Print(L"  %10lu  %16lu  ", sum_exits, sum_cycles);
    print_share(sum_exits ? 10000 : 0);
    Print(L"  ");
    print_share(sum_cycles ? 10000 : 0);
    Print(L"\n");
    Print(L"probe: exit table end rows=%lu\n", (UINT64)rows);

    Print(L"probe: snapshot t1_exits=%u t1_cycles=%lu t2_exits=%u t2_cycles=%lu"
          L" reasons=%d queries_between=%d\n",
          snap_t1.eax, ebx_ecx(snap_t1), snap_t2.eax, ebx_ecx(snap_t2),
          SNAPSHOT_REASONS, SNAPSHOT_QUERIES_BETWEEN);
    Print(L"probe: sum-of-reasons exits=%lu cycles=%lu\n", sum_exits, sum_cycles);
}

static void print_leaf_classes(void)
{
    UINTN n[3] = { 0, 0, 0 };
    struct cpuid_regs all, past;
    UINT32 r;

    for (r = 0; r < SNAPSHOT_REASONS; r++)
        n[classify(snap_count[r])]++;
    Print(L"probe: leaf classes possible=%lu impossible=%lu undefined=%lu\n",
          (UINT64)n[LEAF_POSSIBLE], (UINT64)n[LEAF_IMPOSSIBLE], (UINT64)n[LEAF_UNDEFINED]);

    /* The lists let a reader (and the checker) compare the undefined set
     * with the SDM's gaps without re-querying. */
    Print(L"probe: undefined-reasons");
    for (r = 0; r < SNAPSHOT_REASONS; r++)
        if (classify(snap_count[r]) == LEAF_UNDEFINED)
            Print(L" %d", r);
    Print(L"\nprobe: impossible-reasons");
    for (r = 0; r < SNAPSHOT_REASONS; r++)
        if (classify(snap_count[r]) == LEAF_IMPOSSIBLE)
            Print(L" %d", r);
    Print(L"\n");

    /* The cycles leaf must agree with the count leaf on which numbers are
     * undefined; report any reason where it does not. */
    for (r = 0; r < SNAPSHOT_REASONS; r++) {
        int cu = snap_count[r].edx == EXV_UNDEFINED_EDX;
        int yu = snap_cycles[r].edx == EXV_UNDEFINED_EDX;
        if (cu != yu)
            Print(L"probe: leaf-mismatch reason=%d count-leaf=%a cycles-leaf=%a\n",
                  r, cu ? "undefined" : "defined", yu ? "undefined" : "defined");
    }

    /* Out-of-range selectors: 0xFFFFFFFF means "total" only for the 64-bit
     * leaf, so for the 32-bit count leaf both must answer "undefined". These
     * are queried after T2 so they do not disturb the snapshot arithmetic. */
    all = cpuid(EXV_LEAF_REASON_COUNT, EXV_SELECT_TOTAL);
    past = cpuid(EXV_LEAF_REASON_COUNT, SNAPSHOT_REASONS);
    Print(L"probe: leaf 0x4FFFFFFE ecx=0xFFFFFFFF eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x class=%a\n",
          all.eax, all.ebx, all.ecx, all.edx, class_name(classify(all)));
    Print(L"probe: leaf 0x4FFFFFFE ecx=%d eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x class=%a\n",
          SNAPSHOT_REASONS, past.eax, past.ebx, past.ecx, past.edx,
          class_name(classify(past)));
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
            EFI_PROCESSOR_INFORMATION info;
            st = mp->GetProcessorInfo(mp, i, &info);
            if (!EFI_ERROR(st) && !(info.StatusFlag & PROCESSOR_ENABLED_BIT)) {
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

/* ------------------------------------------------------------------------
 * Load options and power-off (step f).
 */

/* LoadOptions is a CHAR16 buffer of LoadOptionsSize bytes; it may start
 * with the image name and need not be NUL-terminated, so search it by
 * length rather than as a C string. */
static BOOLEAN has_option(EFI_HANDLE image, const CHAR16 *opt)
{
    EFI_LOADED_IMAGE *li = NULL;
    const CHAR16 *s;
    UINTN len, olen = 0, i, k;

    if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (VOID **)&li)) ||
        li == NULL || li->LoadOptions == NULL)
        return FALSE;
    s = li->LoadOptions;
    len = li->LoadOptionsSize / sizeof(CHAR16);
    while (opt[olen])
        olen++;
    for (i = 0; i + olen <= len; i++) {
        for (k = 0; k < olen && s[i + k] == opt[k]; k++)
            ;
        if (k == olen)
            return TRUE;
    }
    return FALSE;
}

static inline void outb(UINT16 port, UINT8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void power_off(void)
{
    const char *p;

    /* OVMF's serial driver hands bytes to the UART, which sends them over
     * (emulated) time; an emulator told to exit right away can drop the
     * last line. Give it a moment to drain. */
    BS->Stall(100000);
    /* Bochs: the ASCII string "Shutdown" written to port 0x8900 exits the
     * emulator (OVMF's ResetSystem(EfiResetShutdown) hangs there). */
    for (p = "Shutdown"; *p; p++)
        outb(0x8900, (UINT8)*p);
    /* QEMU with -device isa-debug-exit,iobase=0xf4: exits with status
     * (value << 1) | 1, i.e. 1 for 0. */
    outb(0xf4, 0x00);
    /* Anything else, including real hardware. */
    RT->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
}

/* ------------------------------------------------------------------------ */

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the System V convention. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    struct cpuid_regs sig;
    BOOLEAN poweroff;

    InitializeLib(image, systab);
    poweroff = has_option(image, L"--poweroff");

    sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    if (!signature_ok(sig)) {
        Print(L"probe: no exitvisor signature at CPUID 0x40000000 (bare metal or another "
              L"hypervisor); the 0x4FFFFFFx leaves would return the highest basic leaf's "
              L"data, so nothing to read\n");
    } else {
        struct cpuid_regs info = cpuid(EXV_LEAF_INFO, 0);
        Print(L"probe: exitvisor signature found, ABI %u, %u vCPUs\n", info.eax, info.ebx);
        take_snapshot();
        print_snapshot();
        print_leaf_classes();
        cpuid_delta_and_count64();
    }
    /* Runs with or without the hypervisor: on bare firmware it still shows
     * which processors MP services can reach. */
    per_vcpu();

    Print(L"probe: done\n");
    if (poweroff) {
        Print(L"probe: --poweroff: ending the emulator\n");
        power_off();
    }
    return EFI_SUCCESS;
}
