/*
 * Exit counters: per basic exit reason, a 64-bit count and 64-bit cycles.
 *
 * Design: one shard per vCPU, written only by that vCPU, summed on read.
 * Each vCPU's updates are plain load+store (no lock prefix, no shared cache
 * line between vCPUs), so counting costs the same with 1 or 64 vCPUs and no
 * update is ever lost: a shard has exactly one writer. Readers sum the shards
 * with aligned 64-bit loads, which x86 performs atomically, so a reader never
 * sees a torn value. See README.md "Counting" for the measurement behind it.
 */
#ifndef EXITVISOR_EXIT_STATS_H
#define EXITVISOR_EXIT_STATS_H
#include "../types.h"
#include "../arch/exit_reasons.h"

#define EXV_MAX_VCPUS 64

/* A shard's size, a power of two (the 1,312 bytes it holds, rounded up),
 * so a reader finds the end of the shards with a shift, not a multiply
 * (make bench); it also keeps shards on separate cache lines. */
#define EXIT_STATS_SHARD_BYTES 2048

struct exit_stats_shard {
    u64 count[EXIT_REASON_COUNT];
    u64 cycles[EXIT_REASON_COUNT];
    /* Sums over all reasons, kept by the same writer, so the total leaf
     * reads one value per vCPU instead of summing every reason. */
    u64 total_count, total_cycles;
    /* Of these, the exits that exist only because exitvisor watches
     * something (its own, not the guest's: hv/exit_dispatch.c decides). */
    u64 own_count, own_cycles;
} __attribute__((aligned(EXIT_STATS_SHARD_BYTES)));
_Static_assert(sizeof(struct exit_stats_shard) == EXIT_STATS_SHARD_BYTES, "a shard fills its power-of-two slot");

struct exit_stats {
    u32 nr_vcpus; /* shards in use: readers sum only these */
    struct exit_stats_shard shard[EXV_MAX_VCPUS];
};

/* Single writer per shard: a relaxed load and store are exact, and the
 * atomic store keeps the compiler from splitting or caching the value. */
static inline void shard_add(u64 *slot, u64 delta)
{
    __atomic_store_n(slot, __atomic_load_n(slot, __ATOMIC_RELAXED) + delta, __ATOMIC_RELAXED);
}

/* The exit path's writers, inline, on the vCPU's own shard (reason below
 * EXIT_REASON_COUNT, checked by the caller): the dispatcher calls them on
 * every exit. */
static inline void exit_shard_count(struct exit_stats_shard *sh, u32 reason)
{
    shard_add(&sh->count[reason], 1);
    shard_add(&sh->total_count, 1);
}

static inline void exit_shard_add_cycles(struct exit_stats_shard *sh, u32 reason, u64 cycles)
{
    shard_add(&sh->cycles[reason], cycles);
    shard_add(&sh->total_cycles, cycles);
}

static inline void exit_shard_add_own(struct exit_stats_shard *sh, u64 cycles)
{
    shard_add(&sh->own_count, 1);
    shard_add(&sh->own_cycles, cycles);
}

/* Zero every counter and size the reader's sum to nr_vcpus shards. */
void exit_stats_reset(struct exit_stats *s, u32 nr_vcpus);
/* Writer side: only vCPU `vcpu` may call these for its own shard. */
void exit_stats_count(struct exit_stats *s, u32 vcpu, u32 reason);
void exit_stats_add_cycles(struct exit_stats *s, u32 vcpu, u32 reason, u64 cycles);
/* An exit already counted above that exitvisor itself caused. */
void exit_stats_add_own(struct exit_stats *s, u32 vcpu, u64 cycles);
/* Reader side: any CPU, any time. The sums the statistics leaves answer
 * are inline: each query is one exit, and the call cost showed in make bench. */
static inline u64 exit_stats_sum_at(const struct exit_stats *s, size_t offset)
{
    u64 sum = 0;
    const u8 *p = (const u8 *)&s->shard[0] + offset, *end = p + (u64)s->nr_vcpus * sizeof(struct exit_stats_shard);
    for (; p < end; p += sizeof(struct exit_stats_shard))
        sum += __atomic_load_n((const u64 *)p, __ATOMIC_RELAXED);
    return sum;
}

static inline u64 exit_stats_reason_count(const struct exit_stats *s, u32 reason)
{
    return reason < EXIT_REASON_COUNT ? exit_stats_sum_at(s, offsetof(struct exit_stats_shard, count) + reason * sizeof(u64)) : 0;
}

static inline u64 exit_stats_reason_cycles(const struct exit_stats *s, u32 reason)
{
    return reason < EXIT_REASON_COUNT ? exit_stats_sum_at(s, offsetof(struct exit_stats_shard, cycles) + reason * sizeof(u64)) : 0;
}

static inline u64 exit_stats_total_count(const struct exit_stats *s)
{
    return exit_stats_sum_at(s, offsetof(struct exit_stats_shard, total_count));
}

static inline u64 exit_stats_total_cycles(const struct exit_stats *s)
{
    return exit_stats_sum_at(s, offsetof(struct exit_stats_shard, total_cycles));
}

u64 exit_stats_own_count(const struct exit_stats *s);
u64 exit_stats_own_cycles(const struct exit_stats *s);
/* Exits taken by one vCPU (0 past the shards in use). */
u64 exit_stats_vcpu_count(const struct exit_stats *s, u32 vcpu);

#endif
