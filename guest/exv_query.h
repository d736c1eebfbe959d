/*
 * exv_query.h — how every guest program (UEFI or Linux) asks exitvisor:
 * one CPUID with both inputs explicit and all four outputs taken, the
 * ABI's 64-bit EBX:ECX pairs, and the vendor-signature check that must come
 * before any other query (hv/stats/abi.h).
 */
#ifndef EXITVISOR_GUEST_EXV_QUERY_H
#define EXITVISOR_GUEST_EXV_QUERY_H

#include <stdint.h>
#include "../hv/stats/abi.h"

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

/* The statistics leaves select by ECX, so an unset ECX would silently pick
 * whatever reason the register held. volatile (and the memory clobber) keep
 * every query, each a counted exit, once and in program order. */
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf)
                     : "memory");
    return r;
}

/* EBX:ECX (hi:lo) is how the ABI returns 64-bit values. */
static inline uint64_t ebx_ecx(struct cpuid_regs r)
{
    return ((uint64_t)r.ebx << 32) | r.ecx;
}

/* Leaf 0x40000000 answered "exitvisor". */
static inline int signature_ok(struct cpuid_regs r)
{
    return r.ebx == EXV_SIG_EBX && r.ecx == EXV_SIG_ECX && r.edx == EXV_SIG_EDX;
}

#endif
