#include "identity_map.h"

u32 identity_map_phys_bits(u32 max_extended_leaf, u32 leaf_80000008_eax)
{
    if (max_extended_leaf < 0x80000008u)
        return 36;
    u32 bits = leaf_80000008_eax & 0xFF;
    return bits >= 32 && bits <= 52 ? bits : 36;
}

u64 identity_map_top(u32 phys_bits, bool gig_pages)
{
    if (phys_bits > IDENTITY_MAP_MAX_BITS)
        phys_bits = IDENTITY_MAP_MAX_BITS;
    u64 top = 1ull << phys_bits;
    if (!gig_pages && top > IDENTITY_MAP_SMALL_TOP)
        top = IDENTITY_MAP_SMALL_TOP;
    return top;
}

u32 identity_map_pml4_entries(u64 top)
{
    return (u32)((top + IDENTITY_MAP_PML4_SPAN - 1) / IDENTITY_MAP_PML4_SPAN);
}

u64 identity_map_pages_needed(u32 phys_bits, u64 directories, u64 tables)
{
    return 1 + identity_map_pml4_entries(identity_map_top(phys_bits, true)) + directories + tables;
}
