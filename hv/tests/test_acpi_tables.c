/* boot/acpi_tables.c: the RSDP/XSDT/MADT set installed when firmware has none. */
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
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
    /* GRUB 2.06 reads (length - 36) / 4 = 2 eight-byte entries: the word
     * after the XSDT must also name a table inside the buffer, and not an
     * FADT (GRUB would take its PM timer from it). */
    uint64_t guard = get(xsdt + 44, 8);
    CHECK(guard > phys && guard + 36 <= phys + size, "the word after the XSDT names a table in the buffer");
    CHECK(guard == madt_phys, "the MADT again");
    CHECK(memcmp(buf + (guard - phys), "FACP", 4) != 0, "not an FADT");
    CHECK(madt_phys >= xsdt_phys + 52, "the MADT does not overlap the guard word");

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

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A firmware-style table set: RSDP -> XSDT (or RSDT) -> [APIC, FACP],
 * below 4 GiB so the RSDT's 32-bit entries can point at it. */
static uint8_t *fw;

static const uint8_t *firmware_tables(int revision, uint32_t pm1a, uint32_t pm1b, uint32_t fadt_length,
                                      uint8_t x_space, uint64_t x_pm1a)
{
    if (!fw) {
        fw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (fw == MAP_FAILED)
            abort();
    }
    memset(fw, 0, 1024);
    uint8_t *rsdp = fw, *sdt = fw + 64, *madt = fw + 128, *fadt = fw + 256;
    memcpy(rsdp, "RSD PTR ", 8);
    rsdp[15] = (uint8_t)revision;
    put_le(rsdp + 16, (uint64_t)(uintptr_t)sdt, 4); /* RSDT (only read for revision 0) */
    if (revision >= 2)
        put_le(rsdp + 24, (uint64_t)(uintptr_t)sdt, 8);
    int entry = revision >= 2 ? 8 : 4;
    memcpy(sdt, revision >= 2 ? "XSDT" : "RSDT", 4);
    put_le(sdt + 4, 36 + 2 * (uint32_t)entry, 4);
    put_le(sdt + 36, (uint64_t)(uintptr_t)madt, entry);
    put_le(sdt + 36 + entry, (uint64_t)(uintptr_t)fadt, entry);
    memcpy(madt, "APIC", 4);
    put_le(madt + 4, 44, 4);
    memcpy(fadt, "FACP", 4);
    put_le(fadt + 4, fadt_length, 4);
    put_le(fadt + 64, pm1a, 4);
    put_le(fadt + 68, pm1b, 4);
    fadt[172] = x_space;
    put_le(fadt + 176, x_pm1a, 8);
    return rsdp;
}

TEST(acpi_pm1_control_ports)
{
    uint16_t ports[2];
    CHECK_EQ(acpi_find_pm1_control_ports(firmware_tables(2, 0x604, 0, 276, 1, 0x604), ports), 1, "QEMU q35 style");
    CHECK(ports[0] == 0x604 && ports[1] == 0, "PM1a 0x604, no PM1b (got %#x %#x)", ports[0], ports[1]);
    CHECK_EQ(acpi_find_pm1_control_ports(firmware_tables(0, 0xB004, 0xB104, 116, 0, 0), ports), 2,
             "ACPI 1.0: RSDT with 32-bit entries, both blocks");
    CHECK(ports[0] == 0xB004 && ports[1] == 0xB104, "PM1a/PM1b (got %#x %#x)", ports[0], ports[1]);
    CHECK_EQ(acpi_find_pm1_control_ports(firmware_tables(2, 0, 0, 276, 1, 0x1804), ports), 1,
             "only X_PM1a_CNT_BLK, in I/O space");
    CHECK_EQ(ports[0], 0x1804, "taken from the generic address");
    CHECK_EQ(acpi_find_pm1_control_ports(firmware_tables(2, 0, 0, 276, 0, 0xFED00004ull), ports), 0,
             "X_PM1a_CNT_BLK in memory space: not a port");
    CHECK_EQ(acpi_find_pm1_control_ports(firmware_tables(2, 0x12345, 0, 276, 0, 0), ports), 0,
             "a value past 0xFFFF is no I/O port");
    CHECK_EQ(acpi_find_pm1_control_ports(NULL, ports), 0, "no RSDP (Bochs + OVMF): nothing");
    const uint8_t *rsdp = firmware_tables(2, 0x604, 0, 276, 0, 0);
    memcpy(fw + 256, "XXXX", 4);
    CHECK_EQ(acpi_find_pm1_control_ports(rsdp, ports), 0, "no FACP among the tables");
    rsdp = firmware_tables(2, 0x604, 0, 276, 0, 0);
    fw[0] = 'X';
    CHECK_EQ(acpi_find_pm1_control_ports(rsdp, ports), 0, "bad RSDP signature");
    CHECK(ports[0] == 0 && ports[1] == 0, "ports cleared");
}

