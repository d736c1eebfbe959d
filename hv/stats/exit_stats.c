/* Exit counters; see exit_stats.h for why they are sharded per vCPU. */
#include "exit_stats.h"

void exit_stats_reset(struct exit_stats *s, u32 nr_vcpus)
{
    /* 64-bit stores: the byte loop over these 130 KB was ~400,000
     * instructions of every boot in Bochs (make bench's boot overhead). */
    u64 *p = (u64 *)s;
    for (size_t i = 0; i < sizeof(*s) / sizeof(u64); i++)
        p[i] = 0;
    s->nr_vcpus = nr_vcpus < EXV_MAX_VCPUS ? nr_vcpus : EXV_MAX_VCPUS;
}

void exit_stats_count(struct exit_stats *s, u32 vcpu, u32 reason)
{
    if (vcpu < s->nr_vcpus && reason < EXIT_REASON_COUNT)
        exit_shard_count(&s->shard[vcpu], reason);
}

void exit_stats_add_cycles(struct exit_stats *s, u32 vcpu, u32 reason, u64 cycles)
{
    if (vcpu < s->nr_vcpus && reason < EXIT_REASON_COUNT)
        exit_shard_add_cycles(&s->shard[vcpu], reason, cycles);
}

void exit_stats_add_own(struct exit_stats *s, u32 vcpu, u64 cycles)
{
    if (vcpu < s->nr_vcpus)
        exit_shard_add_own(&s->shard[vcpu], cycles);
}

u64 exit_stats_own_count(const struct exit_stats *s)
{
    return exit_stats_sum_at(s, offsetof(struct exit_stats_shard, own_count));
}

u64 exit_stats_own_cycles(const struct exit_stats *s)
{
    return exit_stats_sum_at(s, offsetof(struct exit_stats_shard, own_cycles));
}

u64 exit_stats_vcpu_count(const struct exit_stats *s, u32 vcpu)
{
    return vcpu < s->nr_vcpus ? __atomic_load_n(&s->shard[vcpu].total_count, __ATOMIC_RELAXED) : 0;
}
