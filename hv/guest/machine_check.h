/*
 * A machine check taken in VMX root mode belongs to the guest: on bare
 * metal it would have interrupted the OS, whose handler reads the banks
 * (the MCA MSRs pass through) and decides. Root mode only decides whether
 * it can hand it on. Pure logic, host-tested (hv/tests/test_machine_check.c);
 * hv/platform/host_exception.c reads the values and acts.
 */
#ifndef EXITVISOR_MACHINE_CHECK_H
#define EXITVISOR_MACHINE_CHECK_H
#include "../types.h"

#define MCG_STATUS_RIPV (1ull << 0) /* the interrupted code can restart */
#define MCG_STATUS_EIPV (1ull << 1)
#define MCG_STATUS_MCIP (1ull << 2)

enum mc_root_action {
    MC_REFLECT,         /* resume root mode; inject #MC at the next VM entry */
    MC_STOP_NO_RIPV,    /* the root-mode code it interrupted cannot restart */
    MC_STOP_GUEST_MCE_OFF, /* the guest has CR4.MCE clear: bare metal would shut down */
    MC_STOP_NO_VCPU,    /* not on a vCPU (before launch): nobody to hand it to */
};

/* guest_cr4: the guest's CR4 as the CPU holds it (MCE is never masked). */
enum mc_root_action mc_root_decide(bool on_vcpu, u64 mcg_status, u64 guest_cr4);
/* One line for the log: what happened to it, or why the CPU stops. */
const char *mc_root_action_text(enum mc_root_action a);
#endif
