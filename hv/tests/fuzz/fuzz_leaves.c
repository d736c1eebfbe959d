/*
 * fuzz_leaves: the CPUID hypervisor range (hv/stats/leaves.c) on random counters.
 *
 * fuzz-sources: hv/stats/leaves.c hv/stats/timeline.c hv/stats/log_ring.c hv/stats/exit_stats.c hv/stats/exit_names.c hv/stats/exit_possible.c
 * fuzz-max-len: 1024
 *
 * The input builds a struct exit_stats (0..64 shards in use, shards past
 * nr_vcpus filled with garbage that must never be summed), a possible[] map,
 * memory ranges and a vCPU count; then every stat leaf is swept over every
 * reason 0..EXIT_REASON_COUNT+16 and ECX = 0xFFFFFFFF, and the rest of the
 * input is read as up to 128 (leaf, ECX) queries anywhere in
 * 0x40000000-0x4FFFFFFF.
 * Each answer is compared with a recomputation from the shards written here
 * from the hv/stats/abi.h contract:
 *   - undefined reason: EAX = EBX = ECX = 0, EDX = 0xFFFFFFFF;
 *   - defined but impossible: all zero;
 *   - possible: the leaf's layout, with the 32-bit leaves truncating;
 *   - 0x4FFFFFFC ECX = 0xFFFFFFFF: the 64-bit total; 0x4FFFFFFF: totals;
 *   - 0x40000000..3: signature, info, reason map, memory ranges;
 *   - every other leaf of the range: all zero.
 * Two ways of filling the counters: raw (any 64-bit values, totals unrelated
 * to the per-reason values, as a reader racing writers could never see but
 * the leaf code must still report faithfully), and through the writer API
 * exit_stats_count/exit_stats_add_cycles, after which the totals must also
 * equal the sums over the reasons.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "hv/stats/abi.h"
#include "hv/stats/leaves.h"
#include "hv/stats/exit_names.h"

#define MAX_RANGES 6
#define MAX_QUERIES 128

static struct exit_stats stats;
static bool possible[EXIT_REASON_COUNT];
static struct hv_memory_range ranges[MAX_RANGES];
static volatile u32 launched;
/* Writer-API mode: what the shards must hold, kept here independently. */
static u64 model_count[EXV_MAX_VCPUS][EXIT_REASON_COUNT], model_cycles[EXV_MAX_VCPUS][EXIT_REASON_COUNT];

struct want { u32 eax, ebx, ecx, edx; };

/* Sums over the shards in use, recomputed once per input from the arrays
 * (not through exit_stats.c's readers). */
static u64 ref_count[EXIT_REASON_COUNT], ref_cycles[EXIT_REASON_COUNT], ref_tcount, ref_tcycles, ref_own, ref_own_cycles;
static u32 watches;
/* The timeline and per-vCPU leaves read these; filled raw from the input. */
static struct timeline tl;
static struct leaf_vcpu vcpu_view[EXV_MAX_VCPUS];
/* The log ring and everything ever appended to it (the model's view). */
static struct log_ring ring;
#define LOG_STREAM_MAX (8u * 70000u)
static u8 stream[LOG_STREAM_MAX];
static u64 stream_len;

static void recompute(void)
{
    memset(ref_count, 0, sizeof(ref_count));
    memset(ref_cycles, 0, sizeof(ref_cycles));
    ref_tcount = ref_tcycles = ref_own = ref_own_cycles = 0;
    for (u32 v = 0; v < stats.nr_vcpus; v++) {
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
            ref_count[r] += stats.shard[v].count[r];
            ref_cycles[r] += stats.shard[v].cycles[r];
        }
        ref_tcount += stats.shard[v].total_count;
        ref_tcycles += stats.shard[v].total_cycles;
        ref_own += stats.shard[v].own_count;
        ref_own_cycles += stats.shard[v].own_cycles;
    }
}

/* The answer hv/stats/abi.h promises for (leaf, ecx). */
static struct want expected(u32 leaf, u32 ecx, u32 nr_ranges)
{
    struct want w = { 0, 0, 0, 0 };
    u64 v;

