/*
 * Just enough x86 decoding to emulate a guest's store to a page exitvisor
 * write-protects (the local APIC page, with init_sipi=intercept), in 64-bit
 * or 32-bit code: every form compilers and firmware emit for a 32-bit or
 * 8-bit MMIO store,
 *   MOV r/m32, r32 (89 /r)       MOV r/m8, r8 (88 /r)
 *   MOV r/m32, imm32 (C7 /0)     MOV r/m8, imm8 (C6 /0)
 *   MOV moffs32, EAX (A3)        MOV moffs8, AL (A2)
 *   XCHG r/m32, r32 (87 /r)      XCHG r/m8, r8 (86 /r)
 * with any ModRM/SIB/displacement, segment prefixes, REX (not REX.W), an
 * address-size prefix in 64-bit code and LOCK on XCHG. The exit already
 * gives the guest-physical address, so only the instruction's length,
 * width and source matter. Pure, so the host tests cover it.
 */
#ifndef EXITVISOR_INSN_DECODE_H
#define EXITVISOR_INSN_DECODE_H
#include "../types.h"

struct mmio_store {
    u32 length;     /* bytes, to advance RIP */
    u32 width;      /* bytes stored: 4 or 1 */
    bool from_reg;  /* source is a GPR, else imm */
    u32 reg;        /* x86 register number when from_reg */
    bool high_byte; /* width 1 without REX, reg field 4-7: AH/CH/DH/BH, i.e. bits 15:8 of register reg */
    bool exchange;  /* XCHG: the register also receives the memory's old value */
    u32 imm;        /* immediate when !from_reg */
};

/* Returns true and fills *out when bytes[0..n) start with a supported
 * store; false for anything else. */
bool decode_mmio_store(const u8 *bytes, size_t n, bool long_mode, struct mmio_store *out);
#endif
