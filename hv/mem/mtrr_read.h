/* Reading this CPU's MTRRs (the hardware side of hv/mem/mtrr.h). */
#ifndef EXITVISOR_MTRR_READ_H
#define EXITVISOR_MTRR_READ_H
#include "mtrr.h"
/* Read the MTRRs of this CPU into a snapshot; phys_bits is MAXPHYADDR
 * (cpu_phys_address_bits in hv/mem/host_tables.h), for the range masks. */
void mtrr_read_state(struct mtrr_state *s, u32 phys_bits);
#endif
