/* hv/stats/exit_stats.c: sharded per-vCPU counters, exact sums, bounds, and a
 * concurrent writers + reader test. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "hv/stats/exit_stats.h"

static struct exit_stats st;

TEST(stats_reset_zeroes_and_sizes)
{
    memset(&st, 0xAB, sizeof(st));
    exit_stats_reset(&st, 4);
    CHECK_EQ(st.nr_vcpus, 4, "nr_vcpus after reset(4)");
    int dirty = 0;
    for (u32 v = 0; v < EXV_MAX_VCPUS; v++)
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
            dirty += st.shard[v].count[r] != 0 || st.shard[v].cycles[r] != 0;
    CHECK_EQ(dirty, 0, "every counter of every shard is zero after reset");
    CHECK_EQ(exit_stats_total_count(&st), 0, "total count");
    CHECK_EQ(exit_stats_total_cycles(&st), 0, "total cycles");
    exit_stats_reset(&st, EXV_MAX_VCPUS + 10);
    CHECK_EQ(st.nr_vcpus, EXV_MAX_VCPUS, "nr_vcpus clamps to EXV_MAX_VCPUS");
    exit_stats_reset(&st, 0xFFFFFFFFu);
    CHECK_EQ(st.nr_vcpus, EXV_MAX_VCPUS, "nr_vcpus clamps 0xFFFFFFFF");
    exit_stats_reset(&st, 0);
    CHECK_EQ(st.nr_vcpus, 0, "nr_vcpus 0");
    exit_stats_count(&st, 0, 10);
    CHECK_EQ(exit_stats_total_count(&st), 0, "no shard in use: nothing counted");
}

TEST(stats_exact_sums_across_shards)
{
    exit_stats_reset(&st, 5);
    u64 want_count[EXIT_REASON_COUNT] = { 0 }, want_cycles[EXIT_REASON_COUNT] = { 0 };
    u64 total_c = 0, total_y = 0, seed = 7;
    for (int i = 0; i < 100000; i++) {
        u64 x = test_rand64(&seed);
        u32 v = (u32)(x % 5), r = (u32)((x >> 8) % EXIT_REASON_COUNT);
        u64 cyc = (x >> 20) % 100000;
        exit_stats_count(&st, v, r);
        exit_stats_add_cycles(&st, v, r, cyc);
        want_count[r]++;
        want_cycles[r] += cyc;
        total_c++;
        total_y += cyc;
    }
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        CHECK_EQ(exit_stats_reason_count(&st, r), want_count[r], "count of reason %u", r);
        CHECK_EQ(exit_stats_reason_cycles(&st, r), want_cycles[r], "cycles of reason %u", r);
    }
    CHECK_EQ(exit_stats_total_count(&st), total_c, "total count");
    CHECK_EQ(exit_stats_total_cycles(&st), total_y, "total cycles");
    /* Each shard holds only its own vCPU's counts. */
    u64 shard_sum = 0;
    for (u32 v = 0; v < 5; v++)
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
            shard_sum += st.shard[v].count[r];
    CHECK_EQ(shard_sum, total_c, "shards 0..4 hold every count");
}

TEST(stats_beyond_32_bits)
{
    exit_stats_reset(&st, 2);
    st.shard[0].count[10] = st.shard[0].total_count = 0xFFFFFFFFull; /* as if counted */
    exit_stats_count(&st, 0, 10);
    CHECK_EQ(st.shard[0].count[10], 0x100000000ull, "count carries past 2^32");
    CHECK_EQ(exit_stats_reason_count(&st, 10), 0x100000000ull, "reason count 2^32");
    st.shard[1].count[10] = st.shard[1].total_count = 0xFFFFFFFFull;
    CHECK_EQ(exit_stats_reason_count(&st, 10), 0x1FFFFFFFFull, "sum of two shards past 2^32");
    CHECK_EQ(exit_stats_total_count(&st), 0x1FFFFFFFFull, "total past 2^32");
    exit_stats_add_cycles(&st, 1, 48, 0xFFFFFFFFFFull);
    exit_stats_add_cycles(&st, 1, 48, 1);
    CHECK_EQ(exit_stats_reason_cycles(&st, 48), 0x10000000000ull, "cycles past 2^32");
    CHECK_EQ(exit_stats_total_cycles(&st), 0x10000000000ull, "total cycles past 2^32");
}

