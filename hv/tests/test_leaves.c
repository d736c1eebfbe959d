/*
 * hv/stats/leaves.c: the CPUID hypervisor range, through exv_leaf_answer with a
 * fake exit_stats and a fake possible[] map. Expected answers come from a
 * reference model written here from hv/stats/abi.h's contract and the SDM table in
 * test_sdm_table.c, not from hv/stats/exit_names.c.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "sdm.h"
#include "hv/stats/abi.h"
#include "hv/stats/leaves.h"

#define NR_SHARDS 3
#define POISON 0xDEADBEEFu

static struct exit_stats stats;
static bool possible[EXIT_REASON_COUNT];
static u64 ref_count[EXIT_REASON_COUNT], ref_cycles[EXIT_REASON_COUNT];
static u64 ref_total_count, ref_total_cycles;
static const struct hv_memory_range memory[3] = {
    { 0x1F800000ull, 40, EXV_MEMORY_CODE },
    { 0x123456789000ull, 1200, EXV_MEMORY_DATA },
    { 0x123456790000ull, 21, EXV_MEMORY_COUNTERS },
};
static const volatile u32 two_vcpus = 2;
static struct timeline timeline; /* the timeline leaves: test_timeline.c */
static struct leaf_vcpu vcpu_view[EXV_MAX_VCPUS];
static struct leaf_env env = { .stats = &stats, .possible = possible, .vcpus_launched = &two_vcpus, .memory = memory,
                               .nr_memory = 3, .timeline = &timeline, .vcpus = vcpu_view };

/* Stats with distinct values per reason, some beyond 32 bits, on 3 shards,
 * and garbage in a shard beyond nr_vcpus that must not be summed. Every
 * reason (also undefined and impossible ones) holds a nonzero value, so an
 * answer of zero is the leaf's doing, not the data's. */
static void setup(void)
{
    exit_stats_reset(&stats, NR_SHARDS);
    ref_total_count = ref_total_cycles = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        ref_count[r] = ref_cycles[r] = 0;
        for (u32 v = 0; v < NR_SHARDS; v++) {
            u64 c = 1000ull * (r + 1) + 7 * v + 1;
            u64 y = 0x10000ull * (r + 3) + 13 * v + 5;
            if (r % 5 == 0)
                c += 0x100000000ull * (v + 1);       /* counts past 2^32 */
            if (r % 3 == 0 || r % 5 == 0)
                y += 0x3000000000ull * (r + v + 1);  /* cycles past 2^32 */
            /* Fixtures are written into the shards directly, totals included,
             * as the single writer of each shard would have left them. */
            stats.shard[v].count[r] = c;
            stats.shard[v].cycles[r] = y;
            stats.shard[v].total_count += c;
            stats.shard[v].total_cycles += y;
            ref_count[r] += c;
            ref_cycles[r] += y;
        }
        stats.shard[NR_SHARDS].count[r] = 0x5555555555ull; /* not in use: ignored */
        stats.shard[NR_SHARDS].cycles[r] = 0x7777777777ull;
        ref_total_count += ref_count[r];
        ref_total_cycles += ref_cycles[r];
        /* Possible: defined and r % 4 != 1. Undefined reasons are marked
         * possible on purpose: "undefined" must win. */
        possible[r] = !sdm_reason_name(r) || r % 4 != 1;
    }
    exv_leaf_env_classify(&env);
}

static struct cpuid_regs ask(u32 leaf, u32 ecx)
{
    struct cpuid_regs out = { POISON, POISON, POISON, POISON };
    exv_leaf_answer(leaf, ecx, &env, &out);
    return out;
}

enum cls { UNDEFINED, IMPOSSIBLE, POSSIBLE };

static enum cls ref_class(u32 r)
{
    if (!sdm_reason_name(r))
        return UNDEFINED;
    return possible[r] ? POSSIBLE : IMPOSSIBLE;
}

/* The contract of hv/stats/abi.h for 0x4FFFFFFE/D/C. */
static struct cpuid_regs ref_reason_leaf(u32 leaf, u32 ecx)
{
    struct cpuid_regs w = { 0, 0, 0, 0 };
    if (leaf == EXV_LEAF_REASON_COUNT64 && ecx == 0xFFFFFFFFu) {
        w.ebx = (u32)(ref_total_count >> 32);
        w.ecx = (u32)ref_total_count;
        return w;
    }
    switch (ref_class(ecx)) {
    case UNDEFINED:
        w.edx = 0xFFFFFFFFu;
        break;
    case IMPOSSIBLE:
        break;
    case POSSIBLE:
        if (leaf == 0x4FFFFFFEu) {
            w.eax = (u32)ref_count[ecx];
        } else if (leaf == 0x4FFFFFFDu) {
            w.ebx = (u32)(ref_cycles[ecx] >> 32);
            w.ecx = (u32)ref_cycles[ecx];
        } else {
            w.ebx = (u32)(ref_count[ecx] >> 32);
            w.ecx = (u32)ref_count[ecx];
        }
        break;
    }
    return w;
}

