/* boot/acpi_tables.c: the RSDP/XSDT/MADT set installed when firmware has none. */
#include <string.h>
#include "check.h"
#include "boot/acpi_tables.h"

static uint8_t buf[4096] __attribute__((aligned(16)));

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int sums_to_zero(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

TEST(acpi_tables_layout)
{
    struct acpi_platform p = { .nr_cpus = 3, .apic_ids = { 0, 2, 5 }, .local_apic_address = 0xFEE00000u,
                               .ioapic_address = 0xFEC00000u, .ioapic_id = 4 };
    const uint64_t phys = 0x7F000000ull;
    size_t size = acpi_tables_size(&p);
    CHECK(size <= sizeof(buf), "tables fit");
    CHECK_EQ(acpi_build_tables(&p, buf, phys), 0, "built");

    const uint8_t *rsdp = buf;
    CHECK(!memcmp(rsdp, "RSD PTR ", 8), "RSDP signature");
    CHECK(sums_to_zero(rsdp, 20), "RSDP checksum over the ACPI 1.0 part");
    CHECK(sums_to_zero(rsdp, 36), "RSDP extended checksum");
    CHECK_EQ(rsdp[15], 2, "RSDP revision 2 (XSDT)");
    CHECK_EQ(get(rsdp + 20, 4), 36, "RSDP length");
    uint64_t xsdt_phys = get(rsdp + 24, 8);
    CHECK(xsdt_phys > phys && xsdt_phys % 16 == 0, "XSDT inside the buffer, 16-byte aligned");

    const uint8_t *xsdt = buf + (xsdt_phys - phys);
    CHECK(!memcmp(xsdt, "XSDT", 4), "XSDT signature");
    CHECK_EQ(get(xsdt + 4, 4), 44, "XSDT length: header + one entry");
    CHECK(sums_to_zero(xsdt, 44), "XSDT checksum");
    uint64_t madt_phys = get(xsdt + 36, 8);

    const uint8_t *madt = buf + (madt_phys - phys);
    uint32_t len = (uint32_t)get(madt + 4, 4);
    CHECK(!memcmp(madt, "APIC", 4), "MADT signature");
    CHECK(madt_phys - phys + len <= size, "MADT inside the size reported");
    CHECK(sums_to_zero(madt, len), "MADT checksum");
    CHECK_EQ(get(madt + 36, 4), 0xFEE00000u, "local APIC address");
    CHECK_EQ(get(madt + 40, 4), 1, "PCAT_COMPAT");
    /* Walk the entries. */
    unsigned lapics = 0, ioapics = 0, overrides = 0;
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = madt + off;
        CHECK(e[1] >= 2 && off + e[1] <= len, "entry %u fits", off);
        if (e[1] < 2)
            break;
        if (e[0] == 0) {
            CHECK_EQ(e[3], p.apic_ids[lapics], "local APIC %u id", lapics);
            CHECK_EQ(e[2], lapics, "processor UID %u", lapics);
            CHECK_EQ(get(e + 4, 4) & 1, 1, "local APIC %u enabled", lapics);
            lapics++;
        } else if (e[0] == 1) {
            CHECK_EQ(e[2], 4, "I/O APIC id");
            CHECK_EQ(get(e + 4, 4), 0xFEC00000u, "I/O APIC address");
            CHECK_EQ(get(e + 8, 4), 0, "GSI base 0");
            ioapics++;
        } else if (e[0] == 2) {
            CHECK(e[3] == 0 && get(e + 4, 4) == 2, "IRQ 0 -> GSI 2");
            overrides++;
        }
        off += e[1];
    }
    CHECK(lapics == 3 && ioapics == 1 && overrides == 1, "3 local APICs, 1 I/O APIC, 1 override (got %u/%u/%u)",
          lapics, ioapics, overrides);
}

TEST(acpi_tables_refuse_bad_input)
{
    struct acpi_platform none = { .nr_cpus = 0 };
    CHECK_EQ(acpi_build_tables(&none, buf, 0x1000), (uint64_t)-1, "no CPUs: refused");
    struct acpi_platform many = { .nr_cpus = ACPI_MAX_CPUS + 1 };
    CHECK_EQ(acpi_build_tables(&many, buf, 0x1000), (uint64_t)-1, "too many CPUs: refused");
}
