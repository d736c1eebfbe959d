#include "insn_decode.h"

bool decode_mmio_store(const u8 *b, size_t n, bool long_mode, struct mmio_store *out)
{
    size_t i = 0;
    u8 rex = 0;

    /* Segment-override prefixes are harmless for a store whose address we
     * already know; 0x66/0x67 would change sizes, so they are refused. */
    while (i < n && (b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x26 || b[i] == 0x64 ||
                     b[i] == 0x65))
        i++;
    if (long_mode && i < n && (b[i] & 0xF0) == 0x40)
        rex = b[i++];
    if (rex & 0x08) /* REX.W: a 64-bit store, which the APIC does not take */
        return false;
    if (i + 2 > n)
        return false;
    u8 op = b[i++];
    if (op != 0x89 && op != 0xC7)
        return false;
    u8 modrm = b[i++];
    u8 mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3) /* register destination: not a memory store */
        return false;
    if (op == 0xC7 && reg != 0)
        return false;
    if (rm == 4) { /* SIB byte */
        if (i >= n)
            return false;
        u8 sib = b[i++];
        if (mod == 0 && (sib & 7) == 5)
            i += 4; /* no base register: disp32 */
    }
    if (mod == 0 && rm == 5)
        i += 4; /* RIP-relative (64-bit) or absolute disp32 (32-bit) */
    else if (mod == 1)
        i += 1;
    else if (mod == 2)
        i += 4;
    out->from_reg = op == 0x89;
    out->reg = reg | ((rex & 0x04) ? 8u : 0u);
    if (op == 0xC7) {
        if (i + 4 > n)
            return false;
        out->imm = (u32)b[i] | ((u32)b[i + 1] << 8) | ((u32)b[i + 2] << 16) | ((u32)b[i + 3] << 24);
        i += 4;
    } else {
        out->imm = 0;
    }
    if (i > n)
        return false;
    out->length = (u32)i;
    return true;
}