static int same(struct cpuid_regs a, struct cpuid_regs b)
{
    return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

#define CHECK_REGS(got, want, ...)                                                                  \
    do {                                                                                           \
        struct cpuid_regs g_ = (got), w_ = (want);                                                 \
        CHECK(same(g_, w_), __VA_ARGS__);                                                          \
        if (!same(g_, w_))                                                                         \
            printf("     got %08x %08x %08x %08x, want %08x %08x %08x %08x\n", g_.eax, g_.ebx, g_.ecx, \
                   g_.edx, w_.eax, w_.ebx, w_.ecx, w_.edx);                                       \
    } while (0)

TEST(leaf_is_ours_boundaries)
{
    CHECK(!exv_leaf_is_ours(0x3FFFFFFFu), "0x3FFFFFFF is not ours");
    CHECK(exv_leaf_is_ours(0x40000000u), "0x40000000 is ours");
    CHECK(exv_leaf_is_ours(0x40000001u), "0x40000001 is ours");
    CHECK(exv_leaf_is_ours(0x48000000u), "0x48000000 is ours");
    CHECK(exv_leaf_is_ours(0x4FFFFFFFu), "0x4FFFFFFF is ours");
    CHECK(!exv_leaf_is_ours(0x50000000u), "0x50000000 is not ours");
    CHECK(!exv_leaf_is_ours(0), "leaf 0 is not ours");
    CHECK(!exv_leaf_is_ours(1), "leaf 1 is not ours");
    CHECK(!exv_leaf_is_ours(0x80000000u), "0x80000000 is not ours");
    CHECK(!exv_leaf_is_ours(0xFFFFFFFFu), "0xFFFFFFFF is not ours");
}

TEST(leaf_is_statistics_boundaries)
{
    static const u32 yes[] = { 0x4FFFFFFCu, 0x4FFFFFFDu, 0x4FFFFFFEu, 0x4FFFFFFFu };
    static const u32 no[] = { 0, 0x40000000u, 0x4FFFFFFBu, 0x50000000u, 0x8FFFFFFCu, 0xFF2C2C2Cu, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        CHECK(exv_leaf_is_statistics(yes[i]), "%#x is a statistics leaf", yes[i]);
    /* 0xFF2C2C2C: found by fuzz_dispatch when the test was a bare >= */
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        CHECK(!exv_leaf_is_statistics(no[i]), "%#x is not a statistics leaf", no[i]);
}

TEST(leaf_signature)
{
    setup();
    const u32 ecxs[] = { 0, 1, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(ecxs) / sizeof(ecxs[0]); i++) {
        struct cpuid_regs r = ask(0x40000000u, ecxs[i]);
        char sig[12];
        memcpy(sig, &r.ebx, 4);
        memcpy(sig + 4, &r.ecx, 4);
        memcpy(sig + 8, &r.edx, 4);
        CHECK(memcmp(sig, "exitvisor\0\0\0", 12) == 0, "EBX:ECX:EDX spell \"exitvisor\" + 3 NULs (ecx=%#x), got \"%.12s\"",
              ecxs[i], sig);
        CHECK_EQ(r.eax, 0x40000008u, "EAX = highest hypervisor leaf (ecx=%#x)", ecxs[i]);
    }
    CHECK(memcmp(EXV_SIGNATURE, "exitvisor\0\0\0", 12) == 0, "EXV_SIGNATURE");
}

TEST(leaf_info)
{
    setup();
    static const volatile u32 launched[] = { 0, 1, 2, 64 };
    for (size_t i = 0; i < sizeof(launched) / sizeof(launched[0]); i++) {
        env.vcpus_launched = &launched[i];
        struct cpuid_regs want = { 1, launched[i], 0, 0 };
        CHECK_REGS(ask(0x40000001u, 0), want, "0x40000001 with %u vCPUs launched", launched[i]);
        CHECK_REGS(ask(0x40000001u, 0x12345678u), want, "0x40000001 ignores ECX");
    }
    env.vcpus_launched = &two_vcpus;
    CHECK_EQ(EXV_ABI_VERSION, 1, "ABI version 1");
}

TEST(leaf_reason_map)
{
    setup();
    /* Independent constants: defined = all but 35, 38, 42 (word 1) and 71, >= 80 (word 2). */
    const u32 want_defined[4] = { 0xFFFFFFFFu, 0xFFFFFBB7u, 0x0000FF7Fu, 0 };
    for (u32 w = 0; w < 4; w++) {
        u32 want_possible = 0, want_def = 0;
        for (u32 bit = 0; bit < 32; bit++) {
            u32 r = 32 * w + bit;
            if (r < EXIT_REASON_COUNT && sdm_reason_name(r))
                want_def |= 1u << bit;
            if (r < EXIT_REASON_COUNT && ref_class(r) == POSSIBLE)
                want_possible |= 1u << bit;
        }
        CHECK_EQ(want_def, want_defined[w], "reference model agrees with the constants (word %u)", w);
        struct cpuid_regs want = { want_possible, want_defined[w], 0, 0 };
        CHECK_REGS(ask(0x40000002u, w), want, "0x40000002 word %u", w);
    }
    /* Every possible bit is also a defined bit. */
    for (u32 w = 0; w < 3; w++) {
        struct cpuid_regs r = ask(0x40000002u, w);
        CHECK((r.eax & ~r.ebx) == 0, "word %u: possible is a subset of defined", w);
    }
    /* Far words, including ones where 32*ECX overflows 32 bits. */
    const u32 far[] = { 4, 5, 100, 0x07FFFFFFu, 0x08000000u, 0x08000001u, 0x80000000u, 0xFFFFFFFFu };
    struct cpuid_regs zero = { 0, 0, 0, 0 };
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++)
        CHECK_REGS(ask(0x40000002u, far[i]), zero, "0x40000002 word %#x is all zero", far[i]);

    /* Turning one reason's possible[] off clears exactly its EAX bit. */
    possible[10] = false;
    exv_leaf_env_classify(&env);
    struct cpuid_regs r = ask(0x40000002u, 0);
    CHECK((r.eax & (1u << 10)) == 0, "CPUID not possible -> bit 10 clear");
    CHECK((r.ebx & (1u << 10)) != 0, "... but still defined");
    possible[10] = true;
    exv_leaf_env_classify(&env);
}

TEST(leaf_totals)
{
    setup();
    CHECK(ref_total_count > 0xFFFFFFFFull, "fixture: total count is beyond 32 bits (%llu)",
          (unsigned long long)ref_total_count);
    CHECK(ref_total_cycles > 0xFFFFFFFFull, "fixture: total cycles beyond 32 bits");
    struct cpuid_regs want = { (u32)ref_total_count, (u32)(ref_total_cycles >> 32), (u32)ref_total_cycles, 0 };
    CHECK_REGS(ask(0x4FFFFFFFu, 0), want, "0x4FFFFFFF: EAX = total count low 32, EBX:ECX = cycles, EDX = 0");
    CHECK_REGS(ask(0x4FFFFFFFu, 0xFFFFFFFFu), want, "0x4FFFFFFF ignores ECX");
    CHECK_REGS(ask(0x4FFFFFFFu, 10), want, "0x4FFFFFFF ignores ECX (10)");

    /* Exactly 2^32 + 5 exits: EAX shows 5. */
    exit_stats_reset(&stats, 1);
    stats.shard[0].count[10] = stats.shard[0].total_count = 0x100000005ull;
    stats.shard[0].cycles[10] = stats.shard[0].total_cycles = 0x123456789Aull;
    struct cpuid_regs w2 = { 5, 0x12, 0x3456789Au, 0 };
    CHECK_REGS(ask(0x4FFFFFFFu, 0), w2, "count 2^32+5 truncates to 5");
    struct cpuid_regs w3 = { 0, 1, 5, 0 };
    CHECK_REGS(ask(0x4FFFFFFCu, 0xFFFFFFFFu), w3, "0x4FFFFFFC total: 64-bit 2^32+5");

    exit_stats_reset(&stats, 1);
    struct cpuid_regs zero = { 0, 0, 0, 0 };
    CHECK_REGS(ask(0x4FFFFFFFu, 0), zero, "empty stats: all zero");
}

static const u32 reason_leaves[] = { 0x4FFFFFFEu, 0x4FFFFFFDu, 0x4FFFFFFCu };

TEST(leaf_reason_every_class)
{
    setup();
    int seen[3] = { 0, 0, 0 };
    for (u32 r = 0; r < EXIT_REASON_COUNT + 40; r++) {
        seen[ref_class(r)]++;
        for (size_t l = 0; l < 3; l++)
            CHECK_REGS(ask(reason_leaves[l], r), ref_reason_leaf(reason_leaves[l], r), "leaf %#x ecx=%u (%s)",
                       reason_leaves[l], r,
                       ref_class(r) == UNDEFINED ? "undefined" : ref_class(r) == POSSIBLE ? "possible" : "impossible");
    }
    CHECK(seen[UNDEFINED] > 0 && seen[IMPOSSIBLE] > 0 && seen[POSSIBLE] > 0, "fixture covers all three classes");
}

TEST(leaf_reason_possible_values)
{
    setup();
    /* Spelled out for one reason with a count and cycles past 2^32: 10 (CPUID). */
    CHECK(possible[10] && ref_count[10] > 0xFFFFFFFFull && ref_cycles[10] > 0xFFFFFFFFull, "fixture for reason 10");
    struct cpuid_regs c = ask(0x4FFFFFFEu, 10), y = ask(0x4FFFFFFDu, 10), c64 = ask(0x4FFFFFFCu, 10);
    CHECK_EQ(c.eax, ref_count[10] & 0xFFFFFFFFull, "count low 32 in EAX");
    CHECK_EQ(c.ebx | c.ecx | c.edx, 0, "count leaf: EBX = ECX = EDX = 0");
    CHECK_EQ(((u64)y.ebx << 32) | y.ecx, ref_cycles[10], "cycles in EBX:ECX");
    CHECK_EQ(y.eax | y.edx, 0, "cycles leaf: EAX = EDX = 0");
    CHECK_EQ(((u64)c64.ebx << 32) | c64.ecx, ref_count[10], "64-bit count in EBX:ECX");
    CHECK_EQ(c64.eax | c64.edx, 0, "count64 leaf: EAX = EDX = 0");
}

TEST(leaf_reason_impossible_is_zero_despite_stats)
{
    setup();
    struct cpuid_regs zero = { 0, 0, 0, 0 };
    int n = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        if (ref_class(r) != IMPOSSIBLE)
            continue;
        n++;
        CHECK(ref_count[r] != 0 && ref_cycles[r] != 0, "fixture: stats hold a nonzero value for %u", r);
        for (size_t l = 0; l < 3; l++)
            CHECK_REGS(ask(reason_leaves[l], r), zero, "impossible reason %u on leaf %#x", r, reason_leaves[l]);
    }
    CHECK(n >= 10, "fixture has impossible reasons (%d)", n);
}

