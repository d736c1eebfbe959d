/* hv/mem/mtrr.c: memory types from a snapshot of the MTRRs (SDM Vol. 3A 12.11). */
#include <string.h>
#include "check.h"
#include "hv/mem/mtrr.h"

#define UC MEMTYPE_UC
#define WC MEMTYPE_WC
#define WT MEMTYPE_WT
#define WP MEMTYPE_WP
#define WB MEMTYPE_WB
#define VALID (1ull << 11)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PHYS_MASK ((1ull << 39) - 1) /* MAXPHYADDR 39 */

static struct mtrr_state s;

static void reset(u8 default_type)
{
    memset(&s, 0, sizeof(s));
    s.enabled = true;
    s.fixed_enabled = true;
    s.default_type = default_type;
    s.address_mask = PHYS_MASK;
    memset(s.fixed, WB, sizeof(s.fixed));
}

/* A variable range of power-of-two `size` at `base` (size-aligned). */
static void add_var(u64 base, u64 size, u8 type)
{
    u32 i = s.variable_count++;
    s.variable[i].base = base | type;
    s.variable[i].mask = (~(size - 1) & PHYS_MASK) | VALID;
}

/* The fixed-range layout, spelled out from the MSR list (SDM Table 12-9):
 * MTRRfix64K_00000 (8 x 64 KiB), MTRRfix16K_80000 and _A0000 (8 x 16 KiB
 * each), MTRRfix4K_C0000 .. _F8000 (8 x 4 KiB each). */
static u32 fixed_index(u64 pa)
{
    if (pa < 0x80000)
        return (u32)(pa / 0x10000);
    if (pa < 0xA0000)
        return 8 + (u32)((pa - 0x80000) / 0x4000);
    if (pa < 0xC0000)
        return 16 + (u32)((pa - 0xA0000) / 0x4000);
    return 24 + (u32)((pa - 0xC0000) / 0x1000);
}

static const u8 types[] = { UC, WC, WT, WP, WB };

TEST(mtrr_fixed_ranges)
{
    reset(UC);
    for (u32 i = 0; i < MTRR_FIXED_COUNT; i++)
        s.fixed[i] = types[(i * 7 + 3) % 5];
    add_var(0, 4 * GIB, WB); /* must not matter below 1 MiB */
    int bad = 0;
    for (u64 pa = 0; pa < MIB; pa += 0x1000) {
        u8 want = s.fixed[fixed_index(pa)];
        if (mtrr_type_of_page(&s, pa) != want && bad++ < 5)
            CHECK_EQ(mtrr_type_of_page(&s, pa), want, "page %#llx", (unsigned long long)pa);
        /* Any address inside the page, too. */
        if (mtrr_type_of_page(&s, pa + 0xFFF) != want && bad++ < 5)
            CHECK_EQ(mtrr_type_of_page(&s, pa + 0xFFF), want, "byte %#llx", (unsigned long long)pa + 0xFFF);
    }
    CHECK(bad == 0, "%d fixed-range lookups wrong below 1 MiB", bad);
    CHECK_EQ(fixed_index(0xFFFFF), 87, "reference layout: last 4K range is entry 87");
    /* Boundaries by name. */
    s.fixed[7] = WT;
    s.fixed[8] = WC;
    s.fixed[23] = WP;
    s.fixed[24] = UC;
    s.fixed[87] = WP;
    CHECK_EQ(mtrr_type_of_page(&s, 0x7F000), WT, "0x7F000 is in MTRRfix64K_00000 entry 7");
    CHECK_EQ(mtrr_type_of_page(&s, 0x80000), WC, "0x80000 starts MTRRfix16K_80000");
    CHECK_EQ(mtrr_type_of_page(&s, 0xBC000), WP, "0xBC000 is the last 16K entry");
    CHECK_EQ(mtrr_type_of_page(&s, 0xC0000), UC, "0xC0000 starts the 4K entries");
    CHECK_EQ(mtrr_type_of_page(&s, 0xFF000), WP, "0xFF000 is the last 4K entry");
    CHECK_EQ(mtrr_type_of_page(&s, MIB), WB, "1 MiB is above the fixed ranges: variable WB");
}

TEST(mtrr_fixed_disabled_uses_variable)
{
    reset(UC);
    memset(s.fixed, WP, sizeof(s.fixed));
    add_var(0, 512 * 1024, WB);
    s.fixed_enabled = false;
    CHECK_EQ(mtrr_type_of_page(&s, 0), WB, "FE=0: page 0 from the variable range");
    CHECK_EQ(mtrr_type_of_page(&s, 0x7F000), WB, "FE=0: 0x7F000 from the variable range");
    CHECK_EQ(mtrr_type_of_page(&s, 0x80000), UC, "FE=0: 0x80000 from the default");
    s.fixed_enabled = true;
    CHECK_EQ(mtrr_type_of_page(&s, 0x80000), WP, "FE=1: 0x80000 fixed");
}

