/* Reading guest memory from root mode. EPT is an identity map, so a
 * guest-physical address is a host-physical one; only the guest's own
 * paging has to be walked. */
#ifndef EXITVISOR_GUEST_MEM_H
#define EXITVISOR_GUEST_MEM_H
#include "../types.h"
/* Copy n bytes at guest linear address `linear` (current VMCS's paging
 * mode: none, 4-level or 5-level; hv/mem/page_walk.c). False when a page is not
 * present or the mode is not supported; nothing is promised about buf then. */
bool guest_read_linear(u64 linear, u8 *buf, size_t n);
/* Is the guest's [linear, linear + n) one physically contiguous run below
 * the host map's top? *pa gets its physical start. */
bool guest_linear_run(u64 linear, u64 n, u64 *pa);
#endif
