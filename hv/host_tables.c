/*
 * Root mode never runs on the firmware's tables: after ExitBootServices the
 * OS may reuse that memory. Each CPU gets its own GDT and TSS; the IDT and the
 * identity-mapped page tables are shared and read-only after launch.
 */
#include "host_tables.h"
#include "arch/x86.h"
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

/* Identity map of all the CPU can address (hv/identity_map.h: up to 256
 * TiB with 1-GiB pages, 512 GiB with 2-MiB pages), so that guest page
 * tables and memory root mode reads are mapped wherever RAM is.
 * Write-back everywhere; the MTRRs still make MMIO uncacheable in root
 * mode, and root mode touches no MMIO but the local APIC's page. */
static const char *build_page_tables(struct hv_state *h, struct arena *a)
{
    bool gig = cpu_has_gig_pages();
    u64 top = identity_map_top(cpu_phys_address_bits(), gig);
    u64 *pml4 = arena_alloc_pages(a, 1);
    if (!pml4)
        return "out of memory for the host page tables";
    for (u32 e = 0; e < identity_map_pml4_entries(top); e++) {
        u64 *pdpt = arena_alloc_pages(a, 1);
        if (!pdpt)
            return "out of memory for the host page tables";
        pml4[e] = (u64)(uintptr_t)pdpt | 0x3; /* present, writable */
        for (u64 i = 0; i < 512; i++) {
            u64 gbase = ((u64)e << 39) | (i << 30);
            if (gbase >= top)
                break;
            if (gig) {
                pdpt[i] = gbase | 0x83; /* present, writable, 1-GiB page */
                continue;
            }
            u64 *pd = arena_alloc_pages(a, 1);
            if (!pd)
                return "out of memory for the host page tables";
            for (u64 j = 0; j < 512; j++)
                pd[j] = gbase | (j << 21) | 0x83; /* 2-MiB page */
            pdpt[i] = (u64)(uintptr_t)pd | 0x3;
        }
    }
    h->host_cr3 = (u64)(uintptr_t)pml4;
    h->host_map_top = top;
    return NULL;
}

const char *host_tables_build_shared(struct hv_state *h, struct arena *a)
{
    const char *why = build_idt(h, a);
    return why ? why : build_page_tables(h, a);
}
