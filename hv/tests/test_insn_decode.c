/* hv/guest/insn_decode.c: the stores a guest makes to the local APIC page.
 * Byte sequences are what GCC/Clang and EDK2 emit for MmioWrite32. */
#include "check.h"
#include "hv/guest/insn_decode.h"

static struct mmio_store st;

static int dec(const unsigned char *b, unsigned n, int long_mode)
{
    st.length = 99;
    return decode_mmio_store(b, n, long_mode, &st);
}

TEST(insn_mov_reg_to_mem)
{
    static const unsigned char mov_rcx_edx[] = { 0x89, 0x11 };             /* mov [rcx], edx */
    CHECK(dec(mov_rcx_edx, 2, 1), "mov [rcx], edx decodes");
    CHECK_EQ(st.length, 2, "length");
    CHECK(st.from_reg, "source is a register");
    CHECK_EQ(st.reg, 2, "edx is register 2");

    static const unsigned char mov_r8_disp8[] = { 0x44, 0x89, 0x40, 0x10 }; /* mov [rax+0x10], r8d */
    CHECK(dec(mov_r8_disp8, 4, 1), "REX.R + disp8 decodes");
    CHECK_EQ(st.length, 4, "length with REX and disp8");
    CHECK_EQ(st.reg, 8, "REX.R selects r8");

    static const unsigned char sib_disp32[] = { 0x89, 0x84, 0x24, 0x00, 0x03, 0x00, 0x00 }; /* mov [rsp+0x300], eax */
    CHECK(dec(sib_disp32, 7, 1), "SIB + disp32 decodes");
    CHECK_EQ(st.length, 7, "length with SIB and disp32");
    CHECK_EQ(st.reg, 0, "eax");

    static const unsigned char rip_rel[] = { 0x89, 0x05, 0x10, 0x20, 0x30, 0x40 }; /* mov [rip+disp32], eax */
    CHECK(dec(rip_rel, 6, 1), "RIP-relative decodes");
    CHECK_EQ(st.length, 6, "length RIP-relative");

    static const unsigned char sib_no_base[] = { 0x89, 0x04, 0x25, 0x00, 0x03, 0xE0, 0xFE }; /* mov [0xfee00300], eax */
    CHECK(dec(sib_no_base, 7, 1), "SIB without base decodes");
    CHECK_EQ(st.length, 7, "length SIB no base (disp32)");

    static const unsigned char seg_prefix[] = { 0x3E, 0x89, 0x18 }; /* ds: mov [rax], ebx */
    CHECK(dec(seg_prefix, 3, 1), "segment prefix accepted");
    CHECK_EQ(st.length, 3, "prefix counted in the length");
    CHECK_EQ(st.reg, 3, "ebx");
}

TEST(insn_mov_imm_to_mem)
{
    static const unsigned char mov_imm[] = { 0xC7, 0x00, 0x00, 0x45, 0x00, 0x00 }; /* mov dword [rax], 0x4500 */
    CHECK(dec(mov_imm, 6, 1), "mov [rax], imm32 decodes");
    CHECK_EQ(st.length, 6, "length");
    CHECK(!st.from_reg, "immediate source");
    CHECK_EQ(st.imm, 0x4500, "immediate value");

    static const unsigned char imm_disp8[] = { 0xC7, 0x40, 0x10, 0x78, 0x56, 0x34, 0x12 }; /* mov dword [rax+0x10], 0x12345678 */
    CHECK(dec(imm_disp8, 7, 1), "imm32 with disp8 decodes");
    CHECK_EQ(st.length, 7, "length");
    CHECK_EQ(st.imm, 0x12345678, "little-endian immediate");
}

TEST(insn_32bit_code)
{
    static const unsigned char absolute[] = { 0x89, 0x15, 0x00, 0x03, 0xE0, 0xFE }; /* mov [0xfee00300], edx */
    CHECK(dec(absolute, 6, 0), "32-bit absolute disp32 decodes");
    CHECK_EQ(st.length, 6, "length");
    static const unsigned char inc_eax_then_mov[] = { 0x40, 0x89, 0x11 }; /* 0x40 is INC EAX in 32-bit code */
    CHECK(!dec(inc_eax_then_mov, 3, 0), "0x40 is not a REX prefix outside 64-bit mode");
}

