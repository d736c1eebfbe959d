/* The boot timeline ring; see timeline.h for the design. */
#include "timeline.h"

#define NEVER 0xFFFFFFFFFFFFFFFFull

void timeline_reset(struct timeline *tl, u64 tsc_hz)
{
    /* The header only: a sample is written before nr_samples covers it, so
     * the ring itself needs no zeroing (a byte loop over its 330 KB cost a
     * million instructions of boot time in Bochs). */
    tl->nr_samples = 0;
    tl->compactions = 0;
    tl->busy = 0;
    tl->start_tsc = 0;
    tl->next_sample_tsc = NEVER;
    tl->interval = TIMELINE_FIRST_INTERVAL;
    tl->tsc_hz = tsc_hz;
    tl->capacity = TIMELINE_CAPACITY;
}

static bool try_lock(struct timeline *tl)
{
    return !__atomic_load_n(&tl->busy, __ATOMIC_RELAXED) && !__atomic_exchange_n(&tl->busy, 1, __ATOMIC_ACQUIRE);
}

static void unlock(struct timeline *tl)
{
    __atomic_store_n(&tl->busy, 0, __ATOMIC_RELEASE);
}

void timeline_start(struct timeline *tl, u64 tsc)
{
    if (!try_lock(tl))
        return; /* another CPU is starting it this instant */
    if (!tl->start_tsc) {
        tl->start_tsc = tsc ? tsc : 1;
        /* Sample 0 is taken at the first exit: the counts at launch (zero). */
        __atomic_store_n(&tl->next_sample_tsc, tl->start_tsc, __ATOMIC_RELEASE);
    }
    unlock(tl);
}

/* Keep samples 0, 2, 4, ...: the one at launch survives, and the spacing
 * doubles like the interval. The generation changes before and after, so a
 * reader who read across the move sees it changed. */
static void compact(struct timeline *tl)
{
    u32 n = tl->nr_samples, kept = 0;

    __atomic_add_fetch(&tl->compactions, 1, __ATOMIC_ACQ_REL);
    for (u32 i = 0; i < n; i += 2)
        tl->sample[kept++] = tl->sample[i];
    __atomic_store_n(&tl->nr_samples, kept, __ATOMIC_RELEASE);
    tl->interval *= 2;
    __atomic_add_fetch(&tl->compactions, 1, __ATOMIC_ACQ_REL);
}

static void append(struct timeline *tl, const struct exit_stats *s, u64 tsc)
{
    if (tl->nr_samples == tl->capacity)
        compact(tl);
    struct timeline_sample *x = &tl->sample[tl->nr_samples];
    x->t = tsc > tl->start_tsc ? tsc - tl->start_tsc : 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
        x->count[r] = exit_stats_reason_count(s, r);
    x->own = exit_stats_own_count(s);
    /* Readers see nr_samples grow only after the sample is complete. */
    __atomic_store_n(&tl->nr_samples, tl->nr_samples + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&tl->next_sample_tsc, tsc + tl->interval, __ATOMIC_RELEASE);
}

void timeline_sample(struct timeline *tl, const struct exit_stats *s, u64 tsc)
{
    if (!try_lock(tl))
        return; /* another vCPU is sampling: this exit goes on */
    if (tl->start_tsc && tsc >= tl->next_sample_tsc)
        append(tl, s, tsc);
    unlock(tl);
}

void timeline_close(struct timeline *tl, const struct exit_stats *s, u64 tsc)
{
    /* Bounded wait: the CPU printing at power-off must not hang on a vCPU
     * that stopped while sampling; then it prints what is there. */
    for (u32 spins = 0; spins < 1000000; spins++) {
        if (try_lock(tl)) {
            if (tl->start_tsc) {
                append(tl, s, tsc);
                /* No boundary is ever reached again: timeline_due is false
                 * for every later exit, on every vCPU. */
                __atomic_store_n(&tl->next_sample_tsc, NEVER, __ATOMIC_RELEASE);
            }
            unlock(tl);
            return;
        }
    }
}

const struct timeline_sample *timeline_get(const struct timeline *tl, u32 i)
{
    return i < __atomic_load_n(&tl->nr_samples, __ATOMIC_ACQUIRE) ? &tl->sample[i] : NULL;
}

u64 timeline_tsc_hz_from_cpuid(u32 max_leaf, u32 l15_eax, u32 l15_ebx, u32 l15_ecx, u32 l16_eax)
{
    /* 0x15: TSC = crystal (ECX Hz) x EBX / EAX (SDM Vol. 2A, CPUID). */
    if (max_leaf >= 0x15 && l15_eax && l15_ebx && l15_ecx)
        return (u64)l15_ecx * l15_ebx / l15_eax;
    /* 0x16: the base frequency in MHz, which is the TSC rate on CPUs whose
     * 0x15 does not state the crystal. */
    if (max_leaf >= 0x16 && (l16_eax & 0xFFFF))
        return (u64)(l16_eax & 0xFFFF) * 1000000ull;
    return 0;
}
