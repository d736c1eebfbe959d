/*
 * hv/stats/timeline.c, its leaves (0x40000005/6/7, hv/stats/leaves.c) and its text
 * (hv/stats/stats_report.c): the ring with fake TSC values and fake counters.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hv/stats/abi.h"
#include "hv/stats/leaves.h"
#include "hv/stats/stats_report.h"
#include "hv/stats/timeline.h"

static struct exit_stats st;
static struct timeline tl;

#define T0 1000000ull
#define I TIMELINE_FIRST_INTERVAL

/* One exit of `reason` on vCPU v at TSC `tsc`, as the dispatcher does it:
 * counted first, then the timeline looks whether a sample is due. */
static void exit_at(u32 v, u32 reason, u64 tsc)
{
    exit_stats_count(&st, v, reason);
    if (timeline_due(&tl, tsc))
        timeline_sample(&tl, &st, tsc);
}

TEST(timeline_idle_before_launch)
{
    exit_stats_reset(&st, 2);
    timeline_reset(&tl, 3000000000ull);
    CHECK(!timeline_due(&tl, 0xFFFFFFFFFFFFFFF0ull), "no sample is ever due before the first launch");
    exit_at(0, 10, 5);
    CHECK_EQ(tl.nr_samples, 0, "no samples before launch");
    CHECK_EQ(tl.capacity, TIMELINE_CAPACITY, "capacity");
    CHECK_EQ(tl.interval, TIMELINE_FIRST_INTERVAL, "first interval");
    CHECK_EQ(tl.tsc_hz, 3000000000ull, "tsc_hz kept");
    CHECK(timeline_get(&tl, 0) == NULL, "sample 0 does not exist yet");
}

TEST(timeline_samples_at_boundaries)
{
    exit_stats_reset(&st, 2);
    timeline_reset(&tl, 0);
    timeline_start(&tl, T0);
    timeline_start(&tl, T0 + 999); /* the second CPU's launch changes nothing */
    CHECK_EQ(tl.start_tsc, T0, "t = 0 at the first launch only");
    exit_at(0, 10, T0 + 10); /* the first exit takes sample 0 */
    CHECK_EQ(tl.nr_samples, 1, "sample 0 at the first exit");
    CHECK_EQ(tl.sample[0].t, 10, "sample 0's time since launch");
    CHECK_EQ(tl.sample[0].count[10], 1, "sample 0 includes the exit that took it");
    exit_at(1, 10, T0 + 20);
    exit_at(1, 30, T0 + I);       /* before the boundary (T0 + 10 + I): no sample */
    CHECK_EQ(tl.nr_samples, 1, "no sample before the interval has passed");
    exit_at(0, 48, T0 + 10 + I);  /* on the boundary */
    CHECK_EQ(tl.nr_samples, 2, "a sample once the TSC reaches the boundary");
    const struct timeline_sample *x = timeline_get(&tl, 1);
    CHECK(x != NULL, "sample 1 readable");
    CHECK_EQ(x->t, 10 + I, "sample 1's t");
    CHECK(x->count[10] == 2 && x->count[30] == 1 && x->count[48] == 1 && x->count[0] == 0,
          "cumulative counts summed over both vCPUs");
    /* A long quiet stretch: one sample at the next exit, not one per missed boundary. */
    exit_at(0, 10, T0 + 100 * I);
    CHECK_EQ(tl.nr_samples, 3, "one sample after a quiet stretch");
    CHECK_EQ(tl.sample[2].t, 100 * I, "its t is the exit's");
    CHECK_EQ(tl.next_sample_tsc, T0 + 101 * I, "the next boundary is one interval on");
}

TEST(timeline_compacts_instead_of_wrapping)
{
    exit_stats_reset(&st, 1);
    timeline_reset(&tl, 0);
    timeline_start(&tl, T0);
    u64 tsc = T0;
    for (u32 k = 0; k < TIMELINE_CAPACITY; k++, tsc += I)
        exit_at(0, 10, tsc);
    CHECK_EQ(tl.nr_samples, TIMELINE_CAPACITY, "full after capacity samples");
    CHECK_EQ(tl.compactions, 0, "no compaction yet");
    exit_at(0, 12, tsc);
    CHECK_EQ(tl.nr_samples, TIMELINE_CAPACITY / 2 + 1, "half kept, plus the new sample");
    CHECK_EQ(tl.compactions, 2, "generation moved (odd during the move, even after)");
    CHECK_EQ(tl.interval, 2 * I, "the interval doubled");
    CHECK_EQ(tl.sample[0].t, 0, "the sample at launch survives");
    CHECK_EQ(tl.sample[1].t, 2 * I, "samples 0, 2, 4... kept");
    CHECK_EQ(tl.sample[TIMELINE_CAPACITY / 2].t, (u64)TIMELINE_CAPACITY * I, "the new sample last");
    CHECK_EQ(tl.sample[TIMELINE_CAPACITY / 2].count[12], 1, "with the new reason");
    int monotonic = 1;
    for (u32 i = 1; i < tl.nr_samples; i++)
        monotonic &= tl.sample[i].t > tl.sample[i - 1].t && tl.sample[i].count[10] >= tl.sample[i - 1].count[10];
    CHECK(monotonic, "times strictly increase and counts never fall after compaction");
    /* Many more: the span always starts at launch, compactions keep coming. */
    for (u32 k = 0; k < 10 * TIMELINE_CAPACITY; k++, tsc += I)
        exit_at(0, 10, tsc);
    CHECK(tl.nr_samples <= TIMELINE_CAPACITY, "never past the capacity");
    CHECK_EQ(tl.sample[0].t, 0, "still spans from launch");
    CHECK(tl.compactions >= 8 && tl.compactions % 2 == 0, "compactions counted (%u)", tl.compactions);
    CHECK(tsc - T0 - tl.sample[tl.nr_samples - 1].t <= tl.interval, "the last sample is within an interval of now");
}

TEST(timeline_close_ends_at_totals)
{
    exit_stats_reset(&st, 2);
    timeline_reset(&tl, 0);
    timeline_close(&tl, &st, T0);
    CHECK_EQ(tl.nr_samples, 0, "nothing to close before launch");
    timeline_start(&tl, T0);
    exit_at(0, 10, T0 + 1);
    exit_at(1, 10, T0 + 2);
    exit_at(1, 31, T0 + 3);
    timeline_close(&tl, &st, T0 + 50);
    CHECK_EQ(tl.nr_samples, 2, "a final sample although none was due");
    CHECK(tl.sample[1].count[10] == exit_stats_reason_count(&st, 10) &&
              tl.sample[1].count[31] == exit_stats_reason_count(&st, 31),
          "the final sample equals the totals");
    /* Closed: the other vCPU goes on exiting past many intervals while the
     * timeline is printed, and the ring does not move under the printer. */
    for (u64 k = 1; k <= 3 * TIMELINE_CAPACITY; k++)
        exit_at(1, 48, T0 + 50 + k * tl.interval);
    CHECK_EQ(tl.nr_samples, 2, "no sample after the close");
    CHECK(!timeline_due(&tl, ~0ull - 1), "no boundary is due again");
    tl.busy = 1; /* a vCPU stopped while sampling: a bounded wait, no hang */
    timeline_close(&tl, &st, T0 + 60);
    CHECK_EQ(tl.nr_samples, 2, "busy ring: nothing added, returned");
    tl.busy = 0;
}

TEST(timeline_tsc_hz_rules)
{
    CHECK_EQ(timeline_tsc_hz_from_cpuid(0x16, 2, 292, 24000000, 3500), 3504000000ull, "0x15: crystal x ebx / eax");
    CHECK_EQ(timeline_tsc_hz_from_cpuid(0x16, 2, 292, 0, 3500), 3500000000ull, "no crystal: 0x16 base MHz");
    CHECK_EQ(timeline_tsc_hz_from_cpuid(0x16, 0, 0, 0, 0), 0, "neither: unknown");
    CHECK_EQ(timeline_tsc_hz_from_cpuid(0x14, 2, 292, 24000000, 3500), 0, "leaves beyond the maximum are not read");
    CHECK_EQ(timeline_tsc_hz_from_cpuid(0x15, 2, 292, 0, 3500), 0, "0x16 beyond the maximum");
}

