/*
 * How far the identity maps reach: the host page tables (hv/mem/host_tables.c)
 * and EPT (hv/mem/ept.c) both map guest-physical = host-physical addresses
 * from 0 to a top set by the CPU's MAXPHYADDR, so that RAM and 64-bit BARs
 * anywhere the CPU can address are reachable in root mode and from the
 * guest. Pure arithmetic, unit-tested on the host (hv/tests).
 *
 * Both maps are 4-level: one PML4 entry spans 512 GiB, so they reach at
 * most 256 TiB (48 bits; a CPU with MAXPHYADDR 52 needs 5-level paging,
 * which exitvisor does not build). With 1-GiB pages a PDPT page maps 512
 * GiB; without them every GiB takes a page directory, so the reach stays
 * at 512 GiB, as one directory per GiB of a 64-TiB space would take 256 MiB.
 */
#ifndef EXITVISOR_IDENTITY_MAP_H
#define EXITVISOR_IDENTITY_MAP_H
#include "../types.h"

#define IDENTITY_MAP_MAX_BITS 48 /* 4-level paging */
#define IDENTITY_MAP_SMALL_TOP (512ull << 30) /* without 1-GiB pages */
#define IDENTITY_MAP_PML4_SPAN (512ull << 30) /* one PML4 entry, one PDPT page */

/* Does the page [base, base + size) hold addr? (The local APIC's page gets
 * a 4-KiB page of its own in both maps.) */
static inline bool identity_map_page_holds(u64 base, u64 size, u64 addr)
{
    return addr >= base && addr - base < size;
}

/* MAXPHYADDR from CPUID.80000008H:EAX[7:0], given the highest extended
 * leaf: 36 where the leaf is missing (SDM Vol. 3A 4.1.4), and a value
 * outside 32..52 is not believed (taken as 36). */
u32 identity_map_phys_bits(u32 max_extended_leaf, u32 leaf_80000008_eax);
/* The first byte past the map: 2^phys_bits, capped at 256 TiB, and at
 * 512 GiB without 1-GiB pages. */
u64 identity_map_top(u32 phys_bits, bool gig_pages);
/* PML4 entries (each with its PDPT page) that reach top. */
u32 identity_map_pml4_entries(u64 top);
/* Pages the tables can take at most, for the arena sized before launch:
 * PML4 + PDPTs for the largest reach the CPU allows, and, on top,
 * `directories` page directories (one per GiB without 1-GiB pages, or per
 * GiB whose memory types are split) and `tables` 4-KiB page tables. */
u64 identity_map_pages_needed(u32 phys_bits, u64 directories, u64 tables);
#endif
