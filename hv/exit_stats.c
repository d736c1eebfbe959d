/* Exit counters; see exit_stats.h for why they are sharded per vCPU. */
#include "exit_stats.h"

void exit_stats_reset(struct exit_stats *s, u32 nr_vcpus)
{
    u8 *p = (u8 *)s;
    for (size_t i = 0; i < sizeof(*s); i++)
        p[i] = 0;
    s->nr_vcpus = nr_vcpus < EXV_MAX_VCPUS ? nr_vcpus : EXV_MAX_VCPUS;
}

/* Single writer per shard: a relaxed load and store are exact, and the
 * atomic store keeps the compiler from splitting or caching the value. */
static inline void shard_add(u64 *slot, u64 delta)
{
    __atomic_store_n(slot, __atomic_load_n(slot, __ATOMIC_RELAXED) + delta, __ATOMIC_RELAXED);
}

void exit_stats_count(struct exit_stats *s, u32 vcpu, u32 reason)
{
    if (vcpu < s->nr_vcpus && reason < EXIT_REASON_COUNT) {
        shard_add(&s->shard[vcpu].count[reason], 1);
        shard_add(&s->shard[vcpu].total_count, 1);
    }
}

void exit_stats_add_cycles(struct exit_stats *s, u32 vcpu, u32 reason, u64 cycles)
{
    if (vcpu < s->nr_vcpus && reason < EXIT_REASON_COUNT) {
        shard_add(&s->shard[vcpu].cycles[reason], cycles);
        shard_add(&s->shard[vcpu].total_cycles, cycles);
    }
}

void exit_stats_add_own(struct exit_stats *s, u32 vcpu, u64 cycles)
{
    if (vcpu < s->nr_vcpus) {
        shard_add(&s->shard[vcpu].own_count, 1);
        shard_add(&s->shard[vcpu].own_cycles, cycles);
    }
}

static u64 sum_field(const struct exit_stats *s, size_t offset)
{
    u64 sum = 0;
    for (u32 v = 0; v < s->nr_vcpus; v++)
        sum += __atomic_load_n((const u64 *)((const u8 *)&s->shard[v] + offset), __ATOMIC_RELAXED);
    return sum;
}

u64 exit_stats_reason_count(const struct exit_stats *s, u32 reason)
{
    return reason < EXIT_REASON_COUNT ? sum_field(s, offsetof(struct exit_stats_shard, count) + reason * sizeof(u64)) : 0;
}

u64 exit_stats_reason_cycles(const struct exit_stats *s, u32 reason)
{
    return reason < EXIT_REASON_COUNT ? sum_field(s, offsetof(struct exit_stats_shard, cycles) + reason * sizeof(u64)) : 0;
}

u64 exit_stats_total_count(const struct exit_stats *s)
{
    return sum_field(s, offsetof(struct exit_stats_shard, total_count));
}

u64 exit_stats_total_cycles(const struct exit_stats *s)
{
    return sum_field(s, offsetof(struct exit_stats_shard, total_cycles));
}

u64 exit_stats_own_count(const struct exit_stats *s)
{
    return sum_field(s, offsetof(struct exit_stats_shard, own_count));
}

u64 exit_stats_own_cycles(const struct exit_stats *s)
{
    return sum_field(s, offsetof(struct exit_stats_shard, own_cycles));
}

u64 exit_stats_vcpu_count(const struct exit_stats *s, u32 vcpu)
{
    return vcpu < s->nr_vcpus ? __atomic_load_n(&s->shard[vcpu].total_count, __ATOMIC_RELAXED) : 0;
}
