/*
 * The hypervisor CPUID range 0x40000000-0x4FFFFFFF: signature, info and the
 * exit-statistics leaves of hv/abi.h. Pure logic, no hardware access, so the
 * host unit tests cover every class of ECX.
 */
#ifndef EXITVISOR_LEAVES_H
#define EXITVISOR_LEAVES_H
#include "types.h"
#include "exit_stats.h"
#include "timeline.h"
#include "arch/x86.h"

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
};

/* True for every leaf this file answers (the whole hypervisor range). */
bool exv_leaf_is_ours(u32 leaf);
/* Answer leaf/ecx into out; every ECX on every leaf gets a defined answer. */
void exv_leaf_answer(u32 leaf, u32 ecx, const struct leaf_env *env, struct cpuid_regs *out);

#endif