/* Readers run while one writer samples and compacts: a reader that saw the
 * same generation before and after sees consistent, monotonic samples. */
static volatile int stop_readers;
static volatile unsigned long consistent_reads;
static void *reader(void *arg)
{
    (void)arg;
    while (!stop_readers) {
        u32 g1 = __atomic_load_n(&tl.compactions, __ATOMIC_ACQUIRE);
        u32 n = __atomic_load_n(&tl.nr_samples, __ATOMIC_ACQUIRE);
        u64 prev_t = 0, prev_c = 0;
        int ok = 1;
        for (u32 i = 0; i < n; i++) {
            const struct timeline_sample *x = timeline_get(&tl, i);
            if (!x)
                break;
            u64 t = __atomic_load_n(&x->t, __ATOMIC_RELAXED), c = __atomic_load_n(&x->count[10], __ATOMIC_RELAXED);
            if (i && (t <= prev_t || c < prev_c))
                ok = 0;
            prev_t = t;
            prev_c = c;
        }
        u32 g2 = __atomic_load_n(&tl.compactions, __ATOMIC_ACQUIRE);
        if (g1 == g2 && !(g1 & 1)) {
            if (!ok) {
                fprintf(stderr, "timeline reader: inconsistent samples under generation %u\n", g1);
                abort();
            }
            __atomic_add_fetch(&consistent_reads, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

TEST(timeline_readers_during_compaction)
{
    exit_stats_reset(&st, 1);
    timeline_reset(&tl, 0);
    timeline_start(&tl, T0);
    stop_readers = 0;
    consistent_reads = 0;
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, NULL);
    /* One exit per first interval: compactions come ever rarer (about 12
     * in 2 million exits); go on until the readers have finished some
     * reads, within a bound. */
    u64 tsc = T0;
    for (u32 k = 0; k < 4000000 && (k < 2000000 || consistent_reads < 50); k++, tsc += I)
        exit_at(0, 10, tsc);
    stop_readers = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK(consistent_reads > 0, "readers completed consistent reads (%lu)", consistent_reads);
    CHECK(tl.compactions >= 8, "the writer compacted while they read (%u)", tl.compactions);
}

/* ---- the leaves ---- */

static bool possible[EXIT_REASON_COUNT];
static const volatile u32 launched_two = 2;
static struct leaf_vcpu vcpus[EXV_MAX_VCPUS];

static struct cpuid_regs ask(u32 leaf, u32 ecx)
{
    struct leaf_env env = { .stats = &st, .possible = possible, .vcpus_launched = &launched_two,
                            .timeline = &tl, .vcpus = vcpus };
    exv_leaf_env_classify(&env);
    struct cpuid_regs r;
    memset(&r, 0xCC, sizeof(r));
    exv_leaf_answer(leaf, ecx, &env, &r);
    return r;
}

#define REGS(r, a, b, c, d) ((r).eax == (a) && (r).ebx == (b) && (r).ecx == (c) && (r).edx == (d))

TEST(timeline_leaves)
{
    exit_stats_reset(&st, 2);
    timeline_reset(&tl, 0x123456789ull);
    timeline_start(&tl, 0x500000000ull);
    exit_at(0, 10, 0x500000000ull + 7);
    for (int k = 0; k < 3; k++)
        exit_at(1, 48, 0x500000000ull + 8 + k);
    exit_stats_add_own(&st, 1, 10);
    exit_stats_add_own(&st, 1, 10);
    exit_at(1, 77, 0x500000000ull + 0x300000000ull); /* t past 2^32, reason 77 in the third word */
    st.shard[0].count[33] = 0x100000005ull;           /* a count past 2^32 */
    timeline_close(&tl, &st, 0x500000000ull + 0x300000001ull);

    struct cpuid_regs r = ask(EXV_LEAF_TIMELINE, 0);
    CHECK(REGS(r, 1, 3, TIMELINE_CAPACITY, 0), "header: version, 3 samples, capacity, generation 0 (got %#x %#x %#x %#x)",
          r.eax, r.ebx, r.ecx, r.edx);
    r = ask(EXV_LEAF_TIMELINE, 1);
    CHECK(REGS(r, 0, 0, (u32)TIMELINE_FIRST_INTERVAL, 0), "interval hi:lo");
    r = ask(EXV_LEAF_TIMELINE, 2);
    CHECK(REGS(r, 0, 5, 0, 0), "start TSC hi:lo");
    r = ask(EXV_LEAF_TIMELINE, 3);
    CHECK(REGS(r, 0, 1, 0x23456789u, 0), "TSC rate hi:lo");
    r = ask(EXV_LEAF_TIMELINE, 4);
    CHECK(REGS(r, 0, 0, 0, 0), "ECX=4: reserved, zero");
    r = ask(EXV_LEAF_TIMELINE, 0xFFFFFFFFu);
    CHECK(REGS(r, 0, 0, 0, 0), "ECX=~0: zero");

    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (0 << 8) | 0xFF);
    CHECK(REGS(r, 0, 0, 7, 1), "sample 0 time");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (0 << 8) | 10);
    CHECK(REGS(r, 0, 0, 1, 0), "sample 0: one CPUID");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (0 << 8) | 48);
    CHECK(REGS(r, 0, 0, 0, 0), "sample 0: no EPT violation yet");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | 0xFF);
    CHECK(REGS(r, 0, 3, 0, 1), "sample 1 time past 2^32 (got %#x %#x %#x %#x)", r.eax, r.ebx, r.ecx, r.edx);
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | 48);
    CHECK(REGS(r, 0, 0, 3, 0), "sample 1: three EPT violations");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | 0xFE);
    CHECK(REGS(r, (1u << 10), (1u << (48 - 32)), (1u << (77 - 64)), 0),
          "sample 1 nonzero map (got %#x %#x %#x %#x)", r.eax, r.ebx, r.ecx, r.edx);
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (2 << 8) | 0xFE);
    CHECK(REGS(r, (1u << 10), (1u << (48 - 32)) | (1u << (33 - 32)), (1u << (77 - 64)), 0),
          "sample 2 nonzero map, with reason 33 written after sample 1 (got %#x %#x %#x %#x)", r.eax, r.ebx, r.ecx,
          r.edx);
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | EXV_SAMPLE_SELECT_OWN);
    CHECK(REGS(r, 0, 0, 2, 0), "sample 1: two of its exits exitvisor's own (got %#x %#x %#x %#x)", r.eax, r.ebx,
          r.ecx, r.edx);
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (2 << 8) | 33);
    CHECK(REGS(r, 0, 1, 5, 0), "sample 2: a count past 2^32 hi:lo");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (3 << 8) | 0xFF);
    CHECK(REGS(r, 0, 0, 0, 0), "no sample 3: all zero, EDX = 0");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | EXIT_REASON_COUNT);
    CHECK(REGS(r, 0, 0, 0, 0), "a selector past the reasons: zero");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, (1 << 8) | 0x80);
    CHECK(REGS(r, 0, 0, 0, 0), "selector 0x80: zero");
    r = ask(EXV_LEAF_TIMELINE_SAMPLE, 0xFFFFFFFFu);
    CHECK(REGS(r, 0, 0, 0, 0), "sample 0xFFFFFF: zero");
}

