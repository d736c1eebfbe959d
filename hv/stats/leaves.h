/*
 * The hypervisor CPUID range 0x40000000-0x4FFFFFFF: signature, info and the
 * exit-statistics leaves of hv/stats/abi.h. Pure logic, no hardware access, so the
 * host unit tests cover every class of ECX.
 */
#ifndef EXITVISOR_LEAVES_H
#define EXITVISOR_LEAVES_H
#include "../types.h"
#include "exit_stats.h"
#include "timeline.h"
#include "log_ring.h"
#include "../arch/x86.h"
#include "abi.h"

/* A memory range the hypervisor keeps for itself (leaf 0x40000003). */
struct hv_memory_range {
    u64 base, pages;
    u32 kind; /* EXV_MEMORY_* */
};

/* What leaf 0x40000007 says of one vCPU. */
struct leaf_vcpu {
    u32 apic_id;
    volatile u32 launched; /* 1 while it runs under exitvisor */
};

struct leaf_env {
    const struct exit_stats *stats;
    const bool *possible;     /* possible[r], r < EXIT_REASON_COUNT, from the controls in force */
    const volatile u32 *vcpus_launched; /* changes as CPUs launch */
    const struct hv_memory_range *memory;
    u32 nr_memory;
    u32 watches;              /* EXV_WATCH_* */
    const struct timeline *timeline;
    const struct leaf_vcpu *vcpus; /* stats->nr_vcpus entries */
    const struct log_ring *log;    /* leaf 0x40000008 */
    /* possible[] and the SDM's list in one byte per reason (enum
     * exv_reason_class), built by exv_leaf_env_classify: a statistics
     * query looks one byte up. */
    u8 reason_class[EXIT_REASON_COUNT];
};

/* True for every leaf this file answers (the whole hypervisor range
 * 0x40000000-0x4FFFFFFF). Inline: every CPUID exit asks. */
static inline bool exv_leaf_is_ours(u32 leaf)
{
    return (leaf >> 28) == 4;
}
/* The course's statistics leaves 0x4FFFFFFC-0x4FFFFFFF, asked in loops:
 * handle_cpuid answers them first, through exv_statistics_answer. */
static inline bool exv_leaf_is_statistics(u32 leaf)
{
    return leaf - EXV_LEAF_STATS_FIRST <= EXV_LEAF_TOTALS - EXV_LEAF_STATS_FIRST; /* one compare, unsigned */
}
_Static_assert(EXIT_REASON_COUNT <= 128, "the defined-reason bitmap below has 128 bits");
_Static_assert(EXIT_REASON_COUNT <= EXV_SAMPLE_SELECT_NONZERO && EXIT_REASON_COUNT <= 96,
               "leaf 0x40000006's selectors and its three-word nonzero map");

/* Which reasons the SDM defines, as two words built at compile time from
 * the one list (hv/arch/exit_reasons.h): a statistics query tests a bit
 * instead of calling into the name table. */
#define DEFINED_BIT(num, id, name, word) | (((num) / 64 == (word)) ? 1ull << ((num) % 64) : 0)
#define DEFINED_LO(num, id, name) DEFINED_BIT(num, id, name, 0)
#define DEFINED_HI(num, id, name) DEFINED_BIT(num, id, name, 1)
static const u64 exv_defined_reasons[2] = { 0 EXIT_REASON_LIST(DEFINED_LO), 0 EXIT_REASON_LIST(DEFINED_HI) };

static inline bool exv_reason_defined(u32 reason)
{
    return reason < EXIT_REASON_COUNT && ((exv_defined_reasons[reason / 64] >> (reason % 64)) & 1);
}

enum exv_reason_class { EXV_REASON_UNDEFINED, EXV_REASON_IMPOSSIBLE, EXV_REASON_POSSIBLE };

/* Fill env->reason_class from env->possible; again whenever possible[]
 * changes (the hypervisor: once, when the first VMCS's controls are read). */
void exv_leaf_env_classify(struct leaf_env *env);

static inline enum exv_reason_class exv_reason_class(u32 reason, const struct leaf_env *env)
{
    return reason < EXIT_REASON_COUNT ? (enum exv_reason_class)env->reason_class[reason] : EXV_REASON_UNDEFINED;
}

static inline void exv_leaf_set(struct cpuid_regs *out, u32 a, u32 b, u32 c, u32 d)
{
    out->eax = a;
    out->ebx = b;
    out->ecx = c;
    out->edx = d;
}

/* The per-reason leaves share the undefined/impossible rules; only the
 * layout of a possible reason's answer differs. */
static inline __attribute__((always_inline)) void exv_answer_reason_leaf(u32 leaf, u32 reason, const struct leaf_env *env, struct cpuid_regs *out)
{
    u64 v;
    enum exv_reason_class c = exv_reason_class(reason, env);

    if (__builtin_expect(c != EXV_REASON_POSSIBLE, 0)) {
        exv_leaf_set(out, 0, 0, 0, c == EXV_REASON_UNDEFINED ? EXV_UNDEFINED_EDX : 0);
        return;
    }
    v = exit_stats_sum_at(env->stats, (leaf == EXV_LEAF_REASON_CYCLES ? offsetof(struct exit_stats_shard, cycles)
                                                                      : offsetof(struct exit_stats_shard, count)) +
                                          reason * sizeof(u64));
    if (leaf == EXV_LEAF_REASON_COUNT)
        exv_leaf_set(out, (u32)v, 0, 0, 0);
    else /* the 64-bit count and the cycles: EBX:ECX */
        exv_leaf_set(out, 0, (u32)(v >> 32), (u32)v, 0);
}

/* The course's statistics leaves, 0x4FFFFFFC-0x4FFFFFFF. Inline, here:
 * guests ask them in loops, and the call and the answer through memory
 * showed in make bench (README: the exit path's fixed cost). */
static inline __attribute__((always_inline)) void exv_statistics_answer(u32 leaf, u32 ecx, const struct leaf_env *env, struct cpuid_regs *out)
{
    u64 count, cycles;

    switch (leaf) {
    case EXV_LEAF_REASON_COUNT: /* the course's per-reason leaf: first */
        exv_answer_reason_leaf(leaf, ecx, env, out);
        break;
    case EXV_LEAF_TOTALS:
        count = exit_stats_total_count(env->stats);
        cycles = exit_stats_total_cycles(env->stats);
        exv_leaf_set(out, (u32)count, (u32)(cycles >> 32), (u32)cycles, 0);
        break;
    case EXV_LEAF_REASON_COUNT64:
        if (ecx == EXV_SELECT_TOTAL) {
            count = exit_stats_total_count(env->stats);
            exv_leaf_set(out, 0, (u32)(count >> 32), (u32)count, 0);
            break;
        }
        exv_answer_reason_leaf(leaf, ecx, env, out);
        break;
    default: /* EXV_LEAF_REASON_CYCLES */
        exv_answer_reason_leaf(leaf, ecx, env, out);
        break;
    }
}

/* Answer leaf/ecx into out; every ECX on every leaf gets a defined answer. */
void exv_leaf_answer(u32 leaf, u32 ecx, const struct leaf_env *env, struct cpuid_regs *out);

#endif
