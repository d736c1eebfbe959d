#include "guest_mem.h"
#include "page_walk.h"
#include "../vmx/vmcs.h"
#include "../vcpu.h"

#define PAGE_OFFSET_MASK 0xFFFull

/* Root mode reaches guest memory through its identity map
 * (hv/mem/host_tables.c): past its top a read would fault in root mode, so
 * such an entry reads as not present and the walk fails instead. */
static u64 read_pte(u64 pa)
{
    if (pa >= hv->host_map_top)
        return 0;
    return *(const volatile u64 *)(uintptr_t)pa;
}

static struct guest_paging guest_paging_now(void)
{
    return (struct guest_paging){ vmcs_read(VMCS_GUEST_CR0), vmcs_read(VMCS_GUEST_CR3), vmcs_read(VMCS_GUEST_CR4),
                                  vmcs_read(VMCS_GUEST_EFER) };
}

bool guest_linear_run(u64 linear, u64 n, u64 *pa)
{
    struct guest_paging p = guest_paging_now();
    return page_walk_run(&p, linear, n, pa, read_pte) && *pa < hv->host_map_top && hv->host_map_top - *pa >= n;
}

bool guest_read_linear(u64 linear, u8 *buf, size_t n)
{
    /* The paging registers are read once and each page is translated once:
     * this is on the path of every emulated APIC store. */
    struct guest_paging p = guest_paging_now();
    size_t done = 0;

    while (done < n) {
        u64 pa;
        if (!page_walk(&p, linear + done, &pa, read_pte))
            return false;
        size_t chunk = PAGE_SIZE - ((linear + done) & PAGE_OFFSET_MASK);
        if (chunk > n - done)
            chunk = n - done;
        if (pa >= hv->host_map_top)
            return false;
        for (size_t i = 0; i < chunk; i++)
            buf[done + i] = ((const volatile u8 *)(uintptr_t)pa)[i];
        done += chunk;
    }
    return true;
}
