/* Extended page tables: an identity map of guest-physical memory. */
#ifndef EXITVISOR_EPT_H
#define EXITVISOR_EPT_H
#include "../vcpu.h"
#include "arena.h"
#include "mtrr.h"
/* Build the identity map and set h->ept_pointer; NULL or why not. */
const char *ept_build_identity_map(struct hv_state *h, struct arena *a, const struct mtrr_state *mtrr);
#endif
