/* Checked VMREAD/VMWRITE on the current VMCS. */
#ifndef EXITVISOR_VMCS_H
#define EXITVISOR_VMCS_H
#include "../types.h"
#include "../arch/vmx.h"
#include "../arch/vmcs_fields.h"

/* A failed VMREAD/VMWRITE is a hypervisor bug: it is logged with the field
 * and the VM-instruction error, and counted so callers can refuse to go on.
 * The success path is inline: every exit makes several of these. */
void vmcs_report_failure(const char *op, u32 field, enum vmx_status st);

static inline void vmcs_write(u32 field, u64 value)
{
    enum vmx_status st = vmwrite_checked(field, value);
    if (__builtin_expect(st != VMX_OK, 0))
        vmcs_report_failure("VMWRITE", field, st);
}

static inline u64 vmcs_read(u32 field)
{
    u64 v;
    enum vmx_status st = vmread_checked(field, &v);
    if (__builtin_expect(st != VMX_OK, 0))
        vmcs_report_failure("VMREAD", field, st);
    return v;
}

u32 vmcs_failures(void);
/* The VM-instruction error field of the current VMCS, with its meaning. */
u32 vmcs_instruction_error(void);

#endif
