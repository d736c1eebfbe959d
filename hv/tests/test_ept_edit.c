/* hv/mem/ept_edit.c: changing the EPT identity map while guests run on it
 * (the guest's MTRR writes, a moved xAPIC page), on tables built here the
 * way hv/mem/ept.c builds them: entries hold the next table's address, and on
 * the host a page's pointer stands for its physical address. */
#include <string.h>
#include "check.h"
#include "hv/mem/ept_edit.h"
#include "hv/arch/ept.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define TOP (4 * GIB)
#define WB MEMTYPE_WB
#define UC MEMTYPE_UC
#define TYPE(e) ((u8)(((e) & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT))

/* Every page a test uses, tables and reserve, from one static pool
 * (build_map starts it again for each test). */
static u8 pool[32][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u32 pool_used;

static u64 *new_page(void)
{
    u8 *p = pool[pool_used++];
    memset(p, 0, PAGE_SIZE);
    return (u64 *)p;
}

static u64 *table_of(u64 e)
{
    return (u64 *)(uintptr_t)(e & EPT_ADDR_MASK);
}

static u64 leaf(u64 pa, u64 access, u8 type, bool large)
{
    return pa | access | ((u64)type << EPT_MEMTYPE_SHIFT) | (large ? EPT_LARGE : 0);
}

/* A map of 4 GiB: GiB 0, 2 and 3 are 1-GiB WB pages; GiB 1 has 2-MiB WB
 * pages but for its first 2 MiB, which has 4-KiB pages: page 0 is the
 * hypervisor's (not present), page 1 is read-only (the APIC page with
 * init_sipi=intercept), the rest WB. */
static u64 *build_map(void)
{
    pool_used = 0;
    u64 *pml4 = new_page(), *pdpt = new_page(), *pd = new_page(), *pt = new_page();
    pml4[0] = (u64)(uintptr_t)pdpt | EPT_RWX;
    for (u64 g = 0; g < 4; g++)
        pdpt[g] = leaf(g * GIB, EPT_RWX, WB, true);
    pdpt[1] = (u64)(uintptr_t)pd | EPT_RWX;
    for (u64 m = 1; m < 512; m++)
        pd[m] = leaf(GIB + m * 2 * MIB, EPT_RWX, WB, true);
    pd[0] = (u64)(uintptr_t)pt | EPT_RWX;
    for (u64 p = 2; p < 512; p++)
        pt[p] = leaf(GIB + p * PAGE_SIZE, EPT_RWX, WB, false);
    pt[1] = leaf(GIB + PAGE_SIZE, EPT_READ, UC, false);
    return pml4;
}

/* Translate pa through the map as the CPU would: the leaf, or 0. */
static u64 lookup(u64 *pml4, u64 pa, u64 *size)
{
    u64 e = table_of(pml4[(pa >> 39) & 511])[(pa >> 30) & 511];
    *size = GIB;
    if (!(e & EPT_RWX) || (e & EPT_LARGE))
        return e;
    e = table_of(e)[(pa >> 21) & 511];
    *size = 2 * MIB;
    if (!(e & EPT_RWX) || (e & EPT_LARGE))
        return e;
    *size = PAGE_SIZE;
    return table_of(e)[(pa >> 12) & 511];
}

static struct arena reserve_of(u32 pages)
{
    u8 *mem = pool[pool_used];
    pool_used += pages;
    return (struct arena){ mem, mem + pages * PAGE_SIZE };
}

static struct mtrr_state mtrrs(u8 default_type)
{
    struct mtrr_state m;
    memset(&m, 0, sizeof(m));
    m.enabled = true;
    m.default_type = default_type;
    m.address_mask = (1ull << 39) - 1;
    return m;
}

static void add_var(struct mtrr_state *m, u64 base, u64 size, u8 type)
{
    u32 i = m->variable_count++;
    m->variable[i].base = base | type;
    m->variable[i].mask = (~(size - 1) & m->address_mask) | (1ull << 11);
}

TEST(ept_page_entry_splits_large_pages_keeping_rights_and_type)
{
    u64 *pml4 = build_map(), size;
    struct arena r = reserve_of(4);
    /* Mark GiB 2 read-only UC, to see the split keep both. */
    table_of(pml4[0])[2] = leaf(2 * GIB, EPT_READ | EPT_EXEC, UC, true);
    u64 pa = 2 * GIB + 7 * 2 * MIB + 5 * PAGE_SIZE;
    u64 *e = ept_page_entry(pml4, TOP, pa, &r);
    CHECK(e != NULL, "a page inside a 1-GiB page gets an entry of its own");
    CHECK_EQ((u64)(r.end - r.next), 2 * PAGE_SIZE, "two reserve pages used (a directory and a table)");
    CHECK_EQ(*e, leaf(pa, EPT_READ | EPT_EXEC, UC, false), "the 4-KiB entry maps itself with the old rights/type");
    CHECK_EQ(lookup(pml4, pa, &size), *e, "the walk reaches it");
    CHECK_EQ(size, PAGE_SIZE, "as a 4-KiB page");
    /* Every other address of the old GiB still maps to itself, same rights/type. */
    int bad = 0;
    for (u64 off = 0; off < GIB; off += 3 * MIB + 4 * PAGE_SIZE) {
        u64 ent = lookup(pml4, 2 * GIB + off, &size);
        u64 page = (2 * GIB + off) & ~(size - 1);
        if ((ent & EPT_ADDR_MASK) != page || (ent & EPT_RWX) != (EPT_READ | EPT_EXEC) || TYPE(ent) != UC)
            bad++;
    }
    CHECK_EQ(bad, 0, "the split GiB still maps itself with the old rights and type");
    CHECK(lookup(pml4, 2 * GIB + 64 * MIB, &size) & EPT_LARGE, "its other 2-MiB pages stay large");
    CHECK_EQ(ept_page_entry(pml4, TOP, pa + PAGE_SIZE, &r) - e, 1, "a neighbour needs no new split");
    CHECK_EQ((u64)(r.end - r.next), 2 * PAGE_SIZE, "and takes no reserve page");
}

TEST(ept_page_entry_refuses_hidden_pages_the_top_and_an_empty_reserve)
{
    u64 *pml4 = build_map();
    struct arena r = reserve_of(1);
    CHECK(ept_page_entry(pml4, TOP, GIB, &r) == NULL, "the hypervisor's page (not present) has no entry to edit");
    CHECK(ept_page_entry(pml4, TOP, TOP, &r) == NULL, "the first byte past the map");
    CHECK(ept_page_entry(pml4, TOP, 3 * GIB, &r) == NULL, "a 1-GiB page needs two reserve pages; one is not enough");
    u64 size;
    CHECK(lookup(pml4, 3 * GIB + PAGE_SIZE, &size) != 0, "the half-done split still maps the GiB");
    CHECK(!ept_set_page_access(pml4, TOP, 0, EPT_READ, &r), "and a further split fails cleanly");
    CHECK_EQ(lookup(pml4, 0, &size), leaf(0, EPT_RWX, WB, true), "GiB 0 is untouched");
}

TEST(ept_set_page_access_moves_the_write_protected_page)
{
    u64 *pml4 = build_map(), size;
    struct arena r = reserve_of(2);
    CHECK(ept_set_page_access(pml4, TOP, GIB + PAGE_SIZE, EPT_RWX, &r), "the old APIC page becomes writable");
    CHECK_EQ(lookup(pml4, GIB + PAGE_SIZE, &size), leaf(GIB + PAGE_SIZE, EPT_RWX, UC, false), "keeping its type");
    u64 moved = GIB + 300 * MIB + PAGE_SIZE * 3;
    CHECK(ept_set_page_access(pml4, TOP, moved, EPT_READ, &r), "the new one is write-protected");
    CHECK_EQ(lookup(pml4, moved, &size), leaf(moved, EPT_READ, WB, false), "read-only, 4 KiB, type kept");
    CHECK_EQ(lookup(pml4, moved + PAGE_SIZE, &size), leaf(moved + PAGE_SIZE, EPT_RWX, WB, false),
             "its neighbour stays writable");
    CHECK_EQ((u64)(r.end - r.next), PAGE_SIZE, "one table for the split 2-MiB page");
}

TEST(ept_retype_follows_new_mtrrs)
{
    u64 *pml4 = build_map(), size;
    struct arena r = reserve_of(8);
    struct ept_retype_result res;
    struct mtrr_state m = mtrrs(WB);

    ept_retype(pml4, TOP, &m, &r, &res);
    CHECK(res.retyped == 1 && res.split == 0 && res.unsplit == 0,
          "the map's own types again: only the UC APIC page becomes WB (retyped %llu, split %u)",
          (unsigned long long)res.retyped, res.split);

    add_var(&m, 512 * MIB, 2 * MIB, UC);             /* inside GiB 0 */
    add_var(&m, 3 * GIB + 4 * PAGE_SIZE, PAGE_SIZE, MEMTYPE_WC); /* one page of GiB 3 */
    ept_retype(pml4, TOP, &m, &r, &res);
    CHECK_EQ(res.split, 3, "GiB 0, GiB 3 and the 2 MiB around the WC page are split");
    CHECK_EQ(res.unsplit, 0, "the reserve had room");
    CHECK_EQ(res.retyped, 2, "two leaves changed type");
    CHECK_EQ(TYPE(lookup(pml4, 512 * MIB + 4096, &size)), UC, "the UC range is UC");
    CHECK_EQ(size, 2 * MIB, "as one 2-MiB page");
    CHECK_EQ(TYPE(lookup(pml4, 514 * MIB, &size)), WB, "its neighbour WB");
    CHECK_EQ(TYPE(lookup(pml4, 3 * GIB + 4 * PAGE_SIZE, &size)), MEMTYPE_WC, "the WC page");
    CHECK_EQ(size, PAGE_SIZE, "as a 4-KiB page");
    CHECK_EQ(TYPE(lookup(pml4, 3 * GIB + 5 * PAGE_SIZE, &size)), WB, "next to it WB");
    CHECK_EQ(lookup(pml4, GIB, &size), 0, "the hidden page stays not present");
    CHECK_EQ(lookup(pml4, GIB + PAGE_SIZE, &size) & EPT_RWX, EPT_READ, "the read-only page keeps its rights");

    ept_retype(pml4, TOP, &m, &r, &res);
    CHECK(res.retyped == 0 && res.split == 0, "the same MTRRs again change nothing");

    m.enabled = false;
    ept_retype(pml4, TOP, &m, &r, &res);
    CHECK_EQ(res.split, 0, "MTRRs off: everything is UC, no split needed");
    int bad = 0;
    for (u64 pa = PAGE_SIZE; pa < TOP; pa += 5 * MIB + 3 * PAGE_SIZE)
        if (lookup(pml4, pa, &size) && TYPE(lookup(pml4, pa, &size)) != UC)
            bad++;
    CHECK_EQ(bad, 0, "every mapped page is UC");
}

TEST(ept_retype_without_reserve_keeps_old_types)
{
    u64 *pml4 = build_map(), size;
    struct arena r = reserve_of(0);
    struct ept_retype_result res;
    struct mtrr_state m = mtrrs(WB);
    add_var(&m, 2 * GIB + 8 * MIB, 2 * MIB, UC);
    ept_retype(pml4, TOP, &m, &r, &res);
    CHECK_EQ(res.unsplit, 1, "GiB 2 needed a split and got none");
    CHECK_EQ(lookup(pml4, 2 * GIB + 8 * MIB, &size), leaf(2 * GIB, EPT_RWX, WB, true), "it keeps its old type");
}
