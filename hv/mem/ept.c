/*
 * EPT identity map (SDM Vol. 3C 29.3) of guest-physical space up to
 * MAXPHYADDR (hv/mem/identity_map.h: 256 TiB at most, 512 GiB without 1-GiB
 * EPT pages), read/write/execute. EPT replaces the MTRRs for
 * guest accesses, so each page carries the memory type the MTRRs give it:
 * a 1-GiB or 2-MiB page where the MTRRs are uniform over it, else 4-KiB pages. The
 * guest's PAT still applies on top (ignore-PAT = 0), as on bare metal.
 * With init_sipi=intercept one page is read-only: the local APIC's, so
 * vCPU-to-vCPU INIT/SIPI can be caught at the sender (hv/guest/ipi.c). The
 * hypervisor's own memory (its image copy and every page it allocated:
 * VMCS, stacks, tables, EPT, counters) is not present at all, so no guest
 * can read or change it.
 */
#include "ept.h"
#include "ept_edit.h"
#include "../arch/vmcs_fields.h"
#include "identity_map.h"
#include "hv_memory.h"
#include "../arch/ept.h"

const char *ept_build_identity_map(struct hv_state *h, struct arena *a, const struct mtrr_state *mtrr)
{
    u64 top = identity_map_top(h->phys_bits, h->has_ept_1g);
    u64 *pml4 = arena_alloc_pages(a, 1);
    if (!pml4)
        return "out of memory for EPT";
    u64 *pdpt = NULL;
    for (u64 g = 0; g < top >> 30; g++) {
        if (g % 512 == 0) { /* a new PML4 entry every 512 GiB */
            if (!(pdpt = arena_alloc_pages(a, 1)))
                return "out of memory for EPT";
            pml4[g / 512] = (u64)(uintptr_t)pdpt | EPT_RWX;
        }
        u64 gbase = g << 30;
        u8 gtype;
        bool gholds_apic = identity_map_page_holds(gbase, 1ull << 30, h->apic_page);
        if (h->has_ept_1g && !gholds_apic && hv_memory_overlap(h, gbase, 1ull << 30) == HV_MEMORY_OUTSIDE &&
            mtrr_range_uniform(mtrr, gbase, 1ull << 30, &gtype)) {
            /* A whole GiB of one memory type: one 1-GiB page. Nearly all
             * of the space is like this, which keeps building the map cheap. */
            pdpt[g % 512] = gbase | EPT_RWX | EPT_LARGE | ((u64)gtype << EPT_MEMTYPE_SHIFT);
            continue;
        }
        u64 *pd = arena_alloc_pages(a, 1);
        if (!pd)
            return "out of memory for EPT";
        pdpt[g % 512] = (u64)(uintptr_t)pd | EPT_RWX;
        for (u64 m = 0; m < 512; m++) {
            u64 base = gbase | (m << 21);
            u8 type;
            bool holds_apic = identity_map_page_holds(base, 1ull << 21, h->apic_page);
            enum hv_memory_overlap hidden = hv_memory_overlap(h, base, 1ull << 21);
            if (hidden == HV_MEMORY_INSIDE) {
                pd[m] = 0; /* the hypervisor's own memory: not present for any guest */
                continue;
            }
            if (!holds_apic && hidden == HV_MEMORY_OUTSIDE && mtrr_range_uniform(mtrr, base, 1ull << 21, &type)) {
                pd[m] = base | EPT_RWX | EPT_LARGE | ((u64)type << EPT_MEMTYPE_SHIFT);
                continue;
            }
            u64 *pt = arena_alloc_pages(a, 1);
            if (!pt)
                return "out of memory for EPT";
            for (u64 p = 0; p < 512; p++) {
                u64 pa = base | (p << 12);
                /* With init_sipi=intercept the local APIC page is read-only
                 * so that ICR writes exit (hv/guest/ipi.c); its memory type stays
                 * what the MTRRs say (UC). */
                u64 access = (pa == h->apic_page && h->opt.intercept_init_sipi) ? EPT_READ : EPT_RWX;
                if (hv_memory_overlap(h, pa, PAGE_SIZE) != HV_MEMORY_OUTSIDE) {
                    pt[p] = 0; /* the hypervisor's own page */
                    continue;
                }
                pt[p] = pa | access | ((u64)mtrr_type_of_page(mtrr, pa) << EPT_MEMTYPE_SHIFT);
            }
            pd[m] = (u64)(uintptr_t)pt | EPT_RWX;
        }
    }
    /* Pages for splitting large pages when the map changes later
     * (hv/mem/ept_edit.h): the guest's MTRR writes, a moved xAPIC page. */
    u8 *reserve = arena_alloc_pages(a, EPT_RESERVE_PAGES);
    if (!reserve)
        return "out of memory for EPT";
    h->ept_reserve = (struct arena){ reserve, reserve + EPT_RESERVE_PAGES * PAGE_SIZE };
    h->ept_mtrr = *mtrr;
    /* EPTP: write-back paging structures, 4-level walk (SDM 25.6.11). */
    h->ept_pointer = (u64)(uintptr_t)pml4 | (3ull << 3) | MEMTYPE_WB;
    h->ept_top = top;
    return NULL;
}
