/*
 * NMIs reach the guest as they would reach the CPU, and a posted INIT/SIPI
 * takes effect, before every VM entry.
 *
 * With init_sipi=native NMI exiting is off: the guest's NMIs go straight to
 * it and never exit. With init_sipi=intercept NMI exiting carries the kicks
 * between vCPUs (hv/guest/ipi.c), and virtual NMIs make the CPU track the guest's
 * NMI blocking. Either way an NMI can reach a vCPU while it is in root mode
 * (during an exit), and the guest may be blocking NMIs then (inside its NMI
 * handler, or right after STI or MOV SS). Such an NMI is latched, as the CPU
 * latches one, and injected as soon as the guest can take it: at once, or
 * at the NMI-window exit that follows the guest's IRET (SDM Vol. 3C 26.7.6).
 * NMI-window exiting needs virtual NMIs, which need NMI exiting (26.2.1.1),
 * so with init_sipi=native the three are on only while an NMI waits.
 *
 * A machine check taken in root mode (hv/platform/host_exception.c) is injected the
 * same way, as soon as no other event is being injected.
 */
#include "guest_events.h"
#include "../vmx/vmcs.h"
#include "ipi.h"
#include "nmi_window.h"
#include "guest.h"
#include "../platform/log.h"

void guest_nmi_arrived(struct vcpu *v)
{
    if (!ipi_nmi_was_kick(v))
        v->guest_nmi_pending = true;
}

static void deliver_pending_nmi(struct vcpu *v)
{
    if (!v->guest_nmi_pending || v->waiting_for_sipi)
        return;
    /* No event can be injected into wait-for-SIPI (SDM 26.3.1.5); an NMI
     * that arrives there is held, and the INIT that led there dropped any
     * earlier one. */
    u64 activity = vmcs_read(VMCS_GUEST_ACTIVITY_STATE);
    if (activity == ACTIVITY_WAIT_FOR_SIPI || activity == ACTIVITY_SHUTDOWN)
        return;
    /* One event per entry; and VM entry refuses an NMI under STI or MOV-SS
     * blocking (26.3.1.5), besides NMI blocking itself. */
    bool other_event = (vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) != 0;
    u64 blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
                   (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI);
    if (other_event || blocking) {
        if (hv->has_nmi_window && !v->nmi_window_requested)
            set_nmi_window(v, true);
        return; /* without NMI-window exiting: at the next exit */
    }
    guest_nmi_window_closed(v);
    vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | VEC_NMI);
    v->guest_nmi_pending = false;
}

/* #MC may be injected into HLT as well as into an active guest (SDM
 * 26.3.1.5); one event per entry, so it waits behind a re-injected one. */
static void deliver_root_machine_check(struct vcpu *v)
{
    u64 activity = vmcs_read(VMCS_GUEST_ACTIVITY_STATE);
    if (v->waiting_for_sipi || activity == ACTIVITY_WAIT_FOR_SIPI || activity == ACTIVITY_SHUTDOWN ||
        (vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID))
        return;
    __atomic_and_fetch(&v->root_events, ~ROOT_EVENT_MC, __ATOMIC_ACQ_REL);
    guest_inject_exception(VEC_MC, false, 0);
    hv_log("cpu %u: machine check in VMX root mode (MCG_STATUS 0x%llx) handed to the guest as #MC", v->index,
           (unsigned long long)v->mc_status);
}

void guest_events_before_entry(struct vcpu *v)
{
    u32 root = v->root_events;
    if (root & ROOT_EVENT_MC)
        deliver_root_machine_check(v);
    /* A plain load first: the atomic clear (a locked bus cycle on hardware)
     * is needed only in the rare exit during which an NMI arrived. */
    if ((root & ROOT_EVENT_NMI) &&
        (__atomic_fetch_and(&v->root_events, ~ROOT_EVENT_NMI, __ATOMIC_ACQ_REL) & ROOT_EVENT_NMI))
        guest_nmi_arrived(v);
    if (hv->opt.intercept_init_sipi)
        ipi_process_mailbox(v);
    deliver_pending_nmi(v);
}
