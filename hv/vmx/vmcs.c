#include "vmcs.h"
#include "../platform/log.h"
#include "vmx_errors.h"

static u32 failures;

u32 vmcs_instruction_error(void)
{
    u64 e = 0;
    if (vmread_checked(VMCS_VM_INSTRUCTION_ERROR, &e) != VMX_OK)
        return 0;
    return (u32)e;
}

void vmcs_report_failure(const char *op, u32 field, enum vmx_status st)
{
    u32 err = st == VMX_FAIL_VALID ? vmcs_instruction_error() : 0;
    __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    if (st == VMX_FAIL_VALID)
        hv_log("%s of VMCS field 0x%04x failed: VM-instruction error %u (%s)", op, field, err,
               vmx_instruction_error_text(err));
    else
        hv_log("%s of VMCS field 0x%04x failed: VMfailInvalid (no current VMCS)", op, field);
}

u32 vmcs_failures(void)
{
    return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}
