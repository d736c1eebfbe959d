/* hv/mem/page_walk.c: the guest's paging walked over a fake physical memory. */
#include <string.h>
#include "check.h"
#include "hv/mem/page_walk.h"
#include "hv/arch/x86.h"
#include "hv/arch/msr.h"

#define P (1ull << 0)
#define RW (1ull << 1)
#define PS (1ull << 7)
#define NX (1ull << 63)
#define GIB (1ull << 30)
#define MIB (1ull << 20)

/* Fake physical memory: a few 4-KiB table pages at made-up addresses. */
#define TABLES 8
static u64 table_pa[TABLES];
static u64 table[TABLES][512];
static unsigned reads;

static u64 read_fake(u64 pa)
{
    reads++;
    for (int i = 0; i < TABLES; i++)
        if (pa >= table_pa[i] && pa < table_pa[i] + 4096)
            return table[i][(pa - table_pa[i]) / 8];
    return 0; /* not a table: reads as not present */
}

static void reset(void)
{
    memset(table, 0, sizeof(table));
    for (int i = 0; i < TABLES; i++)
        table_pa[i] = 0x100000ull + 0x1000ull * (u64)(i * 3 + 1); /* scattered, 4-KiB aligned */
    reads = 0;
}

static const struct guest_paging lm4 = { CR0_PG | 1, 0, CR4_PAE, EFER_LME | EFER_LMA };

static bool walk(const struct guest_paging *p, u64 linear, u64 *pa)
{
    return page_walk(p, linear, pa, read_fake);
}

TEST(page_walk_paging_off)
{
    struct guest_paging off = { 1, 0, 0, 0 };
    u64 pa = 0;
    CHECK(walk(&off, 0x12345678ull, &pa) && pa == 0x12345678ull, "identity below 4 GiB");
    CHECK(walk(&off, 0xABCD00001234ull, &pa) && pa == 0x1234ull, "only the low 32 bits count");
    CHECK_EQ(reads, 0u, "no table read");
}

TEST(page_walk_32bit_paging_refused)
{
    struct guest_paging pae32 = { CR0_PG | 1, 0x1000, CR4_PAE, 0 };
    u64 pa = 0;
    CHECK(!walk(&pae32, 0x1000, &pa), "32-bit (PAE) paging is not supported: false, not a guess");
}

TEST(page_walk_4k_2m_1g)
{
    reset();
    struct guest_paging p = lm4;
    p.cr3 = table_pa[0] | 0x18; /* PCD/PWT bits are not part of the address */
    u64 lin4k = 0xFFFF888000201ABCull;
    /* 0xFFFF888000201ABC: PML4 index 273, PDPT 0, PD 1, PT 1, offset 0xABC */
    table[0][273] = table_pa[1] | P | RW | NX;
    table[1][0] = table_pa[2] | P;
    table[2][1] = table_pa[3] | P;
    table[3][1] = 0x7654321000ull | P | NX;
    u64 pa = 0;
    CHECK(walk(&p, lin4k, &pa), "4-KiB page present");
    CHECK_EQ(pa, 0x7654321ABCull, "4-KiB page: frame + offset, NX and flags masked");
    CHECK_EQ(reads, 4u, "4 levels read");

    /* A 2-MiB page at PD index 2. */
    table[2][2] = 0x40000000ull | P | PS;
    CHECK(walk(&p, 0xFFFF888000400000ull + 0x12345, &pa) && pa == 0x40000000ull + 0x12345, "2-MiB page");
    /* A 1-GiB page at PDPT index 1. */
    table[1][1] = 0x80000000ull | P | PS;
    CHECK(walk(&p, 0xFFFF888040000000ull + 0x3456789, &pa) && pa == 0x80000000ull + 0x3456789, "1-GiB page");
    /* PS in a PTE is PAT, not a page size: still a 4-KiB page. */
    table[3][2] = 0x5000ull | P | PS;
    CHECK(walk(&p, 0xFFFF888000202010ull, &pa) && pa == 0x5010ull, "PTE bit 7 is PAT");
}

TEST(page_walk_not_present)
{
    reset();
    struct guest_paging p = lm4;
    p.cr3 = table_pa[0];
    table[0][0] = table_pa[1] | P;
    table[1][0] = table_pa[2]; /* PD pointer without P */
    u64 pa = 0xDEAD;
    CHECK(!walk(&p, 0x1000, &pa), "not-present PDPTE");
    CHECK(!walk(&p, 0x8000000000ull, &pa), "not-present PML4E");
}

TEST(page_walk_5_level)
{
    reset();
    struct guest_paging p = lm4;
    p.cr4 |= CR4_LA57;
    p.cr3 = table_pa[0];
    u64 lin = (3ull << 48) | (5ull << 39) | 0x234ull; /* PML5 3, PML4 5, PDPT 0, PD 0, PT 0 */
    table[0][3] = table_pa[1] | P;
    table[1][5] = table_pa[2] | P;
    table[2][0] = table_pa[3] | P;
    table[3][0] = table_pa[4] | P;
    table[4][0] = 0x99000ull | P;
    u64 pa = 0;
    CHECK(walk(&p, lin, &pa) && pa == 0x99234ull, "5-level walk");
    CHECK_EQ(reads, 5u, "5 levels read");
    p.cr4 &= ~CR4_LA57;
    CHECK(!walk(&p, lin, &pa), "the same tables read as 4-level do not map it");
}

/* A microcode update is handed to the CPU by one physical address: the
 * guest's buffer must be one contiguous run (hv/guest/guest_microcode.c). */
TEST(page_walk_run_contiguous_or_not)
{
    reset();
    struct guest_paging p = lm4;
    p.cr3 = table_pa[0];
    table[0][0] = table_pa[1] | P;
    table[1][0] = table_pa[2] | P;
    table[2][0] = table_pa[3] | P;
    /* Linear pages 1..3 at physical 0x200000.., page 4 elsewhere, page 5 absent. */
    for (u64 i = 1; i <= 3; i++)
        table[3][i] = (0x200000ull + (i - 1) * 0x1000) | P;
    table[3][4] = 0x900000ull | P;
    u64 pa = 0;
    CHECK(page_walk_run(&p, 0x1030, 0x2000, &pa, read_fake) && pa == 0x200030, "three pages in a row, from an offset");
    CHECK(page_walk_run(&p, 0x1FF0, 0x10, &pa, read_fake) && pa == 0x200FF0, "a run ending at a page's end");
    CHECK(!page_walk_run(&p, 0x3F00, 0x200, &pa, read_fake), "into a page that lies elsewhere");
    CHECK(!page_walk_run(&p, 0x4F00, 0x200, &pa, read_fake), "into a page that is not present");
    CHECK(!page_walk_run(&p, 0x1000, 0, &pa, read_fake), "an empty run");
    CHECK(!page_walk_run(&p, ~0ull - 0x10, 0x100, &pa, read_fake), "a run past the top of the address space");
    /* A 2-MiB page holds a run that crosses its 4-KiB boundaries. */
    table[2][1] = 0x40000000ull | P | PS;
    CHECK(page_walk_run(&p, 0x200800, 0x30000, &pa, read_fake) && pa == 0x40000800ull, "inside one 2-MiB page");
    struct guest_paging off = { 1, 0, 0, 0 };
    CHECK(page_walk_run(&off, 0x100000, 0x5000, &pa, read_fake) && pa == 0x100000, "paging off: physical = linear");
}
