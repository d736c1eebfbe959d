/* The guest's own paging, walked without touching hardware, so that the
 * host unit tests cover it (hv/tests/test_page_walk.c). hv/mem/guest_mem.c
 * gives it the guest's control registers from the VMCS and a reader of
 * physical memory (EPT is an identity map). */
#ifndef EXITVISOR_PAGE_WALK_H
#define EXITVISOR_PAGE_WALK_H
#include "../types.h"

struct guest_paging {
    u64 cr0, cr3, cr4, efer;
};

/* Reads the 8-byte paging-structure entry at physical address pa. */
typedef u64 (*pte_reader)(u64 pa);

/* Linear -> physical for the guest's paging mode: none (CR0.PG = 0: the
 * low 32 bits), 4-level or 5-level (IA-32e, 4-KiB/2-MiB/1-GiB pages). False
 * for a not-present entry and for the 32-bit paging modes, which no guest
 * exitvisor runs needs. Access rights are not checked: the hypervisor only
 * reads what the guest itself is executing. */
bool page_walk(const struct guest_paging *p, u64 linear, u64 *pa, pte_reader read_pte);
/* Is [linear, linear + len) one physically contiguous run of present
 * pages? *pa gets the physical address of `linear` when it is. (A microcode
 * update is handed to the CPU by one address: hv/guest/guest_microcode.c.) */
bool page_walk_run(const struct guest_paging *p, u64 linear, u64 len, u64 *pa, pte_reader read_pte);
#endif
