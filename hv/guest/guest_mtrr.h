/* The guest's MTRR writes, followed by the EPT (hv/guest/guest_mtrr.c). */
#ifndef EXITVISOR_GUEST_MTRR_H
#define EXITVISOR_GUEST_MTRR_H
#include "../vcpu.h"
/* After the guest's WRMSR to an MTRR was done on this CPU: make the EPT's
 * memory types what this CPU's MTRRs now say, and flush this CPU's EPT
 * translations. */
void guest_mtrr_written(struct vcpu *v, u32 msr);
#endif