TEST(stats_out_of_range_ignored)
{
    exit_stats_reset(&st, 2);
    exit_stats_count(&st, 2, 10);                 /* vCPU == nr_vcpus */
    exit_stats_count(&st, EXV_MAX_VCPUS, 10);      /* beyond the array */
    exit_stats_count(&st, 0xFFFFFFFFu, 10);
    exit_stats_count(&st, 0, EXIT_REASON_COUNT);   /* reason out of range */
    exit_stats_count(&st, 0, 0xFFFFFFFFu);
    exit_stats_add_cycles(&st, 2, 10, 100);
    exit_stats_add_cycles(&st, 0xFFFFFFFFu, 10, 100);
    exit_stats_add_cycles(&st, 0, EXIT_REASON_COUNT, 100);
    exit_stats_add_cycles(&st, 1, 1000, 100);
    CHECK_EQ(exit_stats_total_count(&st), 0, "nothing counted");
    CHECK_EQ(exit_stats_total_cycles(&st), 0, "no cycles added");
    CHECK_EQ(st.shard[2].count[10], 0, "shard 2 untouched");
    CHECK_EQ(exit_stats_reason_count(&st, EXIT_REASON_COUNT), 0, "reading reason 80 gives 0");
    CHECK_EQ(exit_stats_reason_cycles(&st, 0xFFFFFFFFu), 0, "reading reason 0xFFFFFFFF gives 0");
    /* Shards beyond nr_vcpus are not summed even if they hold values. */
    st.shard[3].count[10] = 99;
    st.shard[3].cycles[10] = 99;
    CHECK_EQ(exit_stats_reason_count(&st, 10), 0, "shard beyond nr_vcpus not summed (count)");
    CHECK_EQ(exit_stats_total_cycles(&st), 0, "shard beyond nr_vcpus not summed (cycles)");
    /* The last valid shard and reason do count. */
    exit_stats_reset(&st, EXV_MAX_VCPUS);
    exit_stats_count(&st, EXV_MAX_VCPUS - 1, EXIT_REASON_COUNT - 1);
    CHECK_EQ(exit_stats_reason_count(&st, EXIT_REASON_COUNT - 1), 1, "vCPU 63, reason 79 counts");
}

TEST(stats_shards_are_cache_line_aligned)
{
    CHECK_EQ(sizeof(struct exit_stats_shard) % 64, 0, "shard size is a multiple of 64");
    CHECK_EQ(((uintptr_t)&st.shard[1]) % 64, 0, "shard 1 starts a cache line");
}

/* ---- concurrency: writers on their own shards, one reader summing ---- */

#define PER_WRITER 1000000u
#define MAX_WRITERS 4

struct writer_arg {
    u32 vcpu;
};

static volatile int writers_done;

static void *writer(void *p)
{
    const struct writer_arg *a = p;
    for (u32 i = 0; i < PER_WRITER; i++) {
        u32 reason = (i & 1) ? 10 : 48; /* CPUID and EPT violation alternate */
        exit_stats_count(&st, a->vcpu, reason);
        exit_stats_add_cycles(&st, a->vcpu, reason, 3);
    }
    return NULL;
}

struct reader_result {
    unsigned long reads, decreases, over;
    u64 last;
};

static void *reader(void *p)
{
    struct reader_result *res = p;
    u64 prev = 0, prev_cyc = 0;
    u32 nr = st.nr_vcpus;
    for (;;) {
        int done = __atomic_load_n(&writers_done, __ATOMIC_ACQUIRE);
        u64 total = exit_stats_total_count(&st);
        u64 cpuid = exit_stats_reason_count(&st, 10);
        u64 cyc = exit_stats_total_cycles(&st);
        res->reads++;
        if (total < prev || cyc < prev_cyc)
            res->decreases++;
        if (total > (u64)PER_WRITER * nr || cpuid > (u64)PER_WRITER / 2 * nr)
            res->over++;
        prev = total;
        prev_cyc = cyc;
        if (done)
            break;
    }
    res->last = prev;
    return NULL;
}