/* A DSDT at fw + 640 whose AML is `aml`, named by the FADT's 32-bit DSDT
 * field or (x_dsdt) its 64-bit X_DSDT. */
static const uint8_t *firmware_tables_with_dsdt(const uint8_t *aml, size_t aml_len, int x_dsdt)
{
    const uint8_t *rsdp = firmware_tables(2, 0x604, 0, 276, 1, 0x604);
    uint8_t *fadt = fw + 256, *dsdt = fw + 640;
    memcpy(dsdt, "DSDT", 4);
    put_le(dsdt + 4, 36 + aml_len, 4);
    memcpy(dsdt + 36, aml, aml_len);
    if (x_dsdt)
        put_le(fadt + 140, (uint64_t)(uintptr_t)dsdt, 8);
    else
        put_le(fadt + 40, (uint64_t)(uintptr_t)dsdt, 4);
    return rsdp;
}

TEST(acpi_s5_sleep_type_from_the_dsdt)
{
    /* Name (_S5_, Package (0x04) { 0x05, 0x05, Zero, Zero }) as iasl emits
     * it for QEMU's piix4 (S5 = 5)... */
    static const uint8_t qemu_piix4[] = { 0x10, 0x09, '\\', '_', 'S', 'B', '_', /* an unrelated scope first */
                                          0x08, '_', 'S', '5', '_', 0x12, 0x0A, 0x04, 0x0A, 0x05, 0x0A, 0x05,
                                          0x00, 0x00 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(qemu_piix4, sizeof(qemu_piix4)), 5, "BytePrefix 5");
    /* ...q35 (S5 = 0: ZeroOp), and a root-prefixed name with One. */
    static const uint8_t q35[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(q35, sizeof(q35)), 0, "ZeroOp");
    static const uint8_t rooted_one[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x01, 0x01 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(rooted_one, sizeof(rooted_one)), 1, "\\_S5_ with OneOp");
    /* A two-byte PkgLength (bits 7-6 = 01) is skipped whole. */
    static const uint8_t long_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x46, 0x00, 0x04, 0x0A, 0x07 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(long_pkg, sizeof(long_pkg)), 7, "two-byte PkgLength");
    /* Only _S3_ and _S4_, a name that is a method, an AML that ends early. */
    static const uint8_t s3_only[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x0A, 0x01 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(s3_only, sizeof(s3_only)), -1, "no _S5_");
    static const uint8_t method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xA4, 0x00 };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(method, sizeof(method)), -1, "_S5_ not a package");
    static const uint8_t cut[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0A };
    CHECK_EQ(acpi_s5_sleep_type_in_aml(cut, sizeof(cut)), -1, "BytePrefix with its byte cut off");
    CHECK_EQ(acpi_s5_sleep_type_in_aml(cut, 0), -1, "empty AML");

    /* Through RSDP -> XSDT -> FADT -> DSDT. */
    CHECK_EQ(acpi_find_s5_sleep_type(firmware_tables_with_dsdt(qemu_piix4, sizeof(qemu_piix4), 0)), 5,
             "FADT.DSDT (32-bit)");
    CHECK_EQ(acpi_find_s5_sleep_type(firmware_tables_with_dsdt(rooted_one, sizeof(rooted_one), 1)), 1,
             "FADT.X_DSDT (64-bit)");
    const uint8_t *rsdp = firmware_tables_with_dsdt(q35, sizeof(q35), 0);
    memcpy(fw + 640, "SSDT", 4);
    CHECK_EQ(acpi_find_s5_sleep_type(rsdp), -1, "the FADT points at no DSDT");
    CHECK_EQ(acpi_find_s5_sleep_type(firmware_tables(2, 0x604, 0, 276, 1, 0x604)), -1, "FADT without a DSDT");
    CHECK_EQ(acpi_find_s5_sleep_type(NULL), -1, "no RSDP (Bochs + OVMF)");
}
