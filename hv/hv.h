/*
 * What the boot code asks of the hypervisor core. The core never calls UEFI:
 * the boot code gives it memory and runs hv_virtualize_this_cpu on each CPU.
 */
#ifndef EXITVISOR_HV_H
#define EXITVISOR_HV_H
#include "vcpu.h"
#include "arena.h"

#define EXITVISOR_VERSION "0.1.0"

/* Pages hv_prepare needs for nr_cpus CPUs, so boot code can allocate them. */
u64 hv_pages_needed(u32 nr_cpus);
/* Check VMX on the calling CPU and build every shared structure. Returns
 * NULL, or why VMX cannot be used (one sentence for the console). */
const char *hv_prepare(struct arena *a, u32 nr_cpus);
/* One line describing the VMX capabilities found. */
void hv_log_banner(void);
/* Turn VMX on for the calling CPU and continue as a guest. Returns true in
 * the guest; false (after logging why) when this CPU stays unvirtualized. */
bool hv_virtualize_this_cpu(u32 index);
/* True when APs restarted by INIT-SIPI-SIPI can run as guests. */
bool hv_can_virtualize_aps(void);
#endif
