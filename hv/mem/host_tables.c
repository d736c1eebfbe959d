/*
 * Root mode never runs on the firmware's tables: after ExitBootServices the
 * OS may reuse that memory. Each CPU gets its own GDT and TSS; the IDT and the
 * identity-mapped page tables are shared and read-only after launch.
 */
#include "host_tables.h"
#include "../arch/x86.h"
#include "identity_map.h"

/* Entry points of the exception stubs in host_isr.asm, one per vector 0-31. */
extern const u64 host_isr_table[32];

#define GDT_CODE64 0x00AF9A000000FFFFull /* present, DPL0, execute/read, L=1 */
#define GDT_DATA 0x00CF92000000FFFFull   /* present, DPL0, read/write, 4 GiB */

void host_tables_build_cpu(struct vcpu *v)
{
    u64 tss = (u64)(uintptr_t)&v->tss;
    u64 limit = sizeof(struct host_tss) - 1;

    v->host_gdt[0] = 0;
    v->host_gdt[1] = GDT_CODE64;
    v->host_gdt[2] = GDT_DATA;
    /* 64-bit available TSS (type 9), 16-byte descriptor. */
    v->host_gdt[3] = (limit & 0xFFFF) | ((tss & 0xFFFFFF) << 16) | (0x89ull << 40) |
                     (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
    v->host_gdt[4] = tss >> 32;
    v->tss.iomap_base = sizeof(struct host_tss);
    v->tss.ist[IST_NMI - 1] = (u64)(uintptr_t)(v->ist_stacks + 1 * HOST_IST_SIZE);
    v->tss.ist[IST_DF - 1] = (u64)(uintptr_t)(v->ist_stacks + 2 * HOST_IST_SIZE);
    v->tss.ist[IST_MC - 1] = (u64)(uintptr_t)(v->ist_stacks + 3 * HOST_IST_SIZE);
}

static void set_gate(u64 *idt, u32 vector, u64 handler, u32 ist)
{
    /* 64-bit interrupt gate, DPL0, present: IF is cleared on entry. */
    idt[vector * 2] = (handler & 0xFFFF) | ((u64)HOST_CS_SEL << 16) | ((u64)ist << 32) | (0x8Eull << 40) |
                      (((handler >> 16) & 0xFFFF) << 48);
    idt[vector * 2 + 1] = handler >> 32;
}

static const char *build_idt(struct hv_state *h, struct arena *a)
{
    u64 *idt = arena_alloc_pages(a, 1);
    if (!idt)
        return "out of memory for the host IDT";
    for (u32 vec = 0; vec < 32; vec++) {
        u32 ist = vec == VEC_NMI ? IST_NMI : vec == VEC_DF ? IST_DF : vec == VEC_MC ? IST_MC : 0;
        set_gate(idt, vec, host_isr_table[vec], ist);
    }
    /* Vectors 32-255 stay not-present: with IF=0 in root mode only a stray
     * INT n could reach them, and that #GPs into a reported exception. */
    h->host_idt = idt;
    return NULL;
}

u32 cpu_phys_address_bits(void)
{
    struct cpuid_regs max, r = { 0 };
    cpuid_ex(0x80000000u, 0, &max);
    if (max.eax >= 0x80000008u)
        cpuid_ex(0x80000008u, 0, &r);
    return identity_map_phys_bits(max.eax, r.eax);
}

bool cpu_has_gig_pages(void)
{
    struct cpuid_regs r;
    cpuid_ex(0x80000001u, 0, &r);
    return (r.edx & CPUID80000001_EDX_PAGE1GB) != 0;
}

#define PTE_PRESENT_WRITABLE 0x3ull
#define PTE_LARGE (1ull << 7)
#define PTE_UNCACHED (3ull << 3) /* PWT | PCD: PAT entry 3, UC in the power-up PAT */

/* Identity map of all the CPU can address (hv/mem/identity_map.h: up to 256
 * TiB with 1-GiB pages, 512 GiB with 2-MiB pages), so that guest page
 * tables and memory root mode reads are mapped wherever RAM is. The page
 * attributes say write-back and the MTRRs decide (SDM Vol. 3A 12.12.3,
 * MTRR UC wins over PAT WB), but a large page must not span two MTRR types
 * (12.11.9: undefined behaviour), so, as in the EPT, a GiB or 2 MiB whose
 * types are not uniform is split, down to 4-KiB pages. The local APIC's
 * page, the only MMIO root mode writes (IPIs, hv/guest/ipi.c), gets a 4-KiB page
 * of its own, uncached whatever the MTRRs say. */
static const char *build_page_tables(struct hv_state *h, struct arena *a, const struct mtrr_state *mtrr)
{
    bool gig = cpu_has_gig_pages();
    u64 top = identity_map_top(h->phys_bits, gig);
    u64 apic = h->apic_page;
    u64 *pml4 = arena_alloc_pages(a, 1), *pdpt = NULL;
    if (!pml4)
        return "out of memory for the host page tables";
    for (u64 g = 0; g < top >> 30; g++) {
        if (g % 512 == 0) { /* a new PML4 entry every 512 GiB */
            if (!(pdpt = arena_alloc_pages(a, 1)))
                return "out of memory for the host page tables";
            pml4[g / 512] = (u64)(uintptr_t)pdpt | PTE_PRESENT_WRITABLE;
        }
        u64 gbase = g << 30;
        u8 type;
        if (gig && !identity_map_page_holds(gbase, 1ull << 30, apic) && mtrr_range_uniform(mtrr, gbase, 1ull << 30, &type)) {
            pdpt[g % 512] = gbase | PTE_PRESENT_WRITABLE | PTE_LARGE;
            continue;
        }
        u64 *pd = arena_alloc_pages(a, 1);
        if (!pd)
            return "out of memory for the host page tables";
        pdpt[g % 512] = (u64)(uintptr_t)pd | PTE_PRESENT_WRITABLE;
        for (u64 m = 0; m < 512; m++) {
            u64 base = gbase | (m << 21);
            if (!identity_map_page_holds(base, 1ull << 21, apic) && mtrr_range_uniform(mtrr, base, 1ull << 21, &type)) {
                pd[m] = base | PTE_PRESENT_WRITABLE | PTE_LARGE;
                continue;
            }
            u64 *pt = arena_alloc_pages(a, 1);
            if (!pt)
                return "out of memory for the host page tables";
            for (u64 p = 0; p < 512; p++) {
                u64 pa = base | (p << 12);
                pt[p] = pa | PTE_PRESENT_WRITABLE | (pa == apic ? PTE_UNCACHED : 0);
            }
            pd[m] = (u64)(uintptr_t)pt | PTE_PRESENT_WRITABLE;
        }
    }
    h->host_cr3 = (u64)(uintptr_t)pml4;
    h->host_map_top = top;
    return NULL;
}

const char *host_tables_build_shared(struct hv_state *h, struct arena *a, const struct mtrr_state *mtrr)
{
    const char *why = build_idt(h, a);
    return why ? why : build_page_tables(h, a, mtrr);
}
