/* The MTRR snapshot (hv/mem/mtrr.h) both identity maps take their memory
 * types from: the EPT (hv/mem/ept.c) and the host page tables (hv/mem/host_tables.c). */
#include "mtrr_read.h"
#include "../arch/msr.h"
#include "../arch/x86.h"

void mtrr_read_state(struct mtrr_state *s, u32 phys_bits)
{
    u64 cap = rdmsr(MSR_IA32_MTRRCAP);
    u64 def = rdmsr(MSR_IA32_MTRR_DEF_TYPE);

    s->address_mask = (1ull << phys_bits) - 1;
    s->enabled = (def >> 11) & 1;
    s->fixed_enabled = ((def >> 10) & 1) && ((cap >> 8) & 1);
    s->default_type = (u8)(def & 0xFF);
    s->variable_count = (u32)(cap & 0xFF);
    if (s->variable_count > MTRR_MAX_VARIABLE)
        s->variable_count = MTRR_MAX_VARIABLE;
    for (u32 i = 0; i < s->variable_count; i++) {
        s->variable[i].base = rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * i);
        s->variable[i].mask = rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * i + 1);
    }
    if (s->fixed_enabled) {
        /* 64K, 16K x 2, then the eight 4K MSRs in a row. */
        static const u32 fixed_msrs[3] = { MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000,
                                           MSR_IA32_MTRR_FIX16K_A0000 };
        for (u32 m = 0; m < 11; m++) {
            u64 v = rdmsr(m < 3 ? fixed_msrs[m] : MSR_IA32_MTRR_FIX4K_C0000 + (m - 3));
            for (u32 b = 0; b < 8; b++)
                s->fixed[m * 8 + b] = (u8)(v >> (8 * b));
        }
    }
}
