/*
 * `exvprobe timeline` and `exvprobe mark LABEL`: the hypervisor's boot
 * timeline, read through leaves 0x40000005/0x40000006 (hv/stats/abi.h), and the
 * clock marks that tie the kernel's console timestamps to the TSC.
 *
 * Reading the timeline costs CPUID exits (about 3 + nonzero reasons per
 * sample); they are counted like any other and may themselves be sampled.
 * Samples appended meanwhile are harmless (stored samples never change);
 * a compaction moves them, which the generation in leaf 0x40000005 ECX=0
 * shows: then the read starts over (at most a few times).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hv/stats/abi.h"
#include "hv/arch/exit_reasons.h"
#include "../exv_query.h"
#include "exvprobe.h"

u64 exvprobe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

u64 exvprobe_rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

u64 exvprobe_mark(const char *label)
{
    char line[256];

    /* The kernel prints a mark on the console at once; what this process
     * wrote to the tty before may still be on its way, and the two would
     * splice into one line. Let the tty drain first. */
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
    u64 tsc = exvprobe_rdtsc();
    /* <5>: notice, shown on a console at loglevel 7 (run-linux.sh). */
    int n = snprintf(line, sizeof(line), "<5>exvprobe: mark %s tsc=%llu\n", label, tsc);
    int fd = open("/dev/kmsg", O_WRONLY);
    if (fd >= 0 && n > 0 && write(fd, line, (size_t)n) == n) {
        close(fd);
        return tsc;
    }
    if (fd >= 0)
        close(fd);
    printf("exvprobe: mark %s tsc=%llu (no /dev/kmsg: this line has no kernel timestamp)\n", label, tsc);
    fflush(stdout);
    return tsc;
}

/* The TSC rate as Linux's clock sees it, over about 50 ms. In Bochs the
 * TSC counts emulated instructions and CPUID's 0x15/0x16 claim another
 * rate: this is the one that matches the console's timestamps. */
static u64 measure_tsc_hz(void)
{
    u64 t0 = exvprobe_now_ns(), c0 = exvprobe_rdtsc(), t1, c1;
    struct timespec pause = { 0, 50 * 1000 * 1000 };
    nanosleep(&pause, NULL);
    t1 = exvprobe_now_ns();
    c1 = exvprobe_rdtsc();
    return t1 > t0 ? (u64)((double)(c1 - c0) * 1e9 / (double)(t1 - t0)) : 0;
}

#define MAX_SAMPLES 4096u /* far above the hypervisor's ring (512) */

struct sample {
    u64 t, own;
    u32 nonzero[3];
    u64 count[EXIT_REASON_COUNT];
};
static struct sample samples[MAX_SAMPLES];

/* One consistent copy of the ring: 0 ok, 1 it moved while read. */
static int read_ring(u32 *n_out, u32 *capacity, u64 *interval, u64 *start, u64 *hz, u32 *generation)
{
    struct cpuid_regs h = cpuid(EXV_LEAF_TIMELINE, 0);
    u32 n = h.ebx < MAX_SAMPLES ? h.ebx : MAX_SAMPLES;

    *capacity = h.ecx;
    *generation = h.edx;
    *interval = ebx_ecx(cpuid(EXV_LEAF_TIMELINE, 1));
    *start = ebx_ecx(cpuid(EXV_LEAF_TIMELINE, 2));
    *hz = ebx_ecx(cpuid(EXV_LEAF_TIMELINE, 3));
    for (u32 i = 0; i < n; i++) {
        struct sample *s = &samples[i];
        struct cpuid_regs t = cpuid(EXV_LEAF_TIMELINE_SAMPLE, (i << 8) | EXV_SAMPLE_SELECT_TIME);
        struct cpuid_regs m = cpuid(EXV_LEAF_TIMELINE_SAMPLE, (i << 8) | EXV_SAMPLE_SELECT_NONZERO);
        if (!t.edx)
            return 1; /* gone: the ring was compacted under us */
        s->t = ebx_ecx(t);
        s->own = ebx_ecx(cpuid(EXV_LEAF_TIMELINE_SAMPLE, (i << 8) | EXV_SAMPLE_SELECT_OWN));
        s->nonzero[0] = m.eax;
        s->nonzero[1] = m.ebx;
        s->nonzero[2] = m.ecx;
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
            s->count[r] = ((s->nonzero[r / 32] >> (r % 32)) & 1) ? ebx_ecx(cpuid(EXV_LEAF_TIMELINE_SAMPLE, (i << 8) | r)) : 0;
    }
    *n_out = n;
    return cpuid(EXV_LEAF_TIMELINE, 0).edx != *generation || (*generation & 1);
}

int exvprobe_timeline(void)
{
    struct cpuid_regs sig = cpuid(EXV_LEAF_SIGNATURE, 0);
    u32 n = 0, capacity = 0, generation = 0, tries;
    u64 interval = 0, start = 0, hz = 0;

    if (sig.eax < EXV_LEAF_TIMELINE || cpuid(EXV_LEAF_TIMELINE, 0).eax != EXV_TIMELINE_VERSION) {
        printf("exvprobe: this exitvisor has no timeline (highest leaf 0x%08x; version %u wanted)\n", sig.eax,
               EXV_TIMELINE_VERSION);
        return 2;
    }
    u64 measured = measure_tsc_hz();
    exvprobe_mark("timeline");
    for (tries = 0; tries < 5; tries++)
        if (read_ring(&n, &capacity, &interval, &start, &hz, &generation) == 0)
            break;
    u64 now = exvprobe_rdtsc();
    printf("exvprobe: tsc_hz=%llu (measured against CLOCK_MONOTONIC over 50 ms)\n", measured);
    if (tries == 5)
        printf("exvprobe: the timeline kept moving while read (5 tries); the last read follows\n");
    printf("exvprobe: timeline v%u samples=%u capacity=%u interval=%llu compactions=%u start_tsc=%llu now=%llu "
           "tsc_hz=%llu\n",
           EXV_TIMELINE_VERSION, n, capacity, interval, generation / 2, start, now > start ? now - start : 0, hz);
    for (u32 i = 0; i < n; i++) {
        char line[200];
        int head = snprintf(line, sizeof(line), "exvprobe: timeline %u t=%llu own=%llu", i, samples[i].t,
                            samples[i].own),
            len = head;
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
            char pair[32];
            int k;
            if (!samples[i].count[r])
                continue;
            k = snprintf(pair, sizeof(pair), " %u:%llu", r, samples[i].count[r]);
            if (len + k > 170) {
                puts(line);
                len = head;
            }
            memcpy(line + len, pair, (size_t)k + 1);
            len += k;
        }
        line[len] = '\0';
        puts(line);
    }
    printf("exvprobe: timeline end samples=%u\n", n);
    /* The live counts right after the ring was read: no sample may exceed
     * them (tools/tests/check_linux.py checks it). */
    char live[1200];
    int len = snprintf(live, sizeof(live), "exvprobe: timeline live");
    for (u32 r = 0; r < EXIT_REASON_COUNT && len < (int)sizeof(live) - 32; r++) {
        u64 c = ebx_ecx(cpuid(EXV_LEAF_REASON_COUNT64, r));
        if (c)
            len += snprintf(live + len, sizeof(live) - (size_t)len, " %u:%llu", r, c);
    }
    puts(live);
    fflush(stdout);
    return 0;
}
