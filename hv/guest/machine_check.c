#include "machine_check.h"
#include "../arch/x86_defs.h"

enum mc_root_action mc_root_decide(bool on_vcpu, u64 mcg_status, u64 guest_cr4)
{
    if (!on_vcpu)
        return MC_STOP_NO_VCPU;
    /* RIPV = 0: the saved RIP is not a restart point (SDM Vol. 3B 16.3.1.2);
     * the exit being handled is lost, and with it the guest's state. */
    if (!(mcg_status & MCG_STATUS_RIPV))
        return MC_STOP_NO_RIPV;
    /* A #MC with CR4.MCE = 0 puts a processor into shutdown (Vol. 3A
     * 6.15, interrupt 18): the guest could not have taken it either. */
    if (!(guest_cr4 & CR4_MCE))
        return MC_STOP_GUEST_MCE_OFF;
    return MC_REFLECT;
}

const char *mc_root_action_text(enum mc_root_action a)
{
    switch (a) {
    case MC_REFLECT:
        return "handed to the guest as #MC at the next VM entry";
    case MC_STOP_NO_RIPV:
        return "MCG_STATUS.RIPV is 0: the interrupted root-mode code cannot restart";
    case MC_STOP_GUEST_MCE_OFF:
        return "the guest has CR4.MCE clear: on bare metal this CPU would shut down";
    case MC_STOP_NO_VCPU:
        return "not on a vCPU: there is no guest to hand it to";
    }
    return "?";
}
