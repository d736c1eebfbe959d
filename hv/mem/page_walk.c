#include "page_walk.h"
#include "../arch/x86.h"
#include "../arch/msr.h"

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

bool page_walk(const struct guest_paging *p, u64 linear, u64 *pa, pte_reader read_pte)
{
    if (!(p->cr0 & CR0_PG)) {
        *pa = linear & 0xFFFFFFFFull;
        return true;
    }
    if (!(p->efer & EFER_LMA))
        return false;
    u64 table = p->cr3 & PTE_ADDR;
    for (int level = (p->cr4 & CR4_LA57) ? 4 : 3; level >= 0; level--) {
        u64 e = read_pte(table + 8 * ((linear >> (12 + 9 * level)) & 511));
        if (!(e & PTE_P))
            return false;
        /* PS in a PDPTE (1 GiB) or PDE (2 MiB) ends the walk. */
        if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
            u64 page_mask = (1ull << (12 + 9 * level)) - 1;
            *pa = (e & PTE_ADDR & ~page_mask) | (linear & page_mask);
            return true;
        }
        table = e & PTE_ADDR;
    }
    return false;
}

bool page_walk_run(const struct guest_paging *p, u64 linear, u64 len, u64 *pa, pte_reader read_pte)
{
    u64 first, next;
    if (len == 0 || linear + len < linear || !page_walk(p, linear, &first, read_pte))
        return false;
    /* Each following page must start where the run has reached. */
    for (u64 page = (linear & ~0xFFFull) + 0x1000; page - linear < len; page += 0x1000)
        if (!page_walk(p, page, &next, read_pte) || next != first + (page - linear))
            return false;
    *pa = first;
    return true;
}