    switch (leaf) {
    case 0x40000000u: {
        static const char sig[12] = { 'e', 'x', 'i', 't', 'v', 'i', 's', 'o', 'r', 0, 0, 0 };
        w.eax = 0x40000008u; /* highest hypervisor leaf */
        memcpy(&w.ebx, sig, 4);
        memcpy(&w.ecx, sig + 4, 4);
        memcpy(&w.edx, sig + 8, 4);
        return w;
    }
    case 0x40000001u:
        w.eax = 1; /* ABI version */
        w.ebx = launched;
        return w;
    case 0x40000002u:
        for (u32 bit = 0; bit < 32; bit++) {
            u64 r = (u64)ecx * 32 + bit;
            if (r < SDM_REASON_LIMIT && sdm_defined((u32)r)) {
                w.ebx |= 1u << bit;
                if (possible[r])
                    w.eax |= 1u << bit;
            }
        }
        return w;
    case 0x40000003u:
        if (ecx < nr_ranges) {
            w.eax = (u32)ranges[ecx].base;
            w.ebx = (u32)(ranges[ecx].base >> 32);
            w.ecx = (u32)ranges[ecx].pages;
            w.edx = ranges[ecx].kind;
        }
        return w;
    case 0x40000004u:
        v = ecx == 0 ? ref_own : ecx == 1 ? ref_own_cycles : 0;
        w.eax = ecx == 0 ? watches : 0;
        w.ebx = (u32)(v >> 32);
        w.ecx = (u32)v;
        return w;
    case 0x40000005u: /* timeline header */
        if (ecx == 0) {
            w.eax = 1;
            w.ebx = tl.nr_samples;
            w.ecx = tl.capacity;
            w.edx = tl.compactions;
        } else if (ecx >= 1 && ecx <= 3) {
            v = ecx == 1 ? tl.interval : ecx == 2 ? tl.start_tsc : tl.tsc_hz;
            w.ebx = (u32)(v >> 32);
            w.ecx = (u32)v;
        }
        return w;
    case 0x40000006u: { /* timeline sample (ecx >> 8), selector (ecx & 0xFF) */
        u32 i = ecx >> 8, sel = ecx & 0xFF;
        if (i >= tl.nr_samples)
            return w;
        const struct timeline_sample *x = &tl.sample[i];
        if (sel == 0xFF) {
            w.ebx = (u32)(x->t >> 32);
            w.ecx = (u32)x->t;
            w.edx = 1;
        } else if (sel == 0xFD) {
            w.ebx = (u32)(x->own >> 32);
            w.ecx = (u32)x->own;
        } else if (sel == 0xFE) {
            u32 bits[3] = { 0, 0, 0 };
            for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
                if (x->count[r])
                    bits[r / 32] |= 1u << (r % 32);
            w.eax = bits[0];
            w.ebx = bits[1];
            w.ecx = bits[2];
        } else if (sel < EXIT_REASON_COUNT) {
            w.ebx = (u32)(x->count[sel] >> 32);
            w.ecx = (u32)x->count[sel];
        }
        return w;
    }
    case 0x40000008u: { /* the log: header, or 16 bytes at 16 * ecx */
        if (ecx == 0xFFFFFFFFu) {
            w.eax = 1;
            w.ebx = (u32)(stream_len >> 32);
            w.ecx = (u32)stream_len;
            w.edx = LOG_RING_SIZE;
            return w;
        }
        u64 at = (u64)ecx * 16;
        if (at < stream_len && stream_len > LOG_RING_SIZE && at < stream_len - LOG_RING_SIZE) {
            w.eax = w.ebx = w.ecx = w.edx = 0xFFFFFFFFu;
            return w;
        }
        u8 b[16] = { 0 };
        for (u32 i = 0; i < 16 && at + i < stream_len; i++)
            b[i] = stream[at + i];
        memcpy(&w.eax, b, 4);
        memcpy(&w.ebx, b + 4, 4);
        memcpy(&w.ecx, b + 8, 4);
        memcpy(&w.edx, b + 12, 4);
        return w;
    }
    case 0x40000007u: /* one vCPU */
        if (ecx < stats.nr_vcpus) {
            v = stats.shard[ecx].total_count;
            w.eax = vcpu_view[ecx].apic_id;
            w.ebx = (u32)(v >> 32);
            w.ecx = (u32)v;
            w.edx = vcpu_view[ecx].launched ? 1 : 0;
        }
        return w;
    case 0x4FFFFFFFu:
        w.eax = (u32)ref_tcount;
        v = ref_tcycles;
        w.ebx = (u32)(v >> 32);
        w.ecx = (u32)v;
        return w;
    case 0x4FFFFFFCu:
        if (ecx == 0xFFFFFFFFu) {
            v = ref_tcount;
            w.ebx = (u32)(v >> 32);
            w.ecx = (u32)v;
            return w;
        }
        /* fall through: a per-reason leaf */
    case 0x4FFFFFFEu:
    case 0x4FFFFFFDu:
        if (!sdm_defined(ecx)) {
            w.edx = 0xFFFFFFFFu;
            return w;
        }
        if (!possible[ecx])
            return w;
        if (leaf == 0x4FFFFFFEu) {
            w.eax = (u32)ref_count[ecx];
        } else {
            v = leaf == 0x4FFFFFFDu ? ref_cycles[ecx] : ref_count[ecx];
            w.ebx = (u32)(v >> 32);
            w.ecx = (u32)v;
        }
        return w;
    default:
        return w; /* reserved */
    }
}