TEST(leaf_reason_undefined)
{
    setup();
    const u32 undefined[] = { 35, 38, 42, 71, 80, 81, 1000, 0x10000, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu };
    struct cpuid_regs und = { 0, 0, 0, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++) {
        u32 r = undefined[i];
        CHECK_REGS(ask(0x4FFFFFFEu, r), und, "0x4FFFFFFE ecx=%u undefined", r);
        CHECK_REGS(ask(0x4FFFFFFDu, r), und, "0x4FFFFFFD ecx=%u undefined", r);
        if (r != 0xFFFFFFFFu)
            CHECK_REGS(ask(0x4FFFFFFCu, r), und, "0x4FFFFFFC ecx=%u undefined", r);
    }
    struct cpuid_regs total = { 0, (u32)(ref_total_count >> 32), (u32)ref_total_count, 0 };
    CHECK_REGS(ask(0x4FFFFFFCu, 0xFFFFFFFFu), total, "0x4FFFFFFC ecx=0xFFFFFFFF is the 64-bit total");
    CHECK_EQ(EXV_SELECT_TOTAL, 0xFFFFFFFFu, "EXV_SELECT_TOTAL");
    CHECK_EQ(EXV_UNDEFINED_EDX, 0xFFFFFFFFu, "EXV_UNDEFINED_EDX");
}

