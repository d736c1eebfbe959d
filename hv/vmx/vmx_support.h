/* Is VMX usable on this CPU, and with which capabilities? */
#ifndef EXITVISOR_VMX_SUPPORT_H
#define EXITVISOR_VMX_SUPPORT_H
#include "../vcpu.h"

/* Returns NULL when VMX can be used (after locking IA32_FEATURE_CONTROL if
 * the firmware left it unlocked), else one sentence saying why not. Runs on
 * every CPU: the MSR is per logical processor on some parts. */
const char *vmx_enable_on_this_cpu(void);

/* Fill the capability part of hv (revision, fixed bits, adjusted controls,
 * EPT/VPID/unrestricted guest/wait-for-SIPI). Returns NULL or why not. */
const char *vmx_read_capabilities(struct hv_state *h);

#endif
