/* The guest's NMI window: NMI-window exiting (with NMI exiting and virtual
 * NMIs under it) on while a latched NMI waits for the guest to unblock
 * NMIs (hv/guest/guest_events.c). Apart from the events themselves so that
 * INIT (hv/guest/init_state.c) can drop a waiting NMI without reaching back
 * into the code that delivers INIT. */
#ifndef EXITVISOR_NMI_WINDOW_H
#define EXITVISOR_NMI_WINDOW_H
#include "../vcpu.h"
/* NMI-window exiting on or off for this vCPU's VMCS. */
void set_nmi_window(struct vcpu *v, bool on);
/* The guest unblocked NMIs (NMI-window exit): close the window. */
void guest_nmi_window_closed(struct vcpu *v);
/* INIT: a pending NMI is dropped, the window closed. */
void guest_nmi_discard(struct vcpu *v);
#endif
