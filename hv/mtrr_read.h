/* Reading this CPU's MTRRs (the hardware side of hv/mtrr.h). */
#ifndef EXITVISOR_MTRR_READ_H
#define EXITVISOR_MTRR_READ_H
#include "mtrr.h"
/* Read the MTRRs of this CPU into a snapshot. */
void mtrr_read_state(struct mtrr_state *s);
#endif
