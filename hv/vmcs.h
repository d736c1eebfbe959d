/* Checked VMREAD/VMWRITE on the current VMCS. */
#ifndef EXITVISOR_VMCS_H
#define EXITVISOR_VMCS_H
#include "types.h"
#include "arch/vmx.h"
#include "arch/vmcs_fields.h"

/* A failed VMREAD/VMWRITE is a hypervisor bug: both log the field and the
 * VM-instruction error and count the failure so callers can refuse to go on. */
void vmcs_write(u32 field, u64 value);
u64 vmcs_read(u32 field);
u32 vmcs_failures(void);
/* The VM-instruction error field of the current VMCS, with its meaning. */
u32 vmcs_instruction_error(void);

#endif
