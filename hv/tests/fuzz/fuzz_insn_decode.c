/*
 * fuzz_insn_decode: the decoder of guest stores to the APIC page
 * (hv/guest/insn_decode.c) on random bytes.
 *
 * fuzz-sources: hv/guest/insn_decode.c
 * fuzz-max-len: 64
 *
 * Input: byte 0 bit 0 = long mode, the rest = the instruction bytes, given to
 * decode_mmio_store as an exactly-sized heap buffer so ASan catches any read
 * past n. Invariants when it accepts:
 *   - 2 <= length <= n; reg < 16 (< 8 outside long mode, where 0x40-0x4F are
 *     not REX, and < 4 for AH..BH); imm == 0 for a register source;
 *     width 1 or 4; an 8-bit immediate fits in a byte;
 *   - decoding only the first `length` bytes gives the same result, and every
 *     shorter prefix is refused (the length is exactly the instruction's);
 *   - the result equals an independent reference decoder written here from
 *     the SDM (Vol. 2: prefixes, REX, ModRM/SIB/displacement sizes) for
 *     every form hv/guest/insn_decode.h lists (MOV 89/88/C7/C6/A3/A2, XCHG 87/86).
 * And when it refuses, the reference refuses too. The caller
 * (hv/exits/ept_violation.c) passes at most 15 bytes, the architectural
 * instruction limit; here n is not limited, so longer prefix runs are fuzzed.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "hv/guest/insn_decode.h"

static bool is_segment_prefix(u8 b)
{
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

/* Reference: returns the length (0 = refused) and fills *out. Written from
 * the SDM's opcode map (Vol. 2 Appendix A) as a table, independently of the
 * decoder's control flow. */
struct form {
    u8 opcode;
    u8 width;    /* bytes stored */
    u8 kind;     /* 0: ModRM reg source, 1: ModRM /0 + immediate, 2: moffs, source AL/EAX */
    bool xchg;
};
static const struct form forms[] = {
    { 0x89, 4, 0, false }, { 0x88, 1, 0, false }, { 0xC7, 4, 1, false }, { 0xC6, 1, 1, false },
    { 0xA3, 4, 2, false }, { 0xA2, 1, 2, false }, { 0x87, 4, 0, true }, { 0x86, 1, 0, true },
};

static u32 reference(const u8 *b, size_t n, bool long_mode, struct mmio_store *out)
{
    size_t pos = 0;
    bool a32 = false, locked = false;
    for (;;) {
        if (pos >= n)
            return 0;
        if (is_segment_prefix(b[pos])) {
            pos++;
        } else if (b[pos] == 0xF0) {
            locked = true;
            pos++;
        } else if (b[pos] == 0x67 && long_mode) {
            a32 = true;
            pos++;
        } else {
            break;
        }
    }
    u8 rex = 0;
    if (long_mode && b[pos] >= 0x40 && b[pos] <= 0x4F) {
        rex = b[pos];
        pos++;
        if (rex & 0x08) /* REX.W: 64-bit operand */
            return 0;
    }
    if (pos >= n)
        return 0;
    const struct form *f = NULL;
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
        if (forms[k].opcode == b[pos])
            f = &forms[k];
    if (!f || (locked && !f->xchg))
        return 0;
    size_t len = pos + 1;
    memset(out, 0, sizeof(*out));
    out->width = f->width;
    out->exchange = f->xchg;
    if (f->kind == 2) {
        size_t moffs = !long_mode ? 4 : a32 ? 4 : 8;
        if (len + moffs > n)
            return 0;
        out->from_reg = true;
        out->length = (u32)(len + moffs);
        return out->length;
    }
    if (len + 1 > n)
        return 0;
    u8 modrm = b[len++];
    unsigned mod = modrm >> 6, regf = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3 || (f->kind == 1 && regf != 0))
        return 0;
    static const size_t disp_of_mod[3] = { 0, 1, 4 };
    size_t disp = disp_of_mod[mod];
    if (rm == 4) {
        if (len + 1 > n)
            return 0;
        if (mod == 0 && (b[len] & 7) == 5)
            disp = 4;
        len += 1;
    } else if (mod == 0 && rm == 5) {
        disp = 4;
    }
    len += disp;
    if (len > n)
        return 0;
    if (f->kind == 1) {
        if (len + f->width > n)
            return 0;
        for (unsigned k = 0; k < f->width; k++)
            out->imm |= (u32)b[len + k] << (8 * k);
        len += f->width;
    } else {
        out->from_reg = true;
        out->reg = regf + ((rex & 0x04) ? 8 : 0);
        if (f->width == 1 && rex == 0 && regf >= 4) {
            out->high_byte = true;
            out->reg = regf - 4;
        }
    }
    out->length = (u32)len;
    return out->length;
}

static bool same(const struct mmio_store *a, const struct mmio_store *b)
{
    return a->length == b->length && a->from_reg == b->from_reg && a->reg == b->reg && a->imm == b->imm &&
           a->width == b->width && a->high_byte == b->high_byte && a->exchange == b->exchange;
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
    FUZZ_CHECK(got.width == 1 || got.width == 4, "width %u", got.width);
    FUZZ_CHECK(got.width == 4 || got.imm <= 0xFF, "8-bit store with imm 0x%x", got.imm);
    FUZZ_CHECK(!got.high_byte || (got.reg < 4 && got.width == 1), "high byte of register %u", got.reg);
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
