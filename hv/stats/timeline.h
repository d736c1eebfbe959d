/*
 * The boot timeline: how the per-reason exit counts grow from the first
 * VMLAUNCH on, kept as a ring of snapshots in the hypervisor's memory.
 *
 * A snapshot is taken at the first exit (on any vCPU) whose TSC has passed
 * the next sample boundary: the cumulative count of every reason, summed
 * over all vCPUs, and the ticks since launch. So a sample is exact at its own
 * instant (to the exits other vCPUs are handling in that instant), and a
 * stretch in which no vCPU exits has no sample: the counts did not move.
 *
 * The ring never wraps: when it is full, every other sample is dropped
 * (the first one is kept) and the interval doubles, so the samples always
 * span launch..now and the resolution halves each time. Both are visible to
 * readers: `interval` and `compactions`. Appending a sample changes nothing
 * a reader has seen (it is written before nr_samples grows); a compaction
 * moves samples, so a reader compares `compactions` before and after and
 * reads again when it changed (the CPUID leaves of hv/stats/abi.h).
 *
 * Cost on the exit path: timeline_due() is one load and one compare; the
 * summing happens once per interval, on one vCPU (a try-lock: a vCPU that
 * finds another one sampling goes on without waiting).
 *
 * Pure logic, no hardware access: the host unit tests drive it with fake
 * TSC values.
 */
#ifndef EXITVISOR_TIMELINE_H
#define EXITVISOR_TIMELINE_H
#include "../types.h"
#include "exit_stats.h"

#define TIMELINE_VERSION 1u
#define TIMELINE_CAPACITY 512u                /* samples; even, so a compaction halves it exactly */
#define TIMELINE_FIRST_INTERVAL (1ull << 18)  /* ticks: ~90 us at 3 GHz, ~1.3 ms in Bochs (200 MHz) */

struct timeline_sample {
    u64 t;                         /* TSC ticks since the first VMLAUNCH */
    u64 own;                       /* of these, exitvisor's own (exit_stats own_count) */
    u64 count[EXIT_REASON_COUNT];  /* cumulative exits per reason, all vCPUs */
};

struct timeline {
    /* Read on every exit: alone at the top, written once per interval. */
    volatile u64 next_sample_tsc;  /* absolute TSC; ~0 before the first launch */
    u64 start_tsc;                 /* the first VMLAUNCH; 0 before it */
    u64 interval;                  /* ticks between samples now */
    u64 tsc_hz;                    /* the TSC rate CPUID states (0: unknown) */
    volatile u32 nr_samples;
    volatile u32 compactions;      /* generation: changes whenever stored samples move */
    volatile u32 busy;             /* a vCPU is sampling */
    u32 capacity;
    struct timeline_sample sample[TIMELINE_CAPACITY];
};

/* Empty ring, no sampling until timeline_start. */
void timeline_reset(struct timeline *tl, u64 tsc_hz);
/* The first VMLAUNCH: sampling starts (later calls do nothing). */
void timeline_start(struct timeline *tl, u64 tsc);

/* On every exit, after it was counted: is a sample due? */
static inline bool timeline_due(const struct timeline *tl, u64 tsc)
{
    return tsc >= tl->next_sample_tsc;
}

/* Take the sample that is due (if another vCPU is not already taking it). */
void timeline_sample(struct timeline *tl, const struct exit_stats *s, u64 tsc);
/* A last sample at `tsc` whether or not one is due, and no sample after it
 * (before printing the timeline at power-off or reset, so it ends at the
 * totals): the other vCPUs keep exiting while its 500 lines go out, and a
 * sample they took then compacted the ring under the printer (a 2-vCPU
 * Linux run printed samples 256-258 from after the power-off write next to
 * 259 from before it). */
void timeline_close(struct timeline *tl, const struct exit_stats *s, u64 tsc);

/* Reader side (any CPU): sample i (< nr_samples) or NULL. */
const struct timeline_sample *timeline_get(const struct timeline *tl, u32 i);

/* The TSC rate from CPUID 0x15 (crystal x ratio) or else 0x16 (base MHz);
 * 0 when neither says. max_leaf is CPUID.0's EAX. */
u64 timeline_tsc_hz_from_cpuid(u32 max_leaf, u32 l15_eax, u32 l15_ebx, u32 l15_ecx, u32 l16_eax);

#endif
