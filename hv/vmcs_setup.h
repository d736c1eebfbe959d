#ifndef EXITVISOR_VMCS_SETUP_H
#define EXITVISOR_VMCS_SETUP_H
#include "vcpu.h"
/* Write every VMCS field exitvisor sets at launch: controls, host state, and
 * guest state captured from this CPU as it runs now. */
void vmcs_setup_for_launch(struct vcpu *v);
/* The guest state a CPU has right after INIT (SDM Vol. 3A 10.1.1, Table 10-1),
 * waiting for a SIPI. Used when the guest sends INIT to a vCPU. */
void vmcs_set_guest_init_state(struct vcpu *v);
#endif