TEST(mtrr_variable_precedence)
{
    reset(WB);
    add_var(1 * GIB, 1 * GIB, WT);             /* 1-2 GiB WT */
    add_var(1 * GIB, 256 * MIB, WB);           /* overlaps: WT + WB -> WT */
    add_var(1 * GIB + 512 * MIB, 2 * MIB, UC); /* overlaps: UC wins */
    add_var(3 * GIB, 1 * GIB, UC);             /* 3-4 GiB UC */
    add_var(3 * GIB, 4 * MIB, WB);             /* UC + WB -> UC */
    add_var(8 * GIB, 1 * GIB, WC);             /* WC alone */
    add_var(8 * GIB, 2 * MIB, WC);             /* WC + WC -> WC */
    add_var(9 * GIB, 1 * GIB, WB);
    add_var(9 * GIB, 1 * GIB, WB);             /* WB + WB -> WB */
    add_var(10 * GIB, 1 * GIB, WB);
    add_var(10 * GIB, 1 * GIB, WT);            /* WB + WT (other order) -> WT */
    add_var(11 * GIB, 1 * GIB, WB);
    add_var(11 * GIB, 1 * GIB, WC);            /* WB + WC: undefined, UC is safe */
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB + 4096), WT, "WT + WB -> WT");
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB + 300 * MIB), WT, "WT alone");
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB + 512 * MIB), UC, "WT + UC -> UC");
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB + 514 * MIB), WT, "just past the UC range");
    CHECK_EQ(mtrr_type_of_page(&s, 3 * GIB), UC, "UC + WB -> UC");
    CHECK_EQ(mtrr_type_of_page(&s, 3 * GIB + 5 * MIB), UC, "UC alone");
    CHECK_EQ(mtrr_type_of_page(&s, 8 * GIB), WC, "WC + WC -> WC");
    CHECK_EQ(mtrr_type_of_page(&s, 9 * GIB), WB, "WB + WB -> WB");
    CHECK_EQ(mtrr_type_of_page(&s, 10 * GIB), WT, "WB + WT -> WT");
    CHECK_EQ(mtrr_type_of_page(&s, 11 * GIB), UC, "WB + WC -> UC");
    CHECK_EQ(mtrr_type_of_page(&s, 2 * GIB), WB, "no range: default WB");
    CHECK_EQ(mtrr_type_of_page(&s, 64 * GIB), WB, "no range, high: default WB");
}

TEST(mtrr_default_and_invalid_ranges)
{
    reset(UC);
    add_var(0, 2 * GIB, WB);
    s.variable[s.variable_count - 1].mask &= ~VALID; /* not valid: ignored */
    add_var(4 * GIB, 4 * GIB, WB);
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB), UC, "invalid range ignored, default UC");
    CHECK_EQ(mtrr_type_of_page(&s, 5 * GIB), WB, "valid range above 4 GiB");
    CHECK_EQ(mtrr_type_of_page(&s, 8 * GIB), UC, "just past it: default");
    CHECK_EQ(mtrr_type_of_page(&s, 4 * GIB - 4096), UC, "just below it: default");
    s.default_type = WT;
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB), WT, "default WT");
}

TEST(mtrr_disabled_is_uc)
{
    reset(WB);
    add_var(0, 4 * GIB, WB);
    s.enabled = false;
    CHECK_EQ(mtrr_type_of_page(&s, 0), UC, "E=0: page 0 UC despite fixed WB");
    CHECK_EQ(mtrr_type_of_page(&s, 0xC0000), UC, "E=0: 0xC0000 UC");
    CHECK_EQ(mtrr_type_of_page(&s, 1 * GIB), UC, "E=0: 1 GiB UC despite a WB range and default WB");
    u8 t = 0xEE;
    CHECK(mtrr_range_uniform(&s, 0, 2 * MIB, &t) && t == UC, "E=0: [0, 2 MiB) uniform UC (got %u)", t);
    t = 0xEE;
    CHECK(mtrr_range_uniform(&s, 1 * GIB, 2 * MIB, &t) && t == UC, "E=0: 2 MiB at 1 GiB uniform UC");
}

static bool uniform(u64 base, u64 size, u8 *type)
{
    *type = 0xEE;
    return mtrr_range_uniform(&s, base, size, type);
}