TEST(leaf_reason_random_ecx)
{
    setup();
    u64 seed = 0x0123456789ABCDEFull;
    int bad = 0, n = 0;
    for (int i = 0; i < 20000; i++) {
        u64 x = test_rand64(&seed);
        /* Mostly full-range values, some small ones to hit defined reasons. */
        u32 ecx = (i % 4 == 0) ? (u32)(x % 128) : (u32)(x >> 32);
        u32 leaf = reason_leaves[i % 3];
        struct cpuid_regs g = ask(leaf, ecx), w = ref_reason_leaf(leaf, ecx);
        n++;
        if (!same(g, w) && bad++ < 5)
            CHECK_REGS(g, w, "random: leaf %#x ecx=%#x", leaf, ecx);
    }
    CHECK(bad == 0, "%d of %d random (leaf, ECX) queries answered wrongly", bad, n);
}

TEST(leaf_reserved_range_is_zero)
{
    setup();
    struct cpuid_regs zero = { 0, 0, 0, 0 };
    const u32 edge[] = { 0x40000009u, 0x400000FFu, 0x40000100u, 0x40001000u, 0x41000000u,
                         0x4FFFFFF0u, 0x4FFFFFFAu, 0x4FFFFFFBu };
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
        CHECK_REGS(ask(edge[i], 0), zero, "reserved leaf %#x ecx=0", edge[i]);
        CHECK_REGS(ask(edge[i], 10), zero, "reserved leaf %#x ecx=10", edge[i]);
        CHECK_REGS(ask(edge[i], 0xFFFFFFFFu), zero, "reserved leaf %#x ecx=-1", edge[i]);
    }
    u64 seed = 42;
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        u32 leaf = 0x40000009u + (u32)(test_rand64(&seed) % (0x4FFFFFFBu - 0x40000009u + 1));
        u32 ecx = (u32)test_rand64(&seed);
        struct cpuid_regs g = ask(leaf, ecx);
        if (!same(g, zero) && bad++ < 5)
            CHECK_REGS(g, zero, "random reserved leaf %#x ecx=%#x", leaf, ecx);
    }
    CHECK(bad == 0, "%d of 5000 random reserved leaves were not all zero", bad);
}

