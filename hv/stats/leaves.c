/* Answers for the hypervisor CPUID range; the contract is in hv/stats/abi.h and README.md. */
#include "leaves.h"
#include "abi.h"
#include "exit_names.h"


static void set64(struct cpuid_regs *out, u64 v)
{
    exv_leaf_set(out, 0, (u32)(v >> 32), (u32)v, 0);
}

static void answer_timeline(u32 ecx, const struct timeline *tl, struct cpuid_regs *out)
{
    switch (ecx) {
    case 0:
        exv_leaf_set(out, EXV_TIMELINE_VERSION, __atomic_load_n(&tl->nr_samples, __ATOMIC_ACQUIRE), tl->capacity,
            __atomic_load_n(&tl->compactions, __ATOMIC_ACQUIRE));
        break;
    case 1:
        set64(out, tl->interval);
        break;
    case 2:
        set64(out, tl->start_tsc);
        break;
    case 3:
        set64(out, tl->tsc_hz);
        break;
    default:
        exv_leaf_set(out, 0, 0, 0, 0);
        break;
    }
}

static void answer_timeline_sample(u32 i, u32 select, const struct timeline *tl, struct cpuid_regs *out)
{
    const struct timeline_sample *x = timeline_get(tl, i);

    exv_leaf_set(out, 0, 0, 0, 0);
    if (!x)
        return;
    if (select == EXV_SAMPLE_SELECT_TIME) {
        exv_leaf_set(out, 0, (u32)(x->t >> 32), (u32)x->t, 1);
    } else if (select == EXV_SAMPLE_SELECT_OWN) {
        set64(out, x->own);
    } else if (select == EXV_SAMPLE_SELECT_NONZERO) {
        u32 bits[3] = { 0, 0, 0 };
        for (u32 r = 0; r < EXIT_REASON_COUNT && r < 96; r++)
            if (x->count[r])
                bits[r / 32] |= 1u << (r % 32);
        exv_leaf_set(out, bits[0], bits[1], bits[2], 0);
    } else if (select < EXIT_REASON_COUNT) {
        set64(out, x->count[select]);
    }
}

/* 16 bytes of the log per query; see hv/stats/abi.h. */
static void answer_log(u32 ecx, const struct log_ring *log, struct cpuid_regs *out)
{
    u8 b[16] = { 0 };

    if (ecx == EXV_LOG_HEADER) {
        u64 n = __atomic_load_n(&log->committed, __ATOMIC_ACQUIRE);
        exv_leaf_set(out, EXV_LOG_VERSION, (u32)(n >> 32), (u32)n, LOG_RING_SIZE);
        return;
    }
    if (log_ring_read(log, (u64)ecx * 16, b, sizeof(b)) == LOG_RING_GONE) {
        exv_leaf_set(out, EXV_LOG_GONE, EXV_LOG_GONE, EXV_LOG_GONE, EXV_LOG_GONE);
        return;
    }
    u32 w[4];
    for (u32 i = 0; i < 4; i++)
        w[i] = (u32)b[4 * i] | (u32)b[4 * i + 1] << 8 | (u32)b[4 * i + 2] << 16 | (u32)b[4 * i + 3] << 24;
    exv_leaf_set(out, w[0], w[1], w[2], w[3]);
}

void exv_leaf_env_classify(struct leaf_env *env)
{
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
        env->reason_class[r] = !exv_reason_defined(r) ? EXV_REASON_UNDEFINED
                               : env->possible[r]    ? EXV_REASON_POSSIBLE
                                                     : EXV_REASON_IMPOSSIBLE;
}

void exv_leaf_answer(u32 leaf, u32 ecx, const struct leaf_env *env, struct cpuid_regs *out)
{
    u64 count, cycles;

    if (leaf >= EXV_LEAF_STATS_FIRST && leaf <= EXV_LEAF_TOTALS) {
        exv_statistics_answer(leaf, ecx, env, out);
        return;
    }
    switch (leaf) {
    case EXV_LEAF_SIGNATURE:
        exv_leaf_set(out, EXV_LEAF_HV_MAX, EXV_SIG_EBX, EXV_SIG_ECX, EXV_SIG_EDX);
        break;
    case EXV_LEAF_INFO:
        exv_leaf_set(out, EXV_ABI_VERSION, *env->vcpus_launched, 0, 0);
        break;
    case EXV_LEAF_REASON_MAP: {
        u32 possible = 0, defined = 0;
        for (u32 bit = 0; bit < 32; bit++) {
            u64 reason = (u64)ecx * 32 + bit;
            if (reason >= EXIT_REASON_COUNT)
                break;
            if (exv_reason_defined((u32)reason))
                defined |= 1u << bit;
            if (exv_reason_class((u32)reason, env) == EXV_REASON_POSSIBLE)
                possible |= 1u << bit;
        }
        exv_leaf_set(out, possible, defined, 0, 0);
        break;
    }
    case EXV_LEAF_HV_MEMORY:
        if (ecx < env->nr_memory) {
            const struct hv_memory_range *m = &env->memory[ecx];
            exv_leaf_set(out, (u32)m->base, (u32)(m->base >> 32), (u32)m->pages, m->kind);
        } else {
            exv_leaf_set(out, 0, 0, 0, 0);
        }
        break;
    case EXV_LEAF_OWN_EXITS:
        if (ecx == 0) {
            count = exit_stats_own_count(env->stats);
            exv_leaf_set(out, env->watches, (u32)(count >> 32), (u32)count, 0);
        } else if (ecx == 1) {
            cycles = exit_stats_own_cycles(env->stats);
            exv_leaf_set(out, 0, (u32)(cycles >> 32), (u32)cycles, 0);
        } else {
            exv_leaf_set(out, 0, 0, 0, 0);
        }
        break;
    case EXV_LEAF_TIMELINE:
        answer_timeline(ecx, env->timeline, out);
        break;
    case EXV_LEAF_TIMELINE_SAMPLE:
        answer_timeline_sample(ecx >> 8, ecx & 0xFF, env->timeline, out);
        break;
    case EXV_LEAF_LOG:
        if (env->log)
            answer_log(ecx, env->log, out);
        else
            exv_leaf_set(out, 0, 0, 0, 0);
        break;
    case EXV_LEAF_VCPU_EXITS:
        if (ecx < env->stats->nr_vcpus) {
            count = exit_stats_vcpu_count(env->stats, ecx);
            exv_leaf_set(out, env->vcpus[ecx].apic_id, (u32)(count >> 32), (u32)count, env->vcpus[ecx].launched ? 1 : 0);
        } else {
            exv_leaf_set(out, 0, 0, 0, 0);
        }
        break;
    default:
        /* The rest of the hypervisor range is reserved: all zero. */
        exv_leaf_set(out, 0, 0, 0, 0);
        break;
    }
}