TEST(mtrr_uniform_2mib_ranges)
{
    u8 t;
    reset(UC);
    add_var(0, 4 * GIB, WB);
    add_var(3 * GIB, 1 * GIB, UC);
    CHECK(uniform(2 * MIB, 2 * MIB, &t) && t == WB, "plain WB 2 MiB (type %u)", t);
    CHECK(uniform(3 * GIB - 2 * MIB, 2 * MIB, &t) && t == WB, "2 MiB just below the UC GiB");
    CHECK(uniform(3 * GIB, 2 * MIB, &t) && t == UC, "2 MiB at the start of the UC GiB");
    CHECK(uniform(4 * GIB, 2 * MIB, &t) && t == UC, "above every range: default UC");
    /* A 4 KiB UC range inside one 2 MiB range: only that one is mixed. */
    add_var(1 * GIB + 0x101000, 0x1000, UC);
    CHECK(!uniform(1 * GIB, 2 * MIB, &t), "2 MiB holding a 4 KiB UC range is not uniform");
    CHECK(uniform(1 * GIB + 2 * MIB, 2 * MIB, &t) && t == WB, "the next 2 MiB is uniform WB");
    CHECK(uniform(1 * GIB - 2 * MIB, 2 * MIB, &t) && t == WB, "the previous 2 MiB is uniform WB");
    /* A 1 MiB WT range at the start of a 2 MiB range. */
    add_var(2 * GIB, 1 * MIB, WT);
    CHECK(!uniform(2 * GIB, 2 * MIB, &t), "2 MiB half WT half WB is not uniform");
    /* A 2 MiB-aligned 2 MiB WT range: uniform WT. */
    add_var(2 * GIB + 4 * MIB, 2 * MIB, WT);
    CHECK(uniform(2 * GIB + 4 * MIB, 2 * MIB, &t) && t == WT, "exact 2 MiB WT range");
    /* The first page differs from the rest. */
    add_var(2 * GIB + 8 * MIB, 0x1000, UC);
    CHECK(!uniform(2 * GIB + 8 * MIB, 2 * MIB, &t), "first page UC, rest WB: not uniform");
    /* The last page differs. */
    add_var(2 * GIB + 12 * MIB - 0x1000, 0x1000, WT);
    CHECK(!uniform(2 * GIB + 10 * MIB, 2 * MIB, &t), "last page WT, rest WB: not uniform");
}

TEST(mtrr_uniform_below_1mib)
{
    u8 t;
    reset(UC);
    add_var(0, 4 * GIB, WB);
    /* All fixed WB and variable WB above: [0, 2 MiB) uniform WB. */
    CHECK(uniform(0, 2 * MIB, &t) && t == WB, "fixed all WB + variable WB: uniform WB (type %u)", t);
    /* Mixed fixed types (legacy VGA hole UC at 0xA0000). */
    for (u64 pa = 0xA0000; pa < 0xC0000; pa += 0x4000)
        s.fixed[fixed_index(pa)] = UC;
    CHECK(!uniform(0, 2 * MIB, &t), "VGA hole UC below 1 MiB: not uniform");
    /* Only the last 4K fixed entry differs. */
    reset(UC);
    add_var(0, 4 * GIB, WB);
    s.fixed[87] = WP;
    CHECK(!uniform(0, 2 * MIB, &t), "last 4K fixed entry WP: not uniform");
    /* Fixed all WB but 1-2 MiB falls to default UC. */
    reset(UC);
    add_var(0, 1 * MIB, WB);
    CHECK(!uniform(0, 2 * MIB, &t), "fixed WB below 1 MiB, default UC above: not uniform");
    /* Fixed all UC and variable UC: uniform UC. */
    reset(UC);
    memset(s.fixed, UC, sizeof(s.fixed));
    CHECK(uniform(0, 2 * MIB, &t) && t == UC, "everything UC: uniform UC");
    /* Fixed ranges disabled: the variable range decides. */
    reset(UC);
    memset(s.fixed, WP, sizeof(s.fixed));
    s.fixed[3] = UC;
    add_var(0, 4 * GIB, WB);
    s.fixed_enabled = false;
    CHECK(uniform(0, 2 * MIB, &t) && t == WB, "FE=0: variable WB decides below 1 MiB");
}

/* Brute force reference: every page of the range through mtrr_type_of_page. */
static bool brute_uniform(u64 base, u64 size, u8 *type)
{
    u8 first = mtrr_type_of_page(&s, base);
    for (u64 pa = base; pa < base + size; pa += 0x1000)
        if (mtrr_type_of_page(&s, pa) != first)
            return false;
    *type = first;
    return true;
}

