/*
 * Run-time changes to the EPT identity map (see hv/mem/ept_edit.h): split a
 * large page, retype after an MTRR change, change one page's access.
 */
#include "ept_edit.h"
#include "../arch/ept.h"

#define GIB (1ull << 30)
#define MIB2 (1ull << 21)

static inline bool present(u64 e)
{
    return (e & EPT_RWX) != 0;
}

static inline u64 *next_table(u64 e)
{
    return (u64 *)(uintptr_t)(e & EPT_ADDR_MASK);
}

static inline void store(u64 *entry, u64 value)
{
    __atomic_store_n(entry, value, __ATOMIC_RELEASE);
}

/* Replace the large page *entry (mapping 512 x child bytes) by a table of
 * 512 entries of child bytes each with the same rights and memory type.
 * False when the reserve is used up. */
static bool split(u64 *entry, u64 child, struct arena *reserve)
{
    u64 e = *entry;
    u64 *t = arena_alloc_pages(reserve, 1);
    if (!t)
        return false;
    u64 base = e & EPT_ADDR_MASK & ~(child * 512 - 1);
    u64 flags = e & ~EPT_ADDR_MASK & ~EPT_LARGE;
    if (child > PAGE_SIZE)
        flags |= EPT_LARGE;
    for (u64 i = 0; i < 512; i++)
        t[i] = (base + i * child) | flags;
    store(entry, (u64)(uintptr_t)t | EPT_RWX); /* a table entry: rights only, no type */
    return true;
}

u64 *ept_page_entry(u64 *pml4, u64 top, u64 pa, struct arena *reserve)
{
    if (pa >= top || !present(pml4[(pa >> 39) & 511]))
        return NULL;
    u64 *e = &next_table(pml4[(pa >> 39) & 511])[(pa >> 30) & 511];
    if (!present(*e) || ((*e & EPT_LARGE) && !split(e, MIB2, reserve)))
        return NULL;
    e = &next_table(*e)[(pa >> 21) & 511];
    if (!present(*e) || ((*e & EPT_LARGE) && !split(e, PAGE_SIZE, reserve)))
        return NULL;
    e = &next_table(*e)[(pa >> 12) & 511];
    return present(*e) ? e : NULL;
}

u64 ept_leaf_of(const u64 *pml4, u64 top, u64 pa)
{
    if (pa >= top)
        return 0;
    u64 e = pml4[(pa >> 39) & 511];
    for (int shift = 30; shift >= 12 && present(e); shift -= 9) {
        e = next_table(e)[(pa >> shift) & 511];
        if (shift == 12 || (e & EPT_LARGE))
            return present(e) ? e : 0;
    }
    return 0;
}

bool ept_set_page_access(u64 *pml4, u64 top, u64 pa, u64 access, struct arena *reserve)
{
    u64 *e = ept_page_entry(pml4, top, pa, reserve);
    if (!e)
        return false;
    store(e, (*e & ~EPT_RWX) | (access & EPT_RWX));
    return true;
}

static void set_type(u64 *entry, u8 type, struct ept_retype_result *out)
{
    u64 n = (*entry & ~EPT_MEMTYPE_MASK) | ((u64)type << EPT_MEMTYPE_SHIFT);
    if (n != *entry) {
        store(entry, n);
        out->retyped++;
    }
}

/* A large page at base of size bytes: retyped when the MTRRs give its
 * range one type, else split (the caller then walks the new table). True
 * when the caller has nothing more to do with it. */
static bool retype_large(u64 *entry, u64 base, u64 size, const struct mtrr_state *m, struct arena *reserve,
                         struct ept_retype_result *out)
{
    u8 type;
    if (mtrr_range_uniform(m, base, size, &type)) {
        set_type(entry, type, out);
        return true;
    }
    if (!split(entry, size / 512, reserve)) {
        out->unsplit++;
        return true;
    }
    out->split++;
    return false;
}

static void retype_directory(u64 *pd, u64 gbase, const struct mtrr_state *m, struct arena *reserve,
                             struct ept_retype_result *out)
{
    for (u64 i = 0; i < 512; i++) {
        u64 base = gbase + i * MIB2;
        if (!present(pd[i]) || ((pd[i] & EPT_LARGE) && retype_large(&pd[i], base, MIB2, m, reserve, out)))
            continue;
        u64 *pt = next_table(pd[i]);
        for (u64 p = 0; p < 512; p++)
            if (present(pt[p]))
                set_type(&pt[p], mtrr_type_of_page(m, base + p * PAGE_SIZE), out);
    }
}

void ept_retype(u64 *pml4, u64 top, const struct mtrr_state *m, struct arena *reserve,
                struct ept_retype_result *out)
{
    *out = (struct ept_retype_result){ 0 };
    for (u64 g = 0; g < top / GIB; g++) {
        if (!present(pml4[g / 512]))
            continue;
        u64 *e = &next_table(pml4[g / 512])[g % 512];
        if (!present(*e) || ((*e & EPT_LARGE) && retype_large(e, g * GIB, GIB, m, reserve, out)))
            continue;
        retype_directory(next_table(*e), g * GIB, m, reserve, out);
    }
}
