/*
 * Memory types from the MTRRs (SDM Vol. 3A 12.11), so that the EPT identity
 * map gives the guest the same memory types the firmware programmed. Pure
 * logic over a snapshot of the MTRR MSRs; the snapshot is read elsewhere.
 */
#ifndef EXITVISOR_MTRR_H
#define EXITVISOR_MTRR_H
#include "../types.h"

#define MEMTYPE_UC 0
#define MEMTYPE_WC 1
#define MEMTYPE_WT 4
#define MEMTYPE_WP 5
#define MEMTYPE_WB 6

#define MTRR_MAX_VARIABLE 32
#define MTRR_FIXED_COUNT 88

struct mtrr_state {
    bool enabled;          /* IA32_MTRR_DEF_TYPE.E */
    bool fixed_enabled;    /* IA32_MTRR_DEF_TYPE.FE (and fixed MTRRs supported) */
    u8 default_type;
    u8 fixed[MTRR_FIXED_COUNT]; /* 8 x 64K, 16 x 16K, 64 x 4K below 1 MiB */
    u32 variable_count;
    struct { u64 base, mask; } variable[MTRR_MAX_VARIABLE]; /* raw PHYSBASE/PHYSMASK */
    u64 address_mask;      /* (1 << MAXPHYADDR) - 1 */
};

/* Memory type of the 4-KiB page at pa. */
u8 mtrr_type_of_page(const struct mtrr_state *s, u64 pa);
/* True when every 4-KiB page of [base, base + size) has one type; *type gets it.
 * size must be a power of two and base a multiple of it (EPT pages are).
 * Regions above 2 MiB are only checked cheaply: false means "not uniform,
 * or not provably so without a page-by-page walk", and the caller splits. */
bool mtrr_range_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 *type);

/* Do two snapshots give every page the same memory type? (They compare
 * what the MTRRs say, not bits that do not matter: the fixed ranges when
 * they are off, the variable ranges while the MTRRs are disabled.) */
bool mtrr_state_equal(const struct mtrr_state *a, const struct mtrr_state *b);
/* Is msr one of the MTRRs (IA32_MTRR_DEF_TYPE, the fixed ranges, the
 * variable_count PHYSBASE/PHYSMASK pairs)? */
bool mtrr_msr_is(u32 msr, u32 variable_count);

#endif
