/*
 * fuzz_insn_decode: the decoder of guest stores to the APIC page
 * (hv/insn_decode.c) on random bytes.
 *
 * fuzz-sources: hv/insn_decode.c
 * fuzz-max-len: 64
 *
 * Input: byte 0 bit 0 = long mode, the rest = the instruction bytes, given to
 * decode_mmio_store as an exactly-sized heap buffer so ASan catches any read
 * past n. Invariants when it accepts:
 *   - 2 <= length <= n; reg < 16 (< 8 outside long mode, where 0x40-0x4F are
 *     not REX); imm == 0 for a register source;
 *   - decoding only the first `length` bytes gives the same result, and every
 *     shorter prefix is refused (the length is exactly the instruction's);
 *   - the result equals an independent reference decoder written here from
 *     the SDM (Vol. 2: prefixes, REX, ModRM/SIB/displacement sizes) for
 *     MOV r/m32, r32 (89 /r) and MOV r/m32, imm32 (C7 /0) to memory.
 * And when it refuses, the reference refuses too. The caller
 * (hv/exits/ept_violation.c) passes at most 15 bytes, the architectural
 * instruction limit; here n is not limited, so longer prefix runs are fuzzed.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "hv/insn_decode.h"

static bool is_segment_prefix(u8 b)
{
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

/* Reference: returns the length (0 = refused) and fills *out. */
static u32 reference(const u8 *b, size_t n, bool long_mode, struct mmio_store *out)
{
    size_t pos = 0;
    while (pos < n && is_segment_prefix(b[pos]))
        pos++;
    bool rex_r = false;
    if (long_mode && pos < n && b[pos] >= 0x40 && b[pos] <= 0x4F) {
        if (b[pos] & 0x08) /* REX.W: 64-bit operand */
            return 0;
        rex_r = (b[pos] & 0x04) != 0;
        pos++;
    }
    if (pos + 2 > n)
        return 0;
    u8 opcode = b[pos], modrm = b[pos + 1];
    unsigned mod = modrm >> 6, regf = (modrm >> 3) & 7, rm = modrm & 7;
    if (opcode != 0x89 && opcode != 0xC7)
        return 0;
    if (mod == 3 || (opcode == 0xC7 && regf != 0))
        return 0;
    size_t len = pos + 2;
    size_t disp = 0;
    if (rm == 4) {
        if (len + 1 > n)
            return 0;
        u8 sib = b[len];
        len += 1;
        if (mod == 0 && (sib & 7) == 5)
            disp = 4;
    }
    if (mod == 0 && rm == 5)
        disp = 4;
    if (mod == 1)
        disp = 1;
    if (mod == 2)
        disp = 4;
    len += disp;
    size_t imm = opcode == 0xC7 ? 4 : 0;
    if (len + imm > n)
        return 0;
    out->from_reg = opcode == 0x89;
    out->reg = regf + (rex_r ? 8 : 0);
    out->imm = 0;
    if (imm)
        memcpy(&out->imm, b + len, 4); /* little-endian host */
    out->length = (u32)(len + imm);
    return out->length;
}

static bool same(const struct mmio_store *a, const struct mmio_store *b)
{
    return a->length == b->length && a->from_reg == b->from_reg && a->reg == b->reg && a->imm == b->imm;
}

static bool decode_copy(const u8 *bytes, size_t n, bool long_mode, struct mmio_store *out)
{
    /* A buffer of exactly n bytes (malloc(0) may return NULL: give one byte
     * but pass n = 0). */
    u8 *buf = malloc(n ? n : 1);
    if (n)
        memcpy(buf, bytes, n);
    memset(out, 0xCC, sizeof(*out));
    bool ok = decode_mmio_store(buf, n, long_mode, out);
    free(buf);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool long_mode = data[0] & 1;
    const u8 *bytes = data + 1;
    size_t n = size - 1;
    struct mmio_store got, ref, again;

    bool ok = decode_copy(bytes, n, long_mode, &got);
    u32 ref_len = reference(bytes, n, long_mode, &ref);
    FUZZ_CHECK(ok == (ref_len != 0), "n %zu long %d: decoder says %d, reference length %u", n, long_mode, ok,
               ref_len);
    if (!ok)
        return 0;
    FUZZ_CHECK(got.length >= 2 && got.length <= n, "length %u with n %zu", got.length, n);
    FUZZ_CHECK(got.reg < 16, "reg %u", got.reg);
    FUZZ_CHECK(long_mode || got.reg < 8, "reg %u outside long mode", got.reg);
    FUZZ_CHECK(!got.from_reg || got.imm == 0, "imm 0x%x with a register source", got.imm);
    FUZZ_CHECK(same(&got, &ref), "decoder len %u from_reg %d reg %u imm 0x%x; reference len %u from_reg %d reg %u "
               "imm 0x%x", got.length, got.from_reg, got.reg, got.imm, ref.length, ref.from_reg, ref.reg, ref.imm);

    /* Exactly `length` bytes: the same store; any fewer: refused. */
    FUZZ_CHECK(decode_copy(bytes, got.length, long_mode, &again) && same(&got, &again),
               "re-decoding the first %u bytes differs", got.length);
    for (size_t k = 0; k < got.length; k++)
        FUZZ_CHECK(!decode_copy(bytes, k, long_mode, &again), "a %zu-byte prefix of a %u-byte store accepted", k,
                   got.length);
    return 0;
}
