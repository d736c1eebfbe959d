/* hv/mem/identity_map.c: how far the host page tables and EPT reach. */
#include "check.h"
#include "hv/mem/identity_map.h"

#define GIB (1ull << 30)

TEST(identity_map_phys_bits_from_cpuid)
{
    CHECK_EQ(identity_map_phys_bits(0x80000008u, 0x3027), 39, "a laptop: 39 bits (EAX 0x3027)");
    CHECK_EQ(identity_map_phys_bits(0x80000008u, 0x302E), 46, "a Xeon: 46 bits");
    CHECK_EQ(identity_map_phys_bits(0x80000008u, 0x3934), 52, "MAXPHYADDR 52");
    CHECK_EQ(identity_map_phys_bits(0x80000004u, 0x302E), 36, "no leaf 0x80000008: 36 (SDM)");
    CHECK_EQ(identity_map_phys_bits(0x80000008u, 0), 36, "0 is not believed");
    CHECK_EQ(identity_map_phys_bits(0x80000008u, 0x40), 36, "64 is not believed");
}

TEST(identity_map_reach_follows_maxphyaddr)
{
    CHECK_EQ(identity_map_top(36, true), 64 * GIB, "36 bits: 64 GiB");
    CHECK_EQ(identity_map_top(39, false), 512 * GIB, "39 bits: 512 GiB, with or without 1-GiB pages");
    CHECK_EQ(identity_map_top(40, true), 1024 * GIB, "40 bits (Bochs): 1 TiB, past the old 512 GiB");
    CHECK_EQ(identity_map_top(46, true), 1ull << 46, "46 bits: 64 TiB");
    CHECK_EQ(identity_map_top(46, false), 512 * GIB, "no 1-GiB pages: 512 GiB");
    CHECK_EQ(identity_map_top(52, true), 1ull << 48, "52 bits: 256 TiB, all 4-level paging reaches");
    CHECK_EQ(identity_map_pml4_entries(64 * GIB), 1, "64 GiB: one PML4 entry");
    CHECK_EQ(identity_map_pml4_entries(512 * GIB), 1, "512 GiB: one");
    CHECK_EQ(identity_map_pml4_entries(1024 * GIB), 2, "1 TiB: two");
    CHECK_EQ(identity_map_pml4_entries(1ull << 46), 128, "64 TiB: 128");
    CHECK_EQ(identity_map_pml4_entries(1ull << 48), 512, "256 TiB: the whole PML4");
    /* Budget: the largest reach, plus what the caller asks for. */
    CHECK_EQ(identity_map_pages_needed(39, 512, 0), 1 + 1 + 512, "39 bits, a directory per GiB");
    CHECK_EQ(identity_map_pages_needed(46, 512, 256), 1 + 128 + 512 + 256, "46 bits with EPT's split budget");
    CHECK_EQ(identity_map_pages_needed(52, 0, 0), 1 + 512, "52 bits: 512 PDPTs at most");
}

TEST(identity_map_page_holds_the_apic)
{
    CHECK(identity_map_page_holds(3 * GIB, GIB, 0xFEE00000ull), "GiB 3 holds the xAPIC page");
    CHECK(!identity_map_page_holds(4 * GIB, GIB, 0xFEE00000ull), "GiB 4 does not");
    CHECK(identity_map_page_holds(0xFEE00000ull, 1ull << 21, 0xFEE00000ull), "its 2 MiB, first byte");
    CHECK(!identity_map_page_holds(0xFEA00000ull, 1ull << 21, 0xFEE00000ull), "the 2 MiB below: its end is excluded");
    CHECK(!identity_map_page_holds((1ull << 48) - GIB, GIB, 0), "no wrap at the top of the space");
}
