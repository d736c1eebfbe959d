/*
 * Changing the EPT identity map (hv/mem/ept.c) while guests run on it: the
 * guest's MTRR writes change memory types (hv/guest/guest_mtrr.c) and, with
 * init_sipi=intercept, a moved xAPIC base moves the write-protected page
 * (hv/guest/guest_apic_base.c). Pure walks over the tables (entries hold the physical
 * address of the next table, and root mode maps physical = linear), so the
 * host unit tests run them on tables of their own (hv/tests/test_ept_edit.c).
 *
 * Every change is one aligned 8-byte store: a table is filled before the
 * entry that points to it is written, so a CPU walking the map at the same
 * time sees the old entry or the new one, never half of either. Callers
 * serialize editors and flush (INVEPT) afterwards.
 */
#ifndef EXITVISOR_EPT_EDIT_H
#define EXITVISOR_EPT_EDIT_H
#include "../types.h"
#include "arena.h"
#include "mtrr.h"

/* Pages set aside at launch for splitting large pages later. */
#define EPT_RESERVE_PAGES 32

/* The entry that maps the 4-KiB page at pa alone, splitting the 1-GiB or
 * 2-MiB page that holds it (one reserve page each; the new entries keep the
 * large page's access rights and memory type). NULL when pa is at or above
 * top, the page is not mapped (the hypervisor's own memory), or the reserve
 * is used up. */
u64 *ept_page_entry(u64 *pml4, u64 top, u64 pa, struct arena *reserve);

struct ept_retype_result {
    u64 retyped;  /* leaves whose memory type changed */
    u32 split;    /* large pages split because their new types differ inside */
    u32 unsplit;  /* large pages that needed a split the reserve could not give:
                     they keep their old type */
};

/* Give every mapped page of [0, top) the memory type the MTRR snapshot m
 * gives it, keeping access rights; a large page whose range is no longer of
 * one type is split. */
void ept_retype(u64 *pml4, u64 top, const struct mtrr_state *m, struct arena *reserve,
                struct ept_retype_result *out);

/* The leaf entry that maps pa now (of whatever size), or 0 when none does. */
u64 ept_leaf_of(const u64 *pml4, u64 top, u64 pa);

/* Access rights (EPT_READ/WRITE/EXEC bits) of the 4-KiB page at pa; the
 * page gets a 4-KiB entry of its own first (ept_page_entry). False when it
 * cannot (see there). */
bool ept_set_page_access(u64 *pml4, u64 top, u64 pa, u64 access, struct arena *reserve);
#endif
