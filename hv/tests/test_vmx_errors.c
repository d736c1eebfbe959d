/* hv/vmx/vmx_errors.c: VM-instruction error numbers (SDM Vol. 3C 31.4, Table 31-1). */
#include "check.h"
#include "hv/vmx/vmx_errors.h"

/* The SDM's text for each number; the parenthesised remarks some rows carry
 * in the SDM (e.g. "(when attempting to activate the dual-monitor treatment
 * of SMIs and SMM)") are not part of the short text. */
static const struct {
    u32 number;
    const char *text;
} sdm_errors[] = {
    { 1, "VMCALL executed in VMX root operation" },
    { 2, "VMCLEAR with invalid physical address" },
    { 3, "VMCLEAR with VMXON pointer" },
    { 4, "VMLAUNCH with non-clear VMCS" },
    { 5, "VMRESUME with non-launched VMCS" },
    { 6, "VMRESUME after VMXOFF" },
    { 7, "VM entry with invalid control field(s)" },
    { 8, "VM entry with invalid host-state field(s)" },
    { 9, "VMPTRLD with invalid physical address" },
    { 10, "VMPTRLD with VMXON pointer" },
    { 11, "VMPTRLD with incorrect VMCS revision identifier" },
    { 12, "VMREAD/VMWRITE from/to unsupported VMCS component" },
    { 13, "VMWRITE to read-only VMCS component" },
    { 15, "VMXON executed in VMX root operation" },
    { 16, "VM entry with invalid executive-VMCS pointer" },
    { 17, "VM entry with non-launched executive VMCS" },
    { 18, "VM entry with executive-VMCS pointer not VMXON pointer" },
    { 19, "VMCALL with non-clear VMCS" },
    { 20, "VMCALL with invalid VM-exit control fields" },
    { 22, "VMCALL with incorrect MSEG revision identifier" },
    { 23, "VMXOFF under dual-monitor treatment of SMIs and SMM" },
    { 24, "VMCALL with invalid SMM-monitor features" },
    { 25, "VM entry with invalid VM-execution control fields in executive VMCS" },
    { 26, "VM entry with events blocked by MOV SS" },
    { 28, "Invalid operand to INVEPT/INVVPID" },
};

TEST(vmx_errors_known)
{
    for (size_t i = 0; i < sizeof(sdm_errors) / sizeof(sdm_errors[0]); i++)
        CHECK_STREQ(vmx_instruction_error_text(sdm_errors[i].number), sdm_errors[i].text, "error %u",
                    sdm_errors[i].number);
}

TEST(vmx_errors_unknown)
{
    const u32 unknown[] = { 0, 14, 21, 27, 29, 30, 64, 1000, 0x80000000u, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        CHECK_STREQ(vmx_instruction_error_text(unknown[i]), "unknown VM-instruction error", "error %u", unknown[i]);
}
