/*
 * Just enough x86 decoding to emulate a guest's store to a page exitvisor
 * write-protects (the local APIC page): MOV r/m32, r32 (89 /r) and
 * MOV r/m32, imm32 (C7 /0), in 64-bit or 32-bit code. The exit already
 * gives the guest-physical address, so only the instruction's length and
 * source matter. Pure, so the host tests cover it.
 */
#ifndef EXITVISOR_INSN_DECODE_H
#define EXITVISOR_INSN_DECODE_H
#include "types.h"

struct mmio_store {
    u32 length;     /* bytes, to advance RIP */
    bool from_reg;  /* source is a GPR, else imm */
    u32 reg;        /* x86 register number when from_reg */
    u32 imm;        /* immediate when !from_reg */
};

/* Returns true and fills *out when bytes[0..n) start with a supported
 * 32-bit store; false for anything else. */
bool decode_mmio_store(const u8 *bytes, size_t n, bool long_mode, struct mmio_store *out);
#endif
