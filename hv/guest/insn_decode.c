#include "insn_decode.h"

static bool is_segment_prefix(u8 b)
{
    return b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65;
}

static u32 read_le(const u8 *b, u32 bytes)
{
    u32 v = 0;
    for (u32 k = 0; k < bytes; k++)
        v |= (u32)b[k] << (8 * k);
    return v;
}

bool decode_mmio_store(const u8 *b, size_t n, bool long_mode, struct mmio_store *out)
{
    size_t i = 0;
    u8 rex = 0;
    bool addr32 = false, lock = false;

    /* Prefixes, in any order. Segment overrides are harmless for a store
     * whose address we already know; 0x67 in 64-bit code only changes the
     * size of a moffs (32-bit code would switch to 16-bit addressing, which
     * exitvisor refuses); 0x66 would make it a 16-bit store: refused. */
    for (; i < n; i++) {
        if (is_segment_prefix(b[i]))
            continue;
        if (b[i] == 0x67 && long_mode) {
            addr32 = true;
            continue;
        }
        if (b[i] == 0xF0) {
            lock = true;
            continue;
        }
        break;
    }
    /* REX only right before the opcode. */
    if (long_mode && i < n && (b[i] & 0xF0) == 0x40)
        rex = b[i++];
    if (rex & 0x08) /* REX.W: a 64-bit store, which the APIC does not take */
        return false;
    if (i >= n)
        return false;
    u8 op = b[i++];
    if (lock && op != 0x87 && op != 0x86) /* LOCK is #UD on a MOV */
        return false;

    out->exchange = op == 0x87 || op == 0x86;
    out->width = (op == 0x88 || op == 0xC6 || op == 0xA2 || op == 0x86) ? 1 : 4;
    out->high_byte = false;
    out->imm = 0;

    if (op == 0xA3 || op == 0xA2) { /* MOV moffs, eAX/AL: an absolute address follows */
        u32 moffs = long_mode ? (addr32 ? 4 : 8) : 4;
        if (i + moffs > n)
            return false;
        out->from_reg = true;
        out->reg = 0;
        out->length = (u32)(i + moffs);
        return true;
    }
    if (op != 0x89 && op != 0x88 && op != 0xC7 && op != 0xC6 && op != 0x87 && op != 0x86)
        return false;
    if (i >= n)
        return false;
    u8 modrm = b[i++];
    u8 mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3) /* register destination: not a memory store */
        return false;
    if ((op == 0xC7 || op == 0xC6) && reg != 0)
        return false;
    size_t disp = 0;
    if (rm == 4) { /* SIB byte */
        if (i >= n)
            return false;
        u8 sib = b[i++];
        if (mod == 0 && (sib & 7) == 5)
            disp = 4; /* no base register: disp32 */
    }
    if (mod == 0 && rm == 5)
        disp = 4; /* RIP-relative (64-bit) or absolute disp32 (32-bit) */
    else if (mod == 1)
        disp = 1;
    else if (mod == 2)
        disp = 4;
    i += disp;
    if (op == 0xC7 || op == 0xC6) {
        u32 imm = op == 0xC7 ? 4 : 1;
        if (i + imm > n)
            return false;
        out->from_reg = false;
        out->reg = 0;
        out->imm = read_le(b + i, imm);
        i += imm;
    } else {
        out->from_reg = true;
        out->reg = reg | ((rex & 0x04) ? 8u : 0u);
        /* Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is
         * present (then SPL, BPL, SIL, DIL). */
        if (out->width == 1 && !rex && reg >= 4) {
            out->high_byte = true;
            out->reg = reg - 4;
        }
    }
    if (i > n)
        return false;
    out->length = (u32)i;
    return true;
}
