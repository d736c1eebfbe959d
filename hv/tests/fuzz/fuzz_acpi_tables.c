/*
 * fuzz_acpi_tables: the RSDP/XSDT/MADT builder (boot/acpi_tables.c) on
 * random platforms, read back the way an OS reads them.
 *
 * fuzz-sources: boot/acpi_tables.c
 * fuzz-max-len: 512
 *
 * Input: nr_cpus (also 0 and > ACPI_MAX_CPUS), APIC IDs, LAPIC and I/O APIC
 * addresses, I/O APIC ID, the buffer's physical address. The tables are built
 * into a buffer of exactly acpi_tables_size() bytes (ASan catches a write
 * past it). Checked:
 *   - -1 exactly for nr_cpus 0 or > ACPI_MAX_CPUS (and nothing written);
 *     else 0;
 *   - RSDP: "RSD PTR ", revision 2, both checksums, length 36, XSDT address;
 *   - XSDT at that address: signature, length, checksum, one entry: the MADT;
 *   - MADT: signature, length ends exactly at the buffer's end, checksum,
 *     LAPIC address; its entries, walked by their length bytes, stay inside
 *     the table, and are: one Processor Local APIC per CPU in order (UID i,
 *     enabled, the CPU's APIC ID, see below), one I/O APIC (ID, address,
 *     GSI base 0), one override ISA IRQ 0 -> GSI 2.
 * APIC IDs >= 256 do not fit a Processor Local APIC entry (8 bits; x2APIC
 * IDs need type-9 entries): only IDs < 256 are compared here.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "boot/acpi_tables.h"

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    struct acpi_platform p;
    memset(&p, 0, sizeof(p));

    uint8_t sel = fin_u8(&f);
    p.nr_cpus = (sel & 0x80) ? fin_u32(&f) : fin_u8(&f) % (ACPI_MAX_CPUS + 2);
    for (uint32_t i = 0; i < ACPI_MAX_CPUS; i++)
        p.apic_ids[i] = (sel & 1) ? fin_u32(&f) : fin_u8(&f);
    p.local_apic_address = (sel & 2) ? fin_u32(&f) : 0xFEE00000u;
    p.ioapic_address = (sel & 4) ? fin_u32(&f) : 0xFEC00000u;
    p.ioapic_id = fin_u8(&f);
    uint64_t phys = fin_u64(&f) & 0x000FFFFFFFFFFFF0ull; /* 16-byte aligned, below 2^52 */

    bool usable = p.nr_cpus >= 1 && p.nr_cpus <= ACPI_MAX_CPUS;
    size_t n = usable ? acpi_tables_size(&p) : 256;
    uint8_t *buf = malloc(n);
    memset(buf, 0xEE, n);
    long r = acpi_build_tables(&p, buf, phys);
    if (!usable) {
        FUZZ_CHECK(r == -1, "nr_cpus %u accepted", p.nr_cpus);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(buf[i] == 0xEE, "nr_cpus %u refused but byte %zu written", p.nr_cpus, i);
        free(buf);
        return 0;
    }
    FUZZ_CHECK(r == 0, "nr_cpus %u: result %ld", p.nr_cpus, r);

    /* RSDP */
    const uint8_t *rsdp = buf;
    FUZZ_CHECK(memcmp(rsdp, "RSD PTR ", 8) == 0 && rsdp[15] == 2, "RSDP signature/revision");
    FUZZ_CHECK(sum(rsdp, 20) == 0 && sum(rsdp, 36) == 0, "RSDP checksums");
    FUZZ_CHECK(get(rsdp + 20, 4) == 36, "RSDP length %llu", (unsigned long long)get(rsdp + 20, 4));
    uint64_t xsdt_phys = get(rsdp + 24, 8);
    FUZZ_CHECK(xsdt_phys >= phys && xsdt_phys - phys + 36 <= n && (xsdt_phys & 15) == 0, "XSDT at 0x%llx",
               (unsigned long long)xsdt_phys);

    /* XSDT */
    const uint8_t *xsdt = buf + (xsdt_phys - phys);
    uint32_t xlen = (uint32_t)get(xsdt + 4, 4);
    FUZZ_CHECK(memcmp(xsdt, "XSDT", 4) == 0 && xlen == 36 + 8 && (size_t)(xsdt - buf) + xlen <= n,
               "XSDT header, length %u", xlen);
    FUZZ_CHECK(sum(xsdt, xlen) == 0, "XSDT checksum");
    uint64_t madt_phys = get(xsdt + 36, 8);
    FUZZ_CHECK(madt_phys >= phys && madt_phys - phys + 44 <= n, "MADT at 0x%llx", (unsigned long long)madt_phys);

    /* MADT */
    const uint8_t *madt = buf + (madt_phys - phys);
    uint32_t mlen = (uint32_t)get(madt + 4, 4);
    FUZZ_CHECK(memcmp(madt, "APIC", 4) == 0 && (size_t)(madt - buf) + mlen == n,
               "MADT header, length %u, buffer %zu", mlen, n);
    FUZZ_CHECK(sum(madt, mlen) == 0, "MADT checksum");
    FUZZ_CHECK(get(madt + 36, 4) == p.local_apic_address, "MADT LAPIC address");
    uint32_t cpus = 0, ioapics = 0, overrides = 0;
    for (size_t off = 44; off < mlen;) {
        FUZZ_CHECK(off + 2 <= mlen, "MADT entry header at %zu past the end %u", off, mlen);
        const uint8_t *e = madt + off;
        FUZZ_CHECK(e[1] >= 2 && off + e[1] <= mlen, "MADT entry at %zu: length %u, table %u", off, e[1], mlen);
        switch (e[0]) {
        case 0:
            FUZZ_CHECK(e[1] == 8 && ioapics == 0 && overrides == 0, "local APIC entry at %zu", off);
            FUZZ_CHECK(cpus < p.nr_cpus && e[2] == cpus && get(e + 4, 4) == 1, "local APIC %u", cpus);
            if (p.apic_ids[cpus] < 256)
                FUZZ_CHECK(e[3] == p.apic_ids[cpus], "CPU %u: APIC ID %u in the MADT, %u on the platform", cpus,
                           e[3], p.apic_ids[cpus]);
            cpus++;
            break;
        case 1:
            FUZZ_CHECK(e[1] == 12 && e[2] == p.ioapic_id && get(e + 4, 4) == p.ioapic_address && get(e + 8, 4) == 0,
                       "I/O APIC entry");
            ioapics++;
            break;
        case 2:
            FUZZ_CHECK(e[1] == 10 && e[2] == 0 && e[3] == 0 && get(e + 4, 4) == 2, "override entry");
            overrides++;
            break;
        default:
            FUZZ_CHECK(0, "MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    FUZZ_CHECK(cpus == p.nr_cpus && ioapics == 1 && overrides == 1, "MADT: %u CPUs of %u, %u I/O APICs, %u overrides",
               cpus, p.nr_cpus, ioapics, overrides);
    free(buf);
    return 0;
}
