#include "mtrr.h"
#include "../arch/msr.h"

#define PHYSMASK_VALID (1ull << 11)
#define PAGE_MASK_BITS (~0xFFFull)

static u8 fixed_type(const struct mtrr_state *s, u64 pa)
{
    if (pa < 0x80000)
        return s->fixed[pa >> 16];
    if (pa < 0xC0000)
        return s->fixed[8 + ((pa - 0x80000) >> 14)];
    return s->fixed[24 + ((pa - 0xC0000) >> 12)];
}

/* Combine overlapping variable ranges (SDM 12.11.4.1): UC wins, WT beats WB,
 * any other mix is undefined, for which UC is the safe answer. */
static u8 combine(u8 a, u8 b)
{
    if (a == b)
        return a;
    if (a == MEMTYPE_UC || b == MEMTYPE_UC)
        return MEMTYPE_UC;
    if ((a == MEMTYPE_WT && b == MEMTYPE_WB) || (a == MEMTYPE_WB && b == MEMTYPE_WT))
        return MEMTYPE_WT;
    return MEMTYPE_UC;
}

u8 mtrr_type_of_page(const struct mtrr_state *s, u64 pa)
{
    if (!s->enabled)
        return MEMTYPE_UC;
    if (pa < 0x100000 && s->fixed_enabled)
        return fixed_type(s, pa);

    bool matched = false;
    u8 type = 0;
    for (u32 i = 0; i < s->variable_count && i < MTRR_MAX_VARIABLE; i++) {
        u64 mask = s->variable[i].mask;
        if (!(mask & PHYSMASK_VALID))
            continue;
        mask &= PAGE_MASK_BITS & s->address_mask;
        if ((pa & mask) != (s->variable[i].base & mask))
            continue;
        u8 t = (u8)(s->variable[i].base & 0xFF);
        type = matched ? combine(type, t) : t;
        matched = true;
    }
    return matched ? type : s->default_type;
}

bool mtrr_range_uniform(const struct mtrr_state *s, u64 base, u64 size, u8 *type)
{
    bool page_by_page = s->enabled && base < 0x100000 && s->fixed_enabled;

    /* A variable range decides the whole region at once unless its mask has
     * bits below the region's size. If the bits above already differ from
     * the region's, it matches no page of it and does not matter; if the
     * mask has no bit below, it matches every page or none. */
    for (u32 i = 0; s->enabled && !page_by_page && i < s->variable_count && i < MTRR_MAX_VARIABLE; i++) {
        u64 mask = s->variable[i].mask;
        if (!(mask & PHYSMASK_VALID))
            continue;
        mask &= PAGE_MASK_BITS & s->address_mask;
        if ((base ^ s->variable[i].base) & mask & ~(size - 1))
            continue;
        if (mask & (size - 1))
            page_by_page = true;
    }
    u8 first = mtrr_type_of_page(s, base);
    if (page_by_page) {
        /* Worth it for 2-MiB pages (512 lookups); a larger region is
         * reported as not uniform and split by the caller. */
        if (size > (1ull << 21))
            return false;
        for (u64 pa = base + PAGE_SIZE; pa < base + size; pa += PAGE_SIZE)
            if (mtrr_type_of_page(s, pa) != first)
                return false;
    }
    *type = first;
    return true;
}

bool mtrr_state_equal(const struct mtrr_state *a, const struct mtrr_state *b)
{
    if (a->enabled != b->enabled)
        return false;
    if (!a->enabled)
        return true; /* everything is UC */
    if (a->fixed_enabled != b->fixed_enabled || a->default_type != b->default_type ||
        a->variable_count != b->variable_count || a->address_mask != b->address_mask)
        return false;
    if (a->fixed_enabled)
        for (u32 i = 0; i < MTRR_FIXED_COUNT; i++)
            if (a->fixed[i] != b->fixed[i])
                return false;
    for (u32 i = 0; i < a->variable_count && i < MTRR_MAX_VARIABLE; i++) {
        bool va = (a->variable[i].mask & PHYSMASK_VALID) != 0, vb = (b->variable[i].mask & PHYSMASK_VALID) != 0;
        if (va != vb)
            return false;
        if (va && (a->variable[i].base != b->variable[i].base || a->variable[i].mask != b->variable[i].mask))
            return false;
    }
    return true;
}

bool mtrr_msr_is(u32 msr, u32 variable_count)
{
    if (variable_count > MTRR_MAX_VARIABLE)
        variable_count = MTRR_MAX_VARIABLE;
    return msr == MSR_IA32_MTRR_DEF_TYPE || msr == MSR_IA32_MTRR_FIX64K_00000 ||
           msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000 ||
           (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000) ||
           (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * variable_count);
}
