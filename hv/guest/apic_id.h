/*
 * A CPU's local APIC ID as its x2APIC ID (SDM Vol. 3A 11.12.8 and
 * CPUID.0BH:EDX), not the 8-bit initial APIC ID of CPUID.01H:EBX[31:24]:
 * on machines with more than 255 processors, or sparse IDs above 255, the
 * 8-bit ID wraps, and an x2APIC ICR's 32-bit destination would then name
 * the wrong vCPU or none (hv/guest/ipi.c). Pure, unit-tested on the host.
 */
#ifndef EXITVISOR_APIC_ID_H
#define EXITVISOR_APIC_ID_H
#include "../types.h"

/* leaf_b_*: CPUID.(EAX=0BH, ECX=0), read only when max_basic_leaf >= 0xB.
 * The leaf counts when its EBX[15:0] (logical processors at that level)
 * is nonzero; else the 8-bit ID stands. */
u32 apic_id_from_cpuid(u32 max_basic_leaf, u32 leaf1_ebx, u32 leaf_b_ebx, u32 leaf_b_edx);
#endif