TEST(stats_concurrent_writers_and_reader)
{
    for (u32 n = 2; n <= MAX_WRITERS; n++) {
        pthread_t w[MAX_WRITERS], r;
        struct writer_arg args[MAX_WRITERS];
        struct reader_result res = { 0, 0, 0, 0 };

        exit_stats_reset(&st, n);
        writers_done = 0;
        CHECK(pthread_create(&r, NULL, reader, &res) == 0, "start reader");
        for (u32 i = 0; i < n; i++) {
            args[i].vcpu = i;
            CHECK(pthread_create(&w[i], NULL, writer, &args[i]) == 0, "start writer %u", i);
        }
        for (u32 i = 0; i < n; i++)
            pthread_join(w[i], NULL);
        __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
        pthread_join(r, NULL);

        u64 want = (u64)PER_WRITER * n;
        CHECK(res.reads > 1, "%u writers: the reader read %lu times", n, res.reads);
        CHECK_EQ(res.decreases, 0, "%u writers: reader's sums never decreased (%lu reads)", n, res.reads);
        CHECK_EQ(res.over, 0, "%u writers: reader never saw more than was written", n);
        CHECK_EQ(res.last, want, "%u writers: reader's final sum is exact", n);
        CHECK_EQ(exit_stats_total_count(&st), want, "%u writers: total count", n);
        CHECK_EQ(exit_stats_reason_count(&st, 10), want / 2, "%u writers: CPUID count", n);
        CHECK_EQ(exit_stats_reason_count(&st, 48), want / 2, "%u writers: EPT violation count", n);
        CHECK_EQ(exit_stats_total_cycles(&st), 3 * want, "%u writers: total cycles", n);
        for (u32 i = 0; i < n; i++)
            CHECK_EQ(st.shard[i].count[10] + st.shard[i].count[48], PER_WRITER, "%u writers: shard %u", n, i);
    }
}

TEST(stats_totals_match_reasons)
{
    /* The per-shard totals the total leaf reads must equal the sum over
     * reasons after any sequence of updates through the API. */
    exit_stats_reset(&st, 3);
    u64 seed = 12345, want_count = 0, want_cycles = 0;
    for (u32 i = 0; i < 10000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        u32 vcpu = (u32)(seed >> 33) % 4, reason = (u32)(seed >> 40) % (EXIT_REASON_COUNT + 5);
        u64 cycles = (seed >> 20) & 0xFFFF;
        exit_stats_count(&st, vcpu, reason);
        exit_stats_add_cycles(&st, vcpu, reason, cycles);
        if (vcpu < 3 && reason < EXIT_REASON_COUNT) {
            want_count++;
            want_cycles += cycles;
        }
    }
    u64 sum_count = 0, sum_cycles = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        sum_count += exit_stats_reason_count(&st, r);
        sum_cycles += exit_stats_reason_cycles(&st, r);
    }
    CHECK_EQ(exit_stats_total_count(&st), want_count, "total count = in-range updates");
    CHECK_EQ(exit_stats_total_count(&st), sum_count, "total count = sum over reasons");
    CHECK_EQ(exit_stats_total_cycles(&st), want_cycles, "total cycles = in-range updates");
    CHECK_EQ(exit_stats_total_cycles(&st), sum_cycles, "total cycles = sum over reasons");
}

TEST(stats_own_exits)
{
    static struct exit_stats st;
    exit_stats_reset(&st, 2);
    exit_stats_add_own(&st, 0, 100);
    exit_stats_add_own(&st, 1, 0xFFFFFFFFull);
    exit_stats_add_own(&st, 1, 1);
    exit_stats_add_own(&st, 2, 7);            /* past nr_vcpus: ignored */
    exit_stats_add_own(&st, 0xFFFFFFFFu, 7);  /* nonsense vCPU: ignored */
    CHECK_EQ(exit_stats_own_count(&st), 3, "three own exits, summed over shards");
    CHECK_EQ(exit_stats_own_cycles(&st), 0x100000064ull, "their cycles, past 32 bits");
    CHECK_EQ(exit_stats_total_count(&st), 0, "the own tally does not count an exit a second time");
}
