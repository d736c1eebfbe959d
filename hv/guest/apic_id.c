#include "apic_id.h"

u32 apic_id_from_cpuid(u32 max_basic_leaf, u32 leaf1_ebx, u32 leaf_b_ebx, u32 leaf_b_edx)
{
    if (max_basic_leaf >= 0xB && (leaf_b_ebx & 0xFFFF) != 0)
        return leaf_b_edx;
    return leaf1_ebx >> 24;
}