TEST(vcpu_exits_leaf)
{
    exit_stats_reset(&st, 2);
    memset(vcpus, 0, sizeof(vcpus));
    vcpus[0] = (struct leaf_vcpu){ 0, 1 };
    vcpus[1] = (struct leaf_vcpu){ 6, 1 };
    vcpus[2] = (struct leaf_vcpu){ 9, 1 }; /* past nr_vcpus: never reported */
    exit_stats_count(&st, 0, 10);
    st.shard[1].total_count = 0x200000003ull;
    st.shard[2].total_count = 99;
    struct cpuid_regs r = ask(EXV_LEAF_VCPU_EXITS, 0);
    CHECK(REGS(r, 0, 0, 1, 1), "vCPU 0: apic 0, 1 exit, runs under exitvisor");
    r = ask(EXV_LEAF_VCPU_EXITS, 1);
    CHECK(REGS(r, 6, 2, 3, 1), "vCPU 1: apic 6, exits hi:lo");
    vcpus[1].launched = 0;
    r = ask(EXV_LEAF_VCPU_EXITS, 1);
    CHECK_EQ(r.edx, 0, "vCPU 1 not (or no longer) under exitvisor: EDX = 0");
    r = ask(EXV_LEAF_VCPU_EXITS, 2);
    CHECK(REGS(r, 0, 0, 0, 0), "past the last vCPU: zeros");
    r = ask(EXV_LEAF_VCPU_EXITS, 0xFFFFFFFFu);
    CHECK(REGS(r, 0, 0, 0, 0), "ECX=~0: zeros");
}

