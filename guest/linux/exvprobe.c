/*
 * exvprobe — exitvisor's exit statistics, read from a Linux process.
 *
 * The Linux twin of the UEFI probe (guest/probe.c): an ordinary static
 * program that reads the CPUID leaves of hv/stats/abi.h from user mode (CPUID
 * exits unconditionally under VMX, at any privilege level) and prints, on
 * stdout:
 *   - "probe: exitvisor signature found, ABI A, N vCPUs"
 *   - "probe: exits-since-launch total=N cycles=C": every exit of every vCPU
 *     since VMLAUNCH, at the moment this program runs (leaf 0x4FFFFFFC with
 *     ECX = 0xFFFFFFFF for the 64-bit total, 0x4FFFFFFF for the cycles);
 *   - the kvm_stat-like table of the UEFI probe, in exactly its line formats
 *     (header, rows, total, "probe: exit table end rows=K"), then the
 *     snapshot and sum-of-reasons lines, so tools/exitlog.py and
 *     tools/report.py read it as they read the UEFI probe's;
 *   - the reason map of leaf 0x40000002;
 *   - "probe: hv-memory n=I base=0x... pages=P kind=K" for each range of
 *     leaf 0x40000003, the memory exitvisor keeps for itself (EPT hides it):
 *     the kernel's memory map must call it reserved (tools/tests/check_linux.py);
 *   - "probe: done".
 * With -w SECONDS, instead of the table: a live view, kvm_stat style. Every
 * second one block of lines gives, for each reason whose count moved, its
 * rate in exits per second over that second and its total.
 *
 * Differences from the UEFI probe, all because this runs under an OS:
 *   - interrupts cannot be disabled and the other vCPUs keep running, so the
 *     snapshot is not exact: exits of other CPUs (and interrupts on this one)
 *     land between T1 and T2. The line formats are the same; the UEFI
 *     probe's exact arithmetic (check_boot.py) does not apply;
 *   - per-reason counts come from the 64-bit leaf 0x4FFFFFFC (the UEFI probe
 *     uses the 32-bit 0x4FFFFFFE): a long-running OS can pass 2^32 exits.
 *     The number of queries between T1 and T2 is the same (one count and one
 *     cycles query per reason).
 *   - no per-vCPU reads (the counters are global anyway).
 *
 * Every query is itself a CPUID exit and is counted (README "A query counts
 * itself"): the table includes the probe's own queries up to the moment each
 * was answered, and in the live view each sample costs one CPUID exit per
 * possible reason plus one, which the header line states.
 *
 * Build: gcc -static -O2 -I<repo> guest/linux/exvprobe.c hv/stats/exit_names.c
 * Only <stdio.h>, <unistd.h> (getopt) and <time.h> (clock_gettime,
 * nanosleep) from the C library; CPUID is inline assembly.
 * Exit status: 0 ok, 2 usage error or no exitvisor signature.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/stats/abi.h"
#include "hv/arch/exit_reasons.h"
#include "hv/stats/exit_names.h"
#include "../exv_query.h"
#include "../exv_ratio.h"
#include "exvprobe.h"


/* Printable form of a 12-byte vendor signature (another hypervisor's, or
 * garbage on bare metal), for the "no signature" message. */
static void signature_text(struct cpuid_regs r, char out[13])
{
    u32 w[3] = { r.ebx, r.ecx, r.edx };
    int i, end = 0;

    for (i = 0; i < 12; i++) {
        unsigned char c = (unsigned char)(w[i / 4] >> (8 * (i % 4)));
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
        if (c != 0)
            end = i + 1;        /* trailing NULs pad short signatures: drop them */
    }
    out[end] = '\0';
}

/* ------------------------------------------------------------------------
 * Output helpers: the exact formats of guest/probe.c's print_table.
 */
#define NAME_WIDTH 43   /* longest SDM name in exit_reasons.h */
#define REASONS EXIT_REASON_COUNT
#define QUERIES_BETWEEN (2 * REASONS + 1)

static void print_left(const char *s, int width)
{
    printf("%-*s", width, s);
}

static void print_share(u64 x100)
{
    printf("%4llu.%02llu", x100 / 100, x100 % 100);
}

/* ------------------------------------------------------------------------
 * The snapshot and its table.
 */
static struct cpuid_regs snap_t1, snap_t2;
static u64 snap_count[REASONS], snap_cycles[REASONS];

/* Nothing but the queries and stores happens between T1 and T2 (no output,
 * no system call), so this process adds exactly QUERIES_BETWEEN exits there;
 * other vCPUs and interrupts may add more. */
