/* The host (root-mode) environment: GDT + TSS per CPU, one IDT, identity page tables. */
#ifndef EXITVISOR_HOST_TABLES_H
#define EXITVISOR_HOST_TABLES_H
#include "../vcpu.h"
#include "arena.h"
#include "mtrr.h"
/* Shared IDT and page tables; returns NULL or why not. */
/* MAXPHYADDR (hv/mem/identity_map.h), and whether the CPU has 1-GiB pages. */
u32 cpu_phys_address_bits(void);
bool cpu_has_gig_pages(void);
const char *host_tables_build_shared(struct hv_state *h, struct arena *a, const struct mtrr_state *mtrr);
/* This CPU's GDT and TSS (IST stacks for NMI, #DF, #MC). */
void host_tables_build_cpu(struct vcpu *v);
#endif
