/* RSDP 2.0, XSDT and MADT as the ACPI 6.x specification lays them out
 * (sections 5.2.5, 5.2.8 and 5.2.12). */
#include "acpi_tables.h"

#define RSDP_SIZE 36
#define SDT_HEADER_SIZE 36
#define XSDT_SIZE (SDT_HEADER_SIZE + 8)
#define MADT_FIXED_SIZE (SDT_HEADER_SIZE + 8)
#define MADT_LOCAL_APIC_SIZE 8
#define MADT_IO_APIC_SIZE 12
#define MADT_OVERRIDE_SIZE 10

static void put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_text(uint8_t *p, const char *s, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)s[i];
}

uint8_t acpi_checksum(const uint8_t *bytes, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + bytes[i]);
    return (uint8_t)(0 - sum);
}

static size_t madt_size(const struct acpi_platform *p)
{
    return MADT_FIXED_SIZE + p->nr_cpus * MADT_LOCAL_APIC_SIZE + MADT_IO_APIC_SIZE + MADT_OVERRIDE_SIZE;
}

size_t acpi_tables_size(const struct acpi_platform *p)
{
    /* RSDP padded to 48 so the XSDT stays 16-byte aligned; 64 for the XSDT
     * and the guard word after it (acpi_build_tables). */
    return 48 + 64 + madt_size(p);
}

static void sdt_header(uint8_t *t, const char *signature, uint32_t length, uint8_t revision)
{
    put_text(t, signature, 4);
    put(t + 4, length, 4);
    t[8] = revision;
    t[9] = 0; /* checksum, filled in last */
    put_text(t + 10, "EXITVR", 6);          /* OEM ID */
    put_text(t + 16, "EXITVISR", 8);        /* OEM table ID */
    put(t + 24, 1, 4);                      /* OEM revision */
    put_text(t + 28, "EXV ", 4);            /* creator ID */
    put(t + 32, 1, 4);                      /* creator revision */
}

long acpi_build_tables(const struct acpi_platform *p, uint8_t *buf, uint64_t buf_phys)
{
    if (p->nr_cpus == 0 || p->nr_cpus > ACPI_MAX_CPUS)
        return -1;
    for (size_t i = 0; i < acpi_tables_size(p); i++)
        buf[i] = 0;
    uint8_t *rsdp = buf, *xsdt = buf + 48, *madt = buf + 112;

    /* MADT: local APICs, one I/O APIC, ISA IRQ 0 -> GSI 2 (the PIT is wired
     * to I/O APIC input 2 on PC chipsets). */
    uint32_t madt_len = (uint32_t)madt_size(p);
    sdt_header(madt, "APIC", madt_len, 5);
    put(madt + 36, p->local_apic_address, 4);
    put(madt + 40, 1, 4); /* PCAT_COMPAT: the 8259s exist */
    uint8_t *e = madt + MADT_FIXED_SIZE;
    for (uint32_t i = 0; i < p->nr_cpus; i++, e += MADT_LOCAL_APIC_SIZE) {
        e[0] = 0; /* Processor Local APIC */
        e[1] = MADT_LOCAL_APIC_SIZE;
        e[2] = (uint8_t)i; /* ACPI processor UID */
        e[3] = (uint8_t)p->apic_ids[i];
        put(e + 4, 1, 4); /* enabled */
    }
    e[0] = 1; /* I/O APIC */
    e[1] = MADT_IO_APIC_SIZE;
    e[2] = p->ioapic_id;
    put(e + 4, p->ioapic_address, 4);
    put(e + 8, 0, 4); /* global system interrupt base */
    e += MADT_IO_APIC_SIZE;
    e[0] = 2; /* Interrupt Source Override */
    e[1] = MADT_OVERRIDE_SIZE;
    e[2] = 0; /* ISA bus */
    e[3] = 0; /* IRQ 0 */
    put(e + 4, 2, 4); /* GSI 2 */
    put(e + 8, 0, 2); /* flags: bus defaults */
    madt[9] = acpi_checksum(madt, madt_len);

    sdt_header(xsdt, "XSDT", XSDT_SIZE, 1);
    put(xsdt + SDT_HEADER_SIZE, buf_phys + 112, 8);
    xsdt[9] = acpi_checksum(xsdt, XSDT_SIZE);
    /* GRUB 2.06 (grub_acpi_xsdt_find_table, run at start-up to find the
     * FADT's PM timer) counts XSDT entries as (length - 36) / 4 and so reads
     * as many 8-byte words past the table as it has entries: make the one
     * after ours a table it can read (the MADT again; it is not an FADT). */
    put(xsdt + XSDT_SIZE, buf_phys + 112, 8);

    put_text(rsdp, "RSD PTR ", 8);
    put_text(rsdp + 9, "EXITVR", 6);
    rsdp[15] = 2; /* ACPI 2.0+ */
    put(rsdp + 16, 0, 4); /* no RSDT: XSDT only */
    put(rsdp + 20, RSDP_SIZE, 4);
    put(rsdp + 24, buf_phys + 48, 8);
    rsdp[8] = acpi_checksum(rsdp, 20);
    rsdp[32] = acpi_checksum(rsdp, RSDP_SIZE);
    return 0;
}

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int is_signature(const uint8_t *t, const char *sig)
{
    return t[0] == sig[0] && t[1] == sig[1] && t[2] == sig[2] && t[3] == sig[3];
}