static void take_snapshot(void)
{
    u32 r;

    snap_t1 = cpuid(EXV_LEAF_TOTALS, 0);
    for (r = 0; r < REASONS; r++) {
        snap_count[r] = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, r));
        snap_cycles[r] = ebx_ecx(cpuid(EXV_LEAF_REASON_CYCLES, r));
    }
    snap_t2 = cpuid(EXV_LEAF_TOTALS, 0);
}

static void print_table(void)
{
    unsigned char order[REASONS];
    int rows = 0, i, j;
    u64 sum_exits = 0, sum_cycles = 0;
    u32 r;

    for (r = 0; r < REASONS; r++) {
        sum_exits += snap_count[r];
        sum_cycles += snap_cycles[r];
        if (snap_count[r] != 0)
            order[rows++] = (unsigned char)r;
    }
    /* kvm_stat order: most frequent first; equal counts by reason number. */
    for (i = 1; i < rows; i++) {
        unsigned char v = order[i];
        for (j = i; j > 0 && snap_count[order[j - 1]] < snap_count[v]; j--)
            order[j] = order[j - 1];
        order[j] = v;
    }

    printf("probe: exit table (Linux exvprobe: snapshot between two reads of leaf 0x4FFFFFFF,"
           " all vCPUs since launch; shares are of the sum over reasons)\n");
    printf("  nr  ");
    print_left("reason", NAME_WIDTH);
    printf("  %10s  %16s  %7s  %7s\n", "exits", "cycles", "%exits", "%cycles");
    for (i = 0; i < rows; i++) {
        const char *name;
        r = order[i];
        name = exit_reason_name(r);
        printf("  %2u  ", r);
        print_left(name ? name : "(not defined by the SDM)", NAME_WIDTH);
        printf("  %10llu  %16llu  ", snap_count[r], snap_cycles[r]);
        print_share(exv_ratio_rounded(snap_count[r], sum_exits, 10000));
        printf("  ");
        print_share(exv_ratio_rounded(snap_cycles[r], sum_cycles, 10000));
        printf("\n");
    }
    printf("  total ");
    print_left("", NAME_WIDTH - 2);
    printf("  %10llu  %16llu  ", sum_exits, sum_cycles);
    print_share(sum_exits ? 10000 : 0);
    printf("  ");
    print_share(sum_cycles ? 10000 : 0);
    printf("\n");
    printf("probe: exit table end rows=%d\n", rows);
    printf("probe: snapshot t1_exits=%u t1_cycles=%llu t2_exits=%u t2_cycles=%llu"
           " reasons=%d queries_between=%d\n",
           snap_t1.eax, (u64)ebx_ecx(snap_t1), snap_t2.eax, (u64)ebx_ecx(snap_t2),
           REASONS, QUERIES_BETWEEN);
    printf("probe: sum-of-reasons exits=%llu cycles=%llu\n", sum_exits, sum_cycles);
}

/* ------------------------------------------------------------------------
 * Reason map (leaf 0x40000002): possible, impossible, undefined.
 */
#define MAP_WORDS ((REASONS + 31) / 32)

static unsigned char possible[REASONS];

static void read_reason_map(void)
{
    struct cpuid_regs w[MAP_WORDS];
    u32 i, r;

    for (i = 0; i < MAP_WORDS; i++)
        w[i] = cpuid(EXV_LEAF_REASON_MAP, i);
    for (r = 0; r < REASONS; r++) {
        u32 bit = 1u << (r % 32);
        if (!(w[r / 32].ebx & bit))
            possible[r] = 0;            /* undefined */
        else if (w[r / 32].eax & bit)
            possible[r] = 1;            /* possible */
        else
            possible[r] = 2;            /* defined but impossible */
    }
}

static void print_reason_map(void)
{
    int n[3] = { 0, 0, 0 };
    u32 r;

    for (r = 0; r < REASONS; r++)
        n[possible[r]]++;
    printf("probe: reason-map possible=%d impossible=%d undefined=%d\n", n[1], n[2], n[0]);
    printf("probe: possible-reasons");
    for (r = 0; r < REASONS; r++)
        if (possible[r] == 1)
            printf(" %u", r);
    printf("\nprobe: undefined-reasons");
    for (r = 0; r < REASONS; r++)
        if (possible[r] == 0)
            printf(" %u", r);
    printf("\n");
}

static void print_hv_memory(void)
{
    static const char *const kinds[] = { "none", "code", "data", "counters" };
    u32 n;

    for (n = 0; n < 64; n++) {
        struct cpuid_regs r = cpuid(EXV_LEAF_HV_MEMORY, n);
        if (r.edx == EXV_MEMORY_NONE)
            break;
        printf("probe: hv-memory n=%u base=0x%llx pages=%u kind=%s\n", n, ((u64)r.ebx << 32) | r.eax, r.ecx,
               r.edx < sizeof(kinds) / sizeof(kinds[0]) ? kinds[r.edx] : "unknown");
    }
}