TEST(mtrr_uniform_random_configs)
{
    u64 seed = 0xC0FFEEull;
    int bad = 0, n = 0, nonuniform = 0;
    for (int cfg = 0; cfg < 40; cfg++) {
        reset(types[test_rand64(&seed) % 5]);
        s.fixed_enabled = test_rand64(&seed) & 1;
        for (u32 i = 0; i < MTRR_FIXED_COUNT; i++)
            s.fixed[i] = (test_rand64(&seed) % 4) ? WB : types[test_rand64(&seed) % 5];
        u32 nv = 1 + (u32)(test_rand64(&seed) % 10);
        u64 starts[16];
        for (u32 v = 0; v < nv; v++) {
            u64 size = 1ull << (12 + test_rand64(&seed) % 21); /* 4 KiB .. 4 GiB */
            u64 base = (test_rand64(&seed) % (16 * GIB)) & ~(size - 1);
            add_var(base, size, types[test_rand64(&seed) % 5]);
            starts[v] = base;
        }
        for (int k = 0; k < 48; k++) {
            u64 base = (k < (int)nv) ? starts[k] & ~(2 * MIB - 1)
                                     : (test_rand64(&seed) % (16 * GIB)) & ~(2 * MIB - 1);
            if (k == 47)
                base = 0;
            u8 t1 = 0xEE, t2 = 0xEF;
            bool u1 = mtrr_range_uniform(&s, base, 2 * MIB, &t1);
            bool u2 = brute_uniform(base, 2 * MIB, &t2);
            n++;
            nonuniform += !u2;
            if ((u1 != u2 || (u1 && t1 != t2)) && bad++ < 5)
                CHECK(0, "config %d base %#llx: uniform %d type %u, brute force %d type %u", cfg,
                      (unsigned long long)base, u1, t1, u2, t2);
        }
    }
    CHECK(bad == 0, "%d of %d random 2 MiB ranges disagree with the page-by-page answer", bad, n);
    CHECK(nonuniform > 0, "the random configurations include non-uniform ranges (%d)", nonuniform);
}

TEST(mtrr_state_equal_compares_what_matters)
{
    struct mtrr_state a, b;
    reset(WB);
    add_var(0x80000000ull, 2 * GIB, UC);
    a = s;
    b = s;
    CHECK(mtrr_state_equal(&a, &b), "a snapshot equals itself");
    b.variable[0].base = 0x80000000ull | WC;
    CHECK(!mtrr_state_equal(&a, &b), "a variable range's type differs");
    b = a;
    b.fixed[5] = UC;
    CHECK(!mtrr_state_equal(&a, &b), "a fixed range differs");
    a.fixed_enabled = b.fixed_enabled = false;
    CHECK(mtrr_state_equal(&a, &b), "fixed ranges do not matter while they are off");
    b = a;
    b.variable[1].base = 0x1234000ull; /* not valid: its base does not matter */
    CHECK(mtrr_state_equal(&a, &b), "an invalid variable range's bits do not matter");
    b.default_type = UC;
    CHECK(!mtrr_state_equal(&a, &b), "the default type differs");
    a.enabled = b.enabled = false;
    CHECK(mtrr_state_equal(&a, &b), "with the MTRRs off everything is UC in both");
    b.enabled = true;
    CHECK(!mtrr_state_equal(&a, &b), "off against on");
}

TEST(mtrr_msr_is_the_sdm_list)
{
    CHECK(mtrr_msr_is(0x2FF, 8), "IA32_MTRR_DEF_TYPE");
    CHECK(mtrr_msr_is(0x250, 8) && mtrr_msr_is(0x258, 8) && mtrr_msr_is(0x259, 8), "64K and 16K fixed");
    int n = 0;
    for (u32 m = 0x268; m <= 0x26F; m++)
        n += mtrr_msr_is(m, 8);
    CHECK_EQ(n, 8, "the eight 4K fixed MSRs");
    CHECK(mtrr_msr_is(0x200, 8) && mtrr_msr_is(0x20F, 8), "PHYSBASE0 .. PHYSMASK7 with 8 ranges");
    CHECK(!mtrr_msr_is(0x210, 8), "PHYSBASE8 is not an MTRR with 8 ranges");
    CHECK(mtrr_msr_is(0x210, 10) && !mtrr_msr_is(0x214, 10), "10 ranges end at PHYSMASK9");
    CHECK(!mtrr_msr_is(0x240, 255), "VCNT above 32 is capped");
    CHECK(!mtrr_msr_is(0x251, 8) && !mtrr_msr_is(0x25A, 8) && !mtrr_msr_is(0x270, 8) && !mtrr_msr_is(0x277, 8) &&
              !mtrr_msr_is(0x1FF, 8) && !mtrr_msr_is(0xFE, 8),
          "neighbours, IA32_PAT and IA32_MTRRCAP are not");
}
