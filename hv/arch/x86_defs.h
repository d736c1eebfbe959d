/* x86 architecture facts as plain constants: control-register and RFLAGS
 * bits, the CPUID feature bits exitvisor and its guests look at, exception
 * vectors, XCR0 components. No types and no code, so the guest programs
 * (guest/conform.c) use the same definitions as the hypervisor. */
#ifndef EXITVISOR_ARCH_X86_DEFS_H
#define EXITVISOR_ARCH_X86_DEFS_H

/* Control-register bits. */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define CR4_SMXE (1ull << 14)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define CR4_CET (1ull << 23)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RF (1ull << 16)

/* CPUID feature bits exitvisor and its guests look at. */
#define CPUID1_EDX_MCE (1u << 7)
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_SMX (1u << 6)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID1_ECX_RDRAND (1u << 30)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID7_EBX_RDSEED (1u << 18)
#define CPUID7_ECX_OSPKE (1u << 4)
#define CPUID80000001_EDX_PAGE1GB (1u << 26)
#define CPUID80000001_EDX_RDTSCP (1u << 27)

/* Exception vectors. */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_OF 4
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MC 18

/* XCR0 state components (SDM Vol. 1 13.1). */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_BNDREGS (1ull << 3)
#define XCR0_BNDCSR (1ull << 4)
#define XCR0_AVX512 (7ull << 5)
#define XCR0_TILECFG (1ull << 17)
#define XCR0_TILEDATA (1ull << 18)
#endif