static void print_since_launch(void)
{
    struct cpuid_regs total64 = cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL);
    struct cpuid_regs totals = cpuid(EXV_LEAF_TOTALS, 0);

    /* The first query counts itself; its cycles come from the second one. */
    printf("probe: exits-since-launch total=%llu cycles=%llu\n", (u64)ebx_ecx(total64), (u64)ebx_ecx(totals));
}

/* ------------------------------------------------------------------------
 * Live view (-w SECONDS).
 */
static u64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* Sleep until the absolute CLOCK_MONOTONIC time `deadline` (ns). */
static void sleep_until(u64 deadline)
{
    u64 t;

    while ((t = now_ns()) < deadline) {
        struct timespec d;
        d.tv_sec = (time_t)((deadline - t) / 1000000000ull);
        d.tv_nsec = (long)((deadline - t) % 1000000000ull);
        nanosleep(&d, NULL);    /* EINTR: loop and sleep the rest */
    }
}

static u64 live_prev[REASONS], live_cur[REASONS];

/* One sample: the 64-bit count of every possible reason, then the total. */
static u64 live_sample(u64 counts[REASONS])
{
    u32 r;

    for (r = 0; r < REASONS; r++)
        if (possible[r] == 1)
            counts[r] = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, r));
    return ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL));
}

static void live_view(long seconds)
{
    int queries = 1, rows, i, j;
    u64 t_prev, t_cur, total_prev, total_cur;
    unsigned char order[REASONS];
    u64 rate[REASONS];
    long s;
    u32 r;

    for (r = 0; r < REASONS; r++)
        queries += possible[r] == 1;
    printf("probe: live view: %ld s, one sample a second, all vCPUs; rates in exits/s over the"
           " last interval; each sample is %d CPUID queries, counted under CPUID\n",
           seconds, queries);
    fflush(stdout);

    total_prev = live_sample(live_prev);
    t_prev = now_ns();
    for (s = 1; s <= seconds; s++) {
        u64 dt;

        sleep_until(t_prev + 1000000000ull);
        total_cur = live_sample(live_cur);
        t_cur = now_ns();
        dt = t_cur - t_prev;
        if (dt == 0)
            dt = 1;

        rows = 0;
        for (r = 0; r < REASONS; r++) {
            u64 d;
            if (possible[r] != 1)
                continue;
            d = live_cur[r] - live_prev[r];
            /* exits/s, rounded: d * 1e9 / dt without overflow for any
             * realistic d (d < 1.8e10 per interval). */
            rate[r] = (d * 1000000000ull + dt / 2) / dt;
            if (d != 0)
                order[rows++] = (unsigned char)r;
        }
        for (i = 1; i < rows; i++) {
            unsigned char v = order[i];
            for (j = i; j > 0 && rate[order[j - 1]] < rate[v]; j--)
                order[j] = order[j - 1];
            order[j] = v;
        }
        printf("probe: live t=%lds interval=%llu.%03llus\n", s,
               dt / 1000000000ull, (dt / 1000000ull) % 1000);
        printf("probe: live   nr  ");
        print_left("reason", NAME_WIDTH);
        printf("  %12s  %14s\n", "exits/s", "total");
        for (i = 0; i < rows; i++) {
            const char *name;
            r = order[i];
            name = exit_reason_name(r);
            printf("probe: live   %2u  ", r);
            print_left(name ? name : "(not defined by the SDM)", NAME_WIDTH);
            printf("  %12llu  %14llu\n", rate[r], live_cur[r]);
        }
        printf("probe: live   total ");
        print_left("", NAME_WIDTH - 2);
        printf("  %12llu  %14llu\n",
               ((total_cur - total_prev) * 1000000000ull + dt / 2) / dt, total_cur);
        fflush(stdout);

        for (r = 0; r < REASONS; r++)
            live_prev[r] = live_cur[r];
        total_prev = total_cur;
        t_prev = t_cur;
    }
}

