/* Diagnostics: what the console shows when something goes wrong. */
#ifndef EXITVISOR_DIAG_H
#define EXITVISOR_DIAG_H
#include "../vcpu.h"
/* Guest, host and control state of the current VMCS, then stop this CPU. */
void __attribute__((noreturn)) vcpu_stop(struct vcpu *v, const char *why);
void vcpu_dump_state(struct vcpu *v);
/* One line naming the exit: reason, name, qualification, guest RIP, vCPU. */
void log_exit(struct vcpu *v, const char *what);
/* Called by vmexit_entry when VMRESUME itself fails. */
void __attribute__((noreturn)) vmresume_failed(struct vcpu *v, u64 fail_invalid);
#endif