/* FADT (ACPI 6.x 5.2.9): PM1a_CNT_BLK at 64, PM1b_CNT_BLK at 68 (32-bit
 * I/O ports); from revision 2 on, X_PM1a_CNT_BLK at 172 and X_PM1b_CNT_BLK
 * at 184 (generic address structures: space id 1 = system I/O). */
static int fadt_pm1_ports(const uint8_t *fadt, uint16_t ports[2])
{
    uint32_t length = (uint32_t)get(fadt + 4, 4);
    int found = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t port = length >= 72 ? get(fadt + 64 + 4 * i, 4) : 0;
        uint32_t gas = 172 + 12 * (uint32_t)i;
        if (!port && length >= gas + 12 && fadt[gas] == 1)
            port = get(fadt + gas + 4, 8);
        ports[i] = port && port < 0x10000 ? (uint16_t)port : 0;
        found += ports[i] != 0;
    }
    return found;
}

/* The FADT, found from the RSDP through the XSDT (or an ACPI 1.0 RSDT). */
static const uint8_t *find_fadt(const uint8_t *rsdp)
{
    if (!rsdp || !is_signature(rsdp, "RSD ") || !is_signature(rsdp + 4, "PTR "))
        return NULL;
    int xsdt = rsdp[15] >= 2 && get(rsdp + 24, 8) != 0;
    const uint8_t *sdt = (const uint8_t *)(uintptr_t)(xsdt ? get(rsdp + 24, 8) : get(rsdp + 16, 4));
    int entry_size = xsdt ? 8 : 4;
    if (!sdt || !is_signature(sdt, xsdt ? "XSDT" : "RSDT"))
        return NULL;
    uint32_t length = (uint32_t)get(sdt + 4, 4);
    for (uint32_t off = SDT_HEADER_SIZE; off + (uint32_t)entry_size <= length; off += (uint32_t)entry_size) {
        const uint8_t *t = (const uint8_t *)(uintptr_t)get(sdt + off, entry_size);
        if (t && is_signature(t, "FACP"))
            return t;
    }
    return NULL;
}

int acpi_find_pm1_control_ports(const uint8_t *rsdp, uint16_t ports[2])
{
    ports[0] = ports[1] = 0;
    const uint8_t *fadt = find_fadt(rsdp);
    return fadt ? fadt_pm1_ports(fadt, ports) : 0;
}

/* One AML data object that can hold a sleep type: BytePrefix n, Zero, One. */
static int aml_small_integer(const uint8_t *p, const uint8_t *end)
{
    if (p < end && p[0] == 0x00)
        return 0; /* ZeroOp */
    if (p < end && p[0] == 0x01)
        return 1; /* OneOp */
    if (p + 1 < end && p[0] == 0x0A)
        return p[1] & 7; /* BytePrefix: SLP_TYP is three bits */
    return -1;
}

int acpi_s5_sleep_type_in_aml(const uint8_t *aml, size_t len)
{
    const uint8_t *end = aml + len;
    for (const uint8_t *p = aml; p + 5 <= end; p++) {
        /* Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}): "_S5_" then
         * PackageOp 0x12, PkgLength (bits 7-6 of its first byte: how many
         * more bytes follow), NumElements, then the elements (ACPI 6.x
         * 20.2.5.4 and 7.4.2). The name may be preceded by NameOp 0x08 or a
         * root or parent prefix; only what follows it is read. */
        if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_' || p[4] != 0x12)
            continue;
        const uint8_t *q = p + 5;
        if (q >= end)
            break;
        q += 1 + (q[0] >> 6); /* PkgLength */
        q += 1;               /* NumElements */
        int typ = aml_small_integer(q, end);
        if (typ >= 0)
            return typ;
    }
    return -1;
}

int acpi_find_s5_sleep_type(const uint8_t *rsdp)
{
    const uint8_t *fadt = find_fadt(rsdp);
    if (!fadt)
        return -1;
    /* DSDT at 40 (32-bit); from revision 2 on X_DSDT at 140 (64-bit), which wins when set. */
    uint32_t fadt_length = (uint32_t)get(fadt + 4, 4);
    uint64_t dsdt = fadt_length >= 44 ? get(fadt + 40, 4) : 0;
    if (fadt_length >= 148 && get(fadt + 140, 8))
        dsdt = get(fadt + 140, 8);
    const uint8_t *t = (const uint8_t *)(uintptr_t)dsdt;
    if (!t || !is_signature(t, "DSDT"))
        return -1;
    uint32_t length = (uint32_t)get(t + 4, 4);
    if (length <= SDT_HEADER_SIZE)
        return -1;
    return acpi_s5_sleep_type_in_aml(t + SDT_HEADER_SIZE, length - SDT_HEADER_SIZE);
}