static void query(const struct leaf_env *env, u32 leaf, u32 ecx, u32 nr_ranges)
{
    struct cpuid_regs out;
    memset(&out, 0xCC, sizeof(out)); /* every register must be written */
    exv_leaf_answer(leaf, ecx, env, &out);
    struct want w = expected(leaf, ecx, nr_ranges);
    FUZZ_CHECK(out.eax == w.eax && out.ebx == w.ebx && out.ecx == w.ecx && out.edx == w.edx,
               "leaf 0x%08x ecx 0x%08x: got %08x %08x %08x %08x, want %08x %08x %08x %08x (nr_vcpus %u)", leaf,
               ecx, out.eax, out.ebx, out.ecx, out.edx, w.eax, w.ebx, w.ecx, w.edx, stats.nr_vcpus);
}

static u32 pick_leaf(struct fin *f)
{
    u8 sel = fin_u8(f);
    switch (sel % 8) {
    case 0: return 0x40000000u + (sel >> 3) % 9;                 /* 0x40000000..8 */
    case 1: return 0x4FFFFFFAu + (sel >> 3) % 6;                 /* 0x4FFFFFFA..F */
    case 2: return 0x40000000u + (fin_u32(f) & 0x0FFFFFFFu);     /* anywhere in the range */
    default: return 0x4FFFFFFCu + sel % 4;                       /* the stat leaves */
    }
}

