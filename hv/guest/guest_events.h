/* Events a vCPU must receive before its next VM entry: NMIs that arrived in
 * root mode or wait for the guest to unblock NMIs, and (init_sipi=intercept)
 * INIT/SIPI posted by other vCPUs. */
#ifndef EXITVISOR_GUEST_EVENTS_H
#define EXITVISOR_GUEST_EVENTS_H
#include "../vcpu.h"

/* An NMI reached this vCPU (an NMI exit, or taken in root mode): the
 * guest's, unless it was another vCPU's kick. */
void guest_nmi_arrived(struct vcpu *v);
/* Last step before every VM entry (hv/exit_dispatch.c, and hv/vmx/vmx_entry.asm
 * again when an NMI arrived after this ran). */
void guest_events_before_entry(struct vcpu *v);
#endif
