/*
 * What the boot code asks of the hypervisor core. The core never calls UEFI:
 * the boot code gives it memory and has each CPU call hv_launch_cpu through
 * boot/enter_guest.asm.
 */
#ifndef EXITVISOR_HV_H
#define EXITVISOR_HV_H
#include "vcpu.h"
#include "mem/arena.h"

#define EXITVISOR_VERSION "0.1.0"

/* Pages hv_prepare needs for nr_cpus CPUs, so boot code can allocate them. */
u64 hv_pages_needed(u32 nr_cpus);
/* Check VMX on the calling CPU and build every shared structure. The arena
 * and the image range [image_base, image_base + image_pages * 4 KiB) are
 * the hypervisor's own memory, which EPT hides from every guest. Returns
 * NULL, or why VMX cannot be used (one sentence for the console). */
const char *hv_prepare(struct arena *a, u32 nr_cpus, u64 image_base, u64 image_pages,
                       const struct hv_options *opt);
/* One line describing the VMX capabilities found, one saying what exitvisor
 * watches (INIT/SIPI mode, ports) and why. */
void hv_log_banner(void);
/* Turn VMX on for the calling CPU and launch it so that the guest resumes
 * at guest_rip with guest_rsp and guest_rflags (boot/enter_guest.asm
 * passes its own resume point). Returns only on failure, with a nonzero
 * code, after logging why; the CPU then runs on unvirtualized. */
int hv_launch_cpu(u32 index, u64 guest_rip, u64 guest_rsp, u64 guest_rflags);
typedef int (*hv_launch_fn)(u32 index, u64 guest_rip, u64 guest_rsp, u64 guest_rflags);
/* True when APs restarted by INIT-SIPI-SIPI can run as guests. */
bool hv_can_virtualize_aps(void);
/* Why the APs cannot be vCPUs on this CPU (the capability that is
 * missing), or NULL when they can. */
const char *hv_why_aps_stay(void);
#endif