TEST(leaf_hv_memory)
{
    struct cpuid_regs r;
    exv_leaf_answer(0x40000003u, 0, &env, &r);
    CHECK(r.eax == 0x1F800000u && r.ebx == 0 && r.ecx == 40 && r.edx == EXV_MEMORY_CODE, "range 0: code");
    exv_leaf_answer(0x40000003u, 1, &env, &r);
    CHECK(r.eax == 0x56789000u && r.ebx == 0x1234u && r.ecx == 1200 && r.edx == EXV_MEMORY_DATA,
          "range 1: data, base above 4 GiB split EAX:EBX");
    exv_leaf_answer(0x40000003u, 2, &env, &r);
    CHECK(r.edx == EXV_MEMORY_COUNTERS && r.ecx == 21, "range 2: counters");
    static const unsigned past[] = { 3, 4, 100, 0xFFFFFFFFu };
    for (unsigned i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
        exv_leaf_answer(0x40000003u, past[i], &env, &r);
        CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == EXV_MEMORY_NONE, "ECX=%u past the last range: zeros",
              past[i]);
    }
    exv_leaf_answer(0x40000000u, 0, &env, &r);
    CHECK_EQ(r.eax, 0x40000008u, "0x40000000 announces 0x40000008 as the highest hypervisor leaf");
}

TEST(leaf_own_exits)
{
    setup();
    static struct exit_stats own;
    exit_stats_reset(&own, 2);
    exit_stats_count(&own, 0, 48);
    exit_stats_add_cycles(&own, 0, 48, 500);
    exit_stats_add_own(&own, 0, 500);
    exit_stats_count(&own, 1, 10);
    exit_stats_add_cycles(&own, 1, 10, 200);
    for (int i = 0; i < 3; i++)
        exit_stats_add_own(&own, 1, 0x100000000ull); /* cycles past 2^32: the high half in EBX */
    struct leaf_env e = env;
    e.stats = &own;
    e.watches = EXV_WATCH_INIT_SIPI;
    struct cpuid_regs r;
    exv_leaf_answer(0x40000004u, 0, &e, &r);
    CHECK(r.eax == EXV_WATCH_INIT_SIPI && r.ebx == 0 && r.ecx == 4 && r.edx == 0,
          "ECX=0: what is watched, 4 own exits (got %#x %#x %#x %#x)", r.eax, r.ebx, r.ecx, r.edx);
    exv_leaf_answer(0x40000004u, 1, &e, &r);
    CHECK(r.eax == 0 && r.ebx == 3 && r.ecx == 500 && r.edx == 0, "ECX=1: own cycles hi:lo (got %#x %#x %#x %#x)",
          r.eax, r.ebx, r.ecx, r.edx);
    exv_leaf_answer(0x40000004u, 2, &e, &r);
    CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0, "ECX=2: zeros");
    e.watches = 0;
    exv_leaf_answer(0x40000004u, 0, &e, &r);
    CHECK(r.eax == 0 && r.ecx == 4, "nothing watched: EAX = 0, the count stays");
    CHECK_EQ(exit_stats_total_count(&own), 2, "own exits are counted in their reasons, not on top");
}
