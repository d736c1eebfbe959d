#ifndef EXITVISOR_VMCS_SETUP_H
#define EXITVISOR_VMCS_SETUP_H
#include "../vcpu.h"
/* Write every VMCS field exitvisor sets at launch: controls, host state, and
 * guest state captured from this CPU as it runs now, resuming at guest_rip
 * with guest_rsp and guest_rflags. */
void vmcs_setup_for_launch(struct vcpu *v, u64 guest_rip, u64 guest_rsp, u64 guest_rflags);
/* The guest state a CPU has right after INIT (SDM Vol. 3A 10.1.1, Table 10-1).
 * `activity`: ACTIVITY_WAIT_FOR_SIPI to let the CPU wait for a real SIPI, or
 * ACTIVITY_ACTIVE when the SIPI was posted (hv/guest/ipi.c) and CS:IP follow now. */
void vmcs_set_guest_init_state(u32 activity);
/* Leave the wait: real mode at vector << 12, as a SIPI does. */
void vmcs_start_at_sipi_vector(u32 vector);
#endif
