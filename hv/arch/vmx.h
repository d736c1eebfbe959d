/*
 * VMX instructions. Each returns its VMX status so callers can check every one:
 * VMX_OK, VMX_FAIL_INVALID (CF=1, no current VMCS) or VMX_FAIL_VALID (ZF=1, the
 * VM-instruction error field says why).
 */
#ifndef EXITVISOR_ARCH_VMX_H
#define EXITVISOR_ARCH_VMX_H
#include "../types.h"

enum vmx_status { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

/* CF and ZF come straight out of the instruction as GCC flag outputs. */
#define VMX_STATUS_FROM_FLAGS(cf, zf) ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

static inline enum vmx_status vmxon(u64 pa)
{
    bool cf, zf;
    __asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmclear(u64 pa)
{
    bool cf, zf;
    __asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmptrld(u64 pa)
{
    bool cf, zf;
    __asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* VMREAD and VMWRITE run several times on every exit: their flags go
 * straight to the failure paths with asm goto (two jumps, no SETcc and
 * test), which took ~3 instructions off each (make bench, README). */
static inline enum vmx_status vmwrite_checked(u64 field, u64 value)
{
    __asm__ goto("vmwrite %1, %0\n\t"
                 "jc %l[fail_invalid]\n\t"
                 "jz %l[fail_valid]"
                 :
                 : "r"(field), "rm"(value)
                 : "cc", "memory"
                 : fail_invalid, fail_valid);
    return VMX_OK;
fail_invalid:
    return VMX_FAIL_INVALID;
fail_valid:
    return VMX_FAIL_VALID;
}

static inline enum vmx_status vmread_checked(u64 field, u64 *value)
{
    u64 v;
    __asm__ goto("vmread %1, %0\n\t"
                 "jc %l[fail_invalid]\n\t"
                 "jz %l[fail_valid]"
                 : "=r"(v)
                 : "r"(field)
                 : "cc"
                 : fail_invalid, fail_valid);
    *value = v;
    return VMX_OK;
fail_invalid:
    *value = 0;
    return VMX_FAIL_INVALID;
fail_valid:
    *value = 0;
    return VMX_FAIL_VALID;
}

struct __attribute__((packed)) invept_descriptor { u64 eptp, reserved; };

static inline enum vmx_status invept(u64 type, const struct invept_descriptor *d)
{
    bool cf, zf;
    __asm__ volatile("invept %2, %3"
                     : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(*d), "r"(type)
                     : "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

struct __attribute__((packed)) invvpid_descriptor { u64 vpid, linear_address; };

#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

static inline enum vmx_status invvpid(u64 type, const struct invvpid_descriptor *d)
{
    bool cf, zf;
    __asm__ volatile("invvpid %2, %3"
                     : "=@ccc"(cf), "=@ccz"(zf)
                     : "m"(*d), "r"(type)
                     : "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

#endif
