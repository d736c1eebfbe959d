/* The hardware side of changing the EPT while guests run (hv/mem/ept_edit.h):
 * one editor at a time, and each CPU drops its cached translations. */
#ifndef EXITVISOR_EPT_LIVE_H
#define EXITVISOR_EPT_LIVE_H
#include "../vcpu.h"
#include "../arch/ept.h"
void ept_edit_begin(void);
void ept_edit_end(void);
/* INVEPT for this CPU with the type it supports (hv->invept_type). NULL,
 * or why not (no INVEPT, or it failed: the VM-instruction error is in the
 * VMCS of this CPU). */
const char *ept_flush_this_cpu(void);
/* The same, after an edit of the map (`after` names it for the line that
 * says a flush failed: the CPU may keep using stale translations). */
void ept_flush_this_cpu_after(const struct vcpu *v, const char *after);
/* The EPT's PML4 (the map every vCPU shares). */
static inline u64 *ept_root(void)
{
    return (u64 *)(uintptr_t)(hv->ept_pointer & EPT_ADDR_MASK);
}
#endif