static u32 pick_ecx(struct fin *f)
{
    u8 sel = fin_u8(f);
    switch (sel % 4) {
    case 0: return 0xFFFFFFFFu;
    case 1: return fin_u32(f);
    default: return fin_u8(f); /* 0..255: every reason, defined or not, and map words */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    u8 mode = fin_u8(&f);
    bool writer_api = mode & 1;
    u32 want_vcpus = fin_u8(&f);

    if (writer_api) {
        /* exit_stats_reset clamps to EXV_MAX_VCPUS and zeroes everything. */
        memset(&stats, 0x5A, sizeof(stats));
        exit_stats_reset(&stats, want_vcpus);
        u32 clamped = want_vcpus < EXV_MAX_VCPUS ? want_vcpus : EXV_MAX_VCPUS;
        FUZZ_CHECK(stats.nr_vcpus == clamped, "reset(%u) left nr_vcpus %u", want_vcpus, stats.nr_vcpus);
        memset(model_count, 0, sizeof(model_count));
        memset(model_cycles, 0, sizeof(model_cycles));
        u32 events = fin_u8(&f);
        for (u32 e = 0; e < events; e++) {
            u32 v = fin_u8(&f) % (EXV_MAX_VCPUS + 2);        /* sometimes past nr_vcpus or the array */
            u32 r = fin_u8(&f) % (EXIT_REASON_COUNT + 8);    /* sometimes past the table */
            u32 times = fin_u8(&f) % 4;
            u64 cycles = fin_edgy_u64(&f);
            for (u32 t = 0; t < times; t++)
                exit_stats_count(&stats, v, r);
            exit_stats_add_cycles(&stats, v, r, cycles);
            if (v < stats.nr_vcpus && r < EXIT_REASON_COUNT) {
                model_count[v][r] += times;
                model_cycles[v][r] += cycles;
            }
        }
        /* The writer API kept each shard exact, and its totals are the sums. */
        for (u32 v = 0; v < EXV_MAX_VCPUS; v++) {
            u64 tc = 0, ty = 0;
            for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
                FUZZ_CHECK(stats.shard[v].count[r] == model_count[v][r] &&
                               stats.shard[v].cycles[r] == model_cycles[v][r],
                           "shard %u reason %u: count %llu cycles %llu, model %llu %llu", v, r,
                           (unsigned long long)stats.shard[v].count[r], (unsigned long long)stats.shard[v].cycles[r],
                           (unsigned long long)model_count[v][r], (unsigned long long)model_cycles[v][r]);
                tc += model_count[v][r];
                ty += model_cycles[v][r];
            }
            FUZZ_CHECK(stats.shard[v].total_count == tc && stats.shard[v].total_cycles == ty,
                       "shard %u totals %llu %llu, sums over reasons %llu %llu", v,
                       (unsigned long long)stats.shard[v].total_count,
                       (unsigned long long)stats.shard[v].total_cycles, (unsigned long long)tc,
                       (unsigned long long)ty);
        }
    } else {
        /* Raw shards: garbage everywhere, zero in the shards in use, then
         * random values (also near 2^32 and 2^64) at random places. */
        memset(&stats, 0xA5, sizeof(stats));
        stats.nr_vcpus = want_vcpus % (EXV_MAX_VCPUS + 1);
        memset(stats.shard, 0, sizeof(stats.shard[0]) * stats.nr_vcpus);
        u32 writes = fin_u8(&f);
        for (u32 w = 0; w < writes && stats.nr_vcpus; w++) {
            u32 v = fin_u8(&f) % stats.nr_vcpus;
            u8 what = fin_u8(&f);
            u32 r = (what >> 2) % EXIT_REASON_COUNT;
            u64 value = fin_edgy_u64(&f);
            switch (what & 3) {
            case 0: stats.shard[v].count[r] = value; break;
            case 1: stats.shard[v].cycles[r] = value; break;
            case 2: stats.shard[v].total_count = value; stats.shard[v].own_count = value / 3; break;
            default: stats.shard[v].total_cycles = value; stats.shard[v].own_cycles = value >> 1; break;
            }
        }
    }

    /* The reason map: any bool for any reason, undefined ones included. */
    for (u32 r = 0; r < EXIT_REASON_COUNT; r += 8) {
        u8 bits = fin_u8(&f);
        for (u32 b = 0; b < 8 && r + b < EXIT_REASON_COUNT; b++)
            possible[r + b] = (bits >> b) & 1;
    }
    u32 nr_ranges = fin_u8(&f) % (MAX_RANGES + 1);
    for (u32 i = 0; i < nr_ranges; i++) {
        ranges[i].base = fin_edgy_u64(&f);
        ranges[i].pages = fin_edgy_u64(&f);
        ranges[i].kind = fin_u8(&f) % 5;
    }
    launched = fin_u32(&f);
    watches = fin_u8(&f) & 3;
    /* A timeline in any state a reader may see: any header values, a few
     * samples with edgy counts (the rest of the ring is garbage). */
    memset(&tl, 0xC3, sizeof(tl));
    tl.nr_samples = fin_u8(&f) % 9;
    tl.capacity = fin_u32(&f);
    tl.compactions = fin_u32(&f);
    tl.interval = fin_edgy_u64(&f);
    tl.start_tsc = fin_edgy_u64(&f);
    tl.tsc_hz = fin_edgy_u64(&f);
    for (u32 i = 0; i < tl.nr_samples; i++) {
        tl.sample[i].t = fin_edgy_u64(&f);
        tl.sample[i].own = fin_edgy_u64(&f);
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
            tl.sample[i].count[r] = (fin_u8(&f) & 1) ? fin_edgy_u64(&f) : 0;
    }
    for (u32 v = 0; v < EXV_MAX_VCPUS; v++) {
        vcpu_view[v].apic_id = fin_u32(&f);
        vcpu_view[v].launched = fin_u8(&f) & 1;
    }
    /* The log: a few appends of any length (past the ring's size too). */
    log_ring_reset(&ring);
    stream_len = 0;
    for (u32 k = fin_u8(&f) % 9; k; k--) {
        u32 n = (u32)(fin_u32(&f) % 70000u);
        u8 fill = (u8)(fin_u8(&f) % 0x7F);
        static char piece[70000];
        for (u32 i = 0; i < n; i++)
            piece[i] = (char)((fill + i % 7) % 0x7F);
        log_ring_append(&ring, piece, n);
        /* A line longer than the ring keeps only its end (log_ring.h). */
        u32 kept = n > LOG_RING_SIZE ? LOG_RING_SIZE : n;
        memcpy(stream + stream_len, piece + (n - kept), kept);
        stream_len += kept;
    }
    struct leaf_env env = { .stats = &stats, .possible = possible, .vcpus_launched = &launched,
                                  .memory = ranges, .nr_memory = nr_ranges, .watches = watches,
                                  .timeline = &tl, .vcpus = vcpu_view, .log = &ring };
    exv_leaf_env_classify(&env);
    recompute();

    /* The sweep: every stat leaf for every reason and the total selector,
     * the map words and the memory ranges. */
    for (u32 r = 0; r < EXIT_REASON_COUNT + 16; r++)
        for (u32 leaf = 0x4FFFFFFCu; leaf <= 0x4FFFFFFEu; leaf++)
            query(&env, leaf, r, nr_ranges);
    for (u32 leaf = 0x4FFFFFFCu; leaf <= 0x4FFFFFFFu; leaf++)
        query(&env, leaf, 0xFFFFFFFFu, nr_ranges);
    query(&env, 0x4FFFFFFFu, 0, nr_ranges);
    for (u32 n = 0; n < 5; n++)
        query(&env, 0x40000002u, n, nr_ranges);
    for (u32 n = 0; n <= MAX_RANGES; n++)
        query(&env, 0x40000003u, n, nr_ranges);
    query(&env, 0x40000000u, 0, nr_ranges);
    query(&env, 0x40000001u, 0, nr_ranges);
    for (u32 n = 0; n < 3; n++)
        query(&env, 0x40000004u, n, nr_ranges);
    query(&env, 0x40000004u, 0xFFFFFFFFu, nr_ranges);
    for (u32 n = 0; n < 6; n++)
        query(&env, 0x40000005u, n, nr_ranges);
    for (u32 i = 0; i < 10; i++) {
        for (u32 sel = 0; sel < 0x100; sel++)
            query(&env, 0x40000006u, (i << 8) | sel, nr_ranges);
        query(&env, 0x40000006u, (i + 0x10000u) << 8 | 0xFF, nr_ranges);
    }
    for (u32 n = 0; n <= EXV_MAX_VCPUS + 1; n++)
        query(&env, 0x40000007u, n, nr_ranges);
    query(&env, 0x40000008u, 0xFFFFFFFFu, nr_ranges);
    for (u64 at = 0; at < stream_len + 64; at += stream_len > 4096 ? 4093 : 16)
        query(&env, 0x40000008u, (u32)(at / 16), nr_ranges);
    if (stream_len)
        query(&env, 0x40000008u, (u32)((stream_len - 1) / 16), nr_ranges);
    query(&env, 0x40000007u, 0xFFFFFFFFu, nr_ranges);

    /* Random queries with the rest of the input (at most MAX_QUERIES). */
    for (u32 q = 0; q < MAX_QUERIES && !fin_done(&f); q++) {
        u32 leaf = pick_leaf(&f);
        u32 ecx = pick_ecx(&f);
        query(&env, leaf, ecx, nr_ranges);
        /* Whose leaf is it: exactly the hypervisor range, checked on a
         * random leaf anywhere in the 32-bit space too. */
        u32 any = fin_u32(&f);
        FUZZ_CHECK(exv_leaf_is_ours(any) == (any >= 0x40000000u && any <= 0x4FFFFFFFu), "is_ours(0x%08x)", any);
        FUZZ_CHECK(exv_leaf_is_ours(leaf), "is_ours(0x%08x)", leaf);
    }

    /* Cross-leaf: the 32-bit count is the low half of the 64-bit one. */
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        struct cpuid_regs a, b;
        exv_leaf_answer(0x4FFFFFFEu, r, &env, &a);
        exv_leaf_answer(0x4FFFFFFCu, r, &env, &b);
        FUZZ_CHECK(a.eax == b.ecx, "reason %u: 32-bit count %08x, low half of 64-bit count %08x", r, a.eax, b.ecx);
    }
    return 0;
}
