/* The guest moving its xAPIC, with init_sipi=intercept (hv/guest/guest_apic_base.c). */
#ifndef EXITVISOR_GUEST_APIC_BASE_H
#define EXITVISOR_GUEST_APIC_BASE_H
#include "../vcpu.h"
/* After the guest's WRMSR to IA32_APIC_BASE was done on this CPU. */
void guest_apic_base_written(struct vcpu *v);
/* The xAPIC's page named by an IA32_APIC_BASE value (bits MAXPHYADDR-1:12). */
static inline u64 xapic_page(u64 apic_base)
{
    return apic_base & ((1ull << hv->phys_bits) - 1) & ~0xFFFull;
}
/* Is the 4-KiB page some vCPU's xAPIC page, write-protected in EPT?
 * Inline and call-free: the dispatcher asks before every EPT-violation
 * handler. */
static inline bool apic_page_is_watched(u64 page)
{
    for (u32 i = 0; i < hv->nr_vcpus; i++)
        if (hv->vcpus[i].apic_page == page)
            return true;
    return false;
}
#endif