TEST(insn_other_store_forms)
{
    /* GCC's store through a constant address: mov %eax, 0xfee00310 (A3 moffs64). */
    static const unsigned char moffs64[] = { 0xA3, 0x10, 0x03, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00 };
    CHECK(dec(moffs64, 9, 1), "A3 moffs64 decodes");
    CHECK(st.length == 9 && st.width == 4 && st.from_reg && st.reg == 0, "9 bytes, 32-bit store of EAX");
    static const unsigned char moffs32[] = { 0xA3, 0x00, 0x03, 0xE0, 0xFE };
    CHECK(dec(moffs32, 5, 0) && st.length == 5, "A3 moffs32 in 32-bit code: 5 bytes");
    static const unsigned char addr32_moffs[] = { 0x67, 0xA3, 0x00, 0x03, 0xE0, 0xFE };
    CHECK(dec(addr32_moffs, 6, 1) && st.length == 6, "0x67 A3 in 64-bit code: a 4-byte moffs");
    CHECK(!dec(moffs64, 5, 1), "a moffs64 cut to 4 bytes is refused");
    static const unsigned char moffs8[] = { 0xA2, 0xB0, 0x00, 0xE0, 0xFE };
    CHECK(dec(moffs8, 5, 0) && st.width == 1 && st.reg == 0 && !st.high_byte, "A2: a byte store of AL");

    static const unsigned char mov_sil[] = { 0x40, 0x88, 0x31 }; /* mov %sil, (%rcx) */
    CHECK(dec(mov_sil, 3, 1), "88 with REX decodes");
    CHECK(st.width == 1 && st.reg == 6 && !st.high_byte, "SIL: register 6, low byte");
    static const unsigned char mov_dh[] = { 0x88, 0x31 }; /* mov %dh, (%rcx) */
    CHECK(dec(mov_dh, 2, 1) && st.width == 1 && st.reg == 2 && st.high_byte, "88 /6 without REX: DH, bits 15:8 of RDX");
    static const unsigned char movb_imm[] = { 0xC6, 0x40, 0x20, 0xAB }; /* movb $0xab, 0x20(%rax) */
    CHECK(dec(movb_imm, 4, 1) && st.width == 1 && !st.from_reg && st.imm == 0xAB && st.length == 4,
          "C6 /0 imm8");
    static const unsigned char xchg[] = { 0x87, 0x81, 0x00, 0x03, 0x00, 0x00 }; /* xchg %eax, 0x300(%rcx) */
    CHECK(dec(xchg, 6, 1) && st.exchange && st.width == 4 && st.reg == 0 && st.length == 6, "87 /r XCHG");
    static const unsigned char lock_xchg[] = { 0xF0, 0x44, 0x87, 0x01 }; /* lock xchg %r8d, (%rcx) */
    CHECK(dec(lock_xchg, 4, 1) && st.exchange && st.reg == 8 && st.length == 4, "LOCK XCHG with REX.R");
    static const unsigned char lock_mov[] = { 0xF0, 0x89, 0x01 };
    CHECK(!dec(lock_mov, 3, 1), "LOCK MOV is #UD: refused");
    static const unsigned char xchg8[] = { 0x86, 0x21 }; /* xchg %ah, (%rcx) */
    CHECK(dec(xchg8, 2, 1) && st.exchange && st.width == 1 && st.high_byte && st.reg == 0, "86 XCHG with AH");
    static const unsigned char c6_other[] = { 0xC6, 0x08, 0x01 };
    CHECK(!dec(c6_other, 3, 1), "C6 /1 is not MOV");
    static const unsigned char addr16[] = { 0x67, 0x89, 0x07 };
    CHECK(!dec(addr16, 3, 0), "0x67 in 32-bit code (16-bit addressing) is refused");
}

TEST(insn_refused)
{
    static const unsigned char rex_w[] = { 0x48, 0x89, 0x11 };       /* 64-bit store */
    static const unsigned char opsize[] = { 0x66, 0x89, 0x11 };      /* 16-bit store */
    static const unsigned char to_reg[] = { 0x89, 0xC8 };            /* mov eax, ecx: no memory */
    static const unsigned char load[] = { 0x8B, 0x11 };              /* a load, not a store */
    static const unsigned char c7_other[] = { 0xC7, 0x08, 0, 0, 0, 0 }; /* C7 /1 is not MOV */
    static const unsigned char cut_imm[] = { 0xC7, 0x00, 0x00, 0x45 }; /* immediate cut short */
    static const unsigned char cut_disp[] = { 0x89, 0x80, 0x00 };    /* disp32 cut short */
    CHECK(!dec(rex_w, 3, 1), "REX.W store refused");
    CHECK(!dec(opsize, 3, 1), "operand-size prefix refused");
    CHECK(!dec(to_reg, 2, 1), "register destination refused");
    CHECK(!dec(load, 2, 1), "load refused");
    CHECK(!dec(c7_other, 6, 1), "C7 with reg != 0 refused");
    CHECK(!dec(cut_imm, 4, 1), "truncated immediate refused");
    CHECK(!dec(cut_disp, 3, 1), "truncated displacement refused");
    CHECK(!dec(rex_w, 0, 1), "no bytes refused");
}