/* ---- the text ---- */

static char text[64][200];
static int nr_lines;
static void collect(const char *line, void *ctx)
{
    (void)ctx;
    if (nr_lines < 64)
        snprintf(text[nr_lines], sizeof(text[0]), "%s", line);
    nr_lines++;
}

TEST(timeline_report_text)
{
    exit_stats_reset(&st, 1);
    timeline_reset(&tl, 200000000ull);
    nr_lines = 0;
    timeline_report(&tl, 5, collect, NULL);
    CHECK_EQ(nr_lines, 2, "before launch: header and end only");
    CHECK_STREQ(text[0], "timeline v1 samples=0 capacity=512 interval=262144 compactions=0 start_tsc=0 now=5 tsc_hz=200000000",
                "empty header");
    CHECK_STREQ(text[1], "timeline end samples=0", "empty end");

    timeline_start(&tl, 1000);
    exit_at(0, 10, 1010);
    /* Every reason nonzero at the second sample: its pairs need several lines. */
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
        st.shard[0].count[r] += 1000000 + r;
    st.shard[0].own_count = 3;
    timeline_close(&tl, &st, 1000 + 77);
    nr_lines = 0;
    timeline_report(&tl, 2000, collect, NULL);
    CHECK_STREQ(text[0], "timeline v1 samples=2 capacity=512 interval=262144 compactions=0 start_tsc=1000 now=1000 tsc_hz=200000000",
                "header");
    CHECK_STREQ(text[1], "timeline 0 t=10 own=0 10:1", "sample 0: only nonzero reasons");
    int longest = 0, pairs = 0, continuation_ok = 1;
    for (int i = 2; i < nr_lines - 1 && i < 64; i++) {
        int len = (int)strlen(text[i]);
        longest = len > longest ? len : longest;
        continuation_ok &= !strncmp(text[i], "timeline 1 t=77 own=3 ", 22);
        for (char *p = text[i] + 22; (p = strchr(p, ':')); p++)
            pairs++;
    }
    CHECK(nr_lines > 4, "sample 1 continues on several lines (%d lines)", nr_lines);
    CHECK(continuation_ok, "every line of sample 1 repeats its index and t");
    CHECK_EQ(pairs, EXIT_REASON_COUNT, "all 80 pairs printed once");
    CHECK(longest <= 160, "lines stay within 160 characters (longest %d)", longest);
    CHECK(strstr(text[2], " 10:1000011") != NULL, "reason 10's cumulative count: '%s'", text[2]);
    CHECK_STREQ(text[nr_lines - 1], "timeline end samples=2", "end line");
}
