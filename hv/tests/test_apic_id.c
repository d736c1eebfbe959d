/* hv/guest/apic_id.c: which APIC ID a vCPU is known by. */
#include "check.h"
#include "hv/guest/apic_id.h"

TEST(apic_id_prefers_the_x2apic_id)
{
    CHECK_EQ(apic_id_from_cpuid(0x16, 0x03100800u, 0x2, 0x3), 3, "leaf 0xB: its EDX (the same as the 8-bit ID here)");
    CHECK_EQ(apic_id_from_cpuid(0x1F, 0x2C100800u, 0x1, 300), 300, "ID 300: the 8-bit field says 0x2C, 0xB says 300");
    CHECK_EQ(apic_id_from_cpuid(0x0D, 0x05100800u, 0, 0), 5, "no leaf 0xB (max leaf 0xD): the 8-bit ID");
    CHECK_EQ(apic_id_from_cpuid(0x16, 0x07100800u, 0, 0), 7, "leaf 0xB not valid (EBX[15:0] = 0): the 8-bit ID");
}