/* ------------------------------------------------------------------------ */

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [-w SECONDS] [-h]\n"
            "       %s stat [-l LABEL] [--] CMD [ARGS...]\n"
            "       %s timeline\n"
            "       %s mark LABEL\n"
            "       %s log\n"
            "Print exitvisor's VM-exit statistics (CPUID leaves 0x40000000-0x4FFFFFFF).\n"
            "  (no option)  the exit table since launch, kvm_stat style, in the format\n"
            "               of exitvisor's UEFI probe, and the reason map\n"
            "  -w SECONDS   live view: every second, the exit rate of each reason\n"
            "               that moved (exits/s), for SECONDS seconds (1-86400)\n"
            "  stat         run CMD; print the exits per reason and per vCPU while it\n"
            "               ran, with rates (machine-wide counters: it says what else ran);\n"
            "               LABEL (default CMD) names its stat-begin/stat-end marks\n"
            "  timeline     the hypervisor's boot timeline (cumulative exits per reason\n"
            "               since launch), in the text tools/report.py reads\n"
            "  log          the hypervisor's own log (what it printed on COM1), dmesg-like\n"
            "  mark LABEL   write \"exvprobe: mark LABEL tsc=T\" to the kernel log, so the\n"
            "               console shows where LABEL falls on the timeline\n"
            "  -h           this help\n"
            "Exit status: 0 ok; 2 bad usage or no exitvisor underneath; stat: CMD's status.\n",
            prog, prog, prog, prog, prog);
}

int main(int argc, char **argv)
{
    struct cpuid_regs sig, info;
    long watch = 0;
    int c;

    if (argc >= 2 && !strcmp(argv[1], "stat")) {
        int first = 2;
        const char *label = NULL;
        if (argc >= 4 && !strcmp(argv[2], "-l")) {
            label = argv[3];
            first = 4;
            if (!label[0] || strpbrk(label, " \t\n")) {
                fprintf(stderr, "%s: stat -l needs a LABEL without spaces\n", argv[0]);
                return 2;
            }
        }
        if (first < argc && !strcmp(argv[first], "--"))
            first++;
        if (first >= argc) {
            fprintf(stderr, "%s: stat needs a command: %s stat [-l LABEL] -- CMD [ARGS...]\n", argv[0], argv[0]);
            return 2;
        }
        return exvprobe_stat(label, argv + first);
    }
    if (argc == 2 && !strcmp(argv[1], "timeline")) {
        if (signature_ok(cpuid(EXV_LEAF_SIGNATURE, 0)))
            return exvprobe_timeline();
        printf("exvprobe: no exitvisor underneath (no signature at CPUID 0x40000000): no timeline\n");
        return 2;
    }
    if (argc == 2 && !strcmp(argv[1], "log"))
        return exvprobe_log();
    if (argc >= 2 && !strcmp(argv[1], "mark")) {
        if (argc != 3 || !argv[2][0] || strpbrk(argv[2], " \t\n")) {
            fprintf(stderr, "%s: mark needs one LABEL without spaces\n", argv[0]);
            return 2;
        }
        exvprobe_mark(argv[2]);
        return 0;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        fprintf(stderr, "%s: unknown command '%s'\n", argv[0], argv[1]);
        usage(stderr, argv[0]);
        return 2;
    }
    opterr = 0;
    while ((c = getopt(argc, argv, "w:h")) != -1) {
        switch (c) {
        case 'w': {
            const char *p = optarg;
            watch = 0;
            if (*p == '\0')
                watch = -1;
            for (; *p; p++) {
                if (*p < '0' || *p > '9' || watch > 86400) {
                    watch = -1;
                    break;
                }
                watch = watch * 10 + (*p - '0');
            }
            if (watch < 1 || watch > 86400) {
                fprintf(stderr, "%s: -w needs a whole number of seconds from 1 to 86400, not '%s'\n",
                        argv[0], optarg);
                usage(stderr, argv[0]);
                return 2;
            }
            break;
        }
        case 'h':
            usage(stdout, argv[0]);
            return 0;
        default:
            if (optopt == 'w')
                fprintf(stderr, "%s: -w needs a number of seconds\n", argv[0]);
            else
                fprintf(stderr, "%s: unknown option '-%c'\n", argv[0], optopt);
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
        usage(stderr, argv[0]);
        return 2;
    }

    sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    if (!signature_ok(sig)) {
        char text[13];
        signature_text(sig, text);
        printf("probe: no exitvisor signature at CPUID 0x40000000 (found \"%s\", max leaf 0x%08x:"
               " bare metal or another hypervisor); the 0x4FFFFFFx leaves would return the"
               " highest basic leaf's data, so nothing to read\n", text, sig.eax);
        return 2;
    }
    info = cpuid(EXV_LEAF_INFO, 0);
    printf("probe: exitvisor signature found, ABI %u, %u vCPUs\n", info.eax, info.ebx);
    print_since_launch();
    fflush(stdout);

    if (watch > 0) {
        read_reason_map();
        live_view(watch);
    } else {
        /* Output is buffered until the table is done, but nothing is written
         * between T1 and T2 anyway: the snapshot runs before any printing. */
        take_snapshot();
        print_table();
        read_reason_map();
        print_reason_map();
        print_hv_memory();
    }
    printf("probe: done\n");
    return 0;
}
