/* What an INIT does to a CPU, performed on a vCPU's VMCS and registers:
 * shared by the INIT VM exit (hv/exits/init_sipi.c) and the virtual INIT of
 * init_sipi=intercept (hv/guest/ipi.c). */
#ifndef EXITVISOR_INIT_STATE_H
#define EXITVISOR_INIT_STATE_H
#include "../vcpu.h"

/* INIT state (SDM Vol. 3A 9.1.1): real mode at F000:FFF0, GPRs 0 except
 * RDX, TLB flushed, a pending NMI and any NMI window dropped; the guest then
 * waits in `activity` (wait-for-SIPI, or HLT for the virtual wait). */
void vcpu_enter_init_state(struct vcpu *v, u32 activity);
/* Leave the wait: real mode at vector << 12. */
void vcpu_start_at_sipi(struct vcpu *v, u32 vector);
#endif
