/*
 * VM-entry failures (exit reason bit 31 set). The guest never ran: show the
 * reason, the qualification (SDM 27.8: 0 = none, 2 = PDPTE load, 3 = NMI
 * injection, 4 = VMCS link pointer; for MSR loading the failing entry) and
 * the whole state, then stop this CPU.
 */
#include "handlers.h"
#include "../platform/diag.h"

#define ENTRY_FAILURE(name, why)                                               \
    void handle_##name(struct vcpu *v)                                         \
    {                                                                          \
        log_exit(v, "VM-entry failure");                                       \
        vcpu_stop(v, why);                                                     \
    }

ENTRY_FAILURE(entry_fail_guest_state, "VM entry failed: invalid guest state")
ENTRY_FAILURE(entry_fail_msr_loading, "VM entry failed: MSR loading")
ENTRY_FAILURE(entry_fail_machine_check, "VM entry failed: machine-check event")
