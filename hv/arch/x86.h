/* Thin wrappers over x86 instructions. Nothing here knows about VMX policy. */
#ifndef EXITVISOR_ARCH_X86_H
#define EXITVISOR_ARCH_X86_H
#include "../types.h"

#include "x86_defs.h"

struct cpuid_regs { u32 eax, ebx, ecx, edx; };

static inline void cpuid_ex(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
    __asm__ volatile("cpuid"
                     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                     : "a"(leaf), "c"(subleaf));
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                   \
    static inline u64 read_cr##n(void)                                          \
    {                                                                            \
        u64 v;                                                                   \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                        \
        return v;                                                                \
    }                                                                            \
    static inline void write_cr##n(u64 v)                                       \
    {                                                                            \
        __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline u64 read_dr7(void)
{
    u64 v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

static inline u64 read_rflags(void)
{
    u64 v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

#define DEFINE_SEG_READER(seg)                                                   \
    static inline u16 read_##seg(void)                                          \
    {                                                                            \
        u16 v;                                                                   \
        __asm__ volatile("mov %%" #seg ", %0" : "=r"(v));                        \
        return v;                                                                \
    }
DEFINE_SEG_READER(cs)
DEFINE_SEG_READER(ss)
DEFINE_SEG_READER(ds)
DEFINE_SEG_READER(es)
DEFINE_SEG_READER(fs)
DEFINE_SEG_READER(gs)
#undef DEFINE_SEG_READER

static inline u16 read_tr(void)
{
    u16 v;
    __asm__ volatile("str %0" : "=r"(v));
    return v;
}

static inline u16 read_ldtr(void)
{
    u16 v;
    __asm__ volatile("sldt %0" : "=r"(v));
    return v;
}

struct __attribute__((packed)) descriptor_table_reg {
    u16 limit;
    u64 base;
};

static inline void read_gdtr(struct descriptor_table_reg *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void read_idtr(struct descriptor_table_reg *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u16 inw(u16 port)
{
    u16 v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline u32 inl(u16 port)
{
    u32 v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void cpu_pause(void) { __asm__ volatile("pause"); }
static inline void wbinvd(void) { __asm__ volatile("wbinvd" ::: "memory"); }

static inline void __attribute__((noreturn)) halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif
