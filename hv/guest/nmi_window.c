/* The guest's NMI window (hv/guest/nmi_window.h). */
#include "nmi_window.h"
#include "../vmx/vmcs.h"

void set_nmi_window(struct vcpu *v, bool on)
{
    u32 proc = (u32)vmcs_read(VMCS_PROC_CONTROLS);
    vmcs_write(VMCS_PROC_CONTROLS, on ? proc | PROC_NMI_WINDOW_EXITING : proc & ~(u32)PROC_NMI_WINDOW_EXITING);
    vmcs_write(VMCS_PIN_CONTROLS, on ? hv->pin_ctls | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS : hv->pin_ctls);
    v->nmi_window_requested = on;
}

void guest_nmi_window_closed(struct vcpu *v)
{
    if (v->nmi_window_requested)
        set_nmi_window(v, false);
}

void guest_nmi_discard(struct vcpu *v)
{
    v->guest_nmi_pending = false;
    guest_nmi_window_closed(v);
}
