/*
 * With init_sipi=intercept, INIT and SIPI between vCPUs are caught at the
 * sender's ICR write: the xAPIC page is write-protected in EPT (hv/mem/ept.c,
 * hv/exits/ept_violation.c). An OS may move its xAPIC (IA32_APIC_BASE
 * bits MAXPHYADDR-1:12; each CPU its own), so in that mode writes to the
 * MSR exit too (exitvisor's own exits), and the write protection follows
 * the page: the new page becomes read-only in EPT (a large page split for
 * it, hv/mem/ept_edit.c), the old one writable again once no vCPU has its
 * xAPIC there. Without init_sipi=intercept nothing is protected and
 * nothing is watched; NMI kicks (hv/guest/ipi.c) read IA32_APIC_BASE each time.
 */
#include "guest_apic_base.h"
#include "../mem/ept_edit.h"
#include "../mem/ept_live.h"
#include "../platform/log.h"
#include "../arch/ept.h"
#include "../arch/msr.h"

void guest_apic_base_written(struct vcpu *v)
{
    u64 page = xapic_page(rdmsr(MSR_IA32_APIC_BASE));
    u64 old = v->apic_page;
    if (page == old)
        return; /* enabled, disabled, x2APIC mode: the page stays where it is */

    ept_edit_begin();
    u64 reserve_before = arena_pages_left(&hv->ept_reserve);
    bool protected = ept_set_page_access(ept_root(), hv->ept_top, page, EPT_READ, &hv->ept_reserve);
    v->apic_page = page;
    bool released =
        !apic_page_is_watched(old) && ept_set_page_access(ept_root(), hv->ept_top, old, EPT_RWX, &hv->ept_reserve);
    u64 reserve_left = arena_pages_left(&hv->ept_reserve);
    ept_edit_end();
    ept_flush_this_cpu_after(v, "moving the xAPIC");
    hv_log("cpu %u the guest moved its xAPIC from 0x%llx to 0x%llx: %s (%llu large pages split, %llu of %u reserve "
           "pages left)%s",
           v->index, (unsigned long long)old, (unsigned long long)page,
           protected ? "EPT write-protects the new page"
                     : "the new page cannot be write-protected (not mapped, or the EPT split reserve is used up): "
                       "INIT/SIPI sent through it reach the CPUs unseen",
           (unsigned long long)(reserve_before - reserve_left), (unsigned long long)reserve_left, EPT_RESERVE_PAGES,
           released ? ", the old one is writable again" : "");
}
