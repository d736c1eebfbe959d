/*
 * A minimal ACPI table set (RSDP 2.0 -> XSDT -> MADT) for firmware that has
 * none: OVMF under Bochs gets its ACPI tables from QEMU's fw_cfg, which Bochs
 * lacks, and an OS then finds no MADT and runs on one CPU. Installed only
 * when the firmware publishes no ACPI table at all; on QEMU and real
 * machines the firmware's own tables are right and are left alone.
 * Building is pure (host-tested); installing is in boot/main.c.
 */
#ifndef EXITVISOR_ACPI_TABLES_H
#define EXITVISOR_ACPI_TABLES_H
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 64

struct acpi_platform {
    uint32_t nr_cpus;
    uint32_t apic_ids[ACPI_MAX_CPUS]; /* as EFI_MP_SERVICES reports them */
    uint32_t local_apic_address;      /* IA32_APIC_BASE, usually 0xFEE00000 */
    uint32_t ioapic_address;          /* 0xFEC00000 on PC chipsets */
    uint8_t ioapic_id;                /* read from the I/O APIC itself */
};

/* Bytes needed for the tables of `p`. */
size_t acpi_tables_size(const struct acpi_platform *p);
/* Write RSDP, XSDT and MADT into buf (at least acpi_tables_size bytes,
 * 16-byte aligned), whose physical address is buf_phys. Returns the offset
 * of the RSDP in buf (0), or -1 when p is unusable. */
long acpi_build_tables(const struct acpi_platform *p, uint8_t *buf, uint64_t buf_phys);
/* The firmware's own tables: the PM1a and PM1b control ports (I/O space)
 * that the FADT names, found from the RSDP through the XSDT (or the RSDT
 * of an ACPI 1.0 RSDP). Physical addresses are read as pointers (UEFI's
 * identity map). Returns how many ports it found (0 when there is no FADT
 * or its blocks are not in I/O space); ports[i] = 0 for a missing one. */
int acpi_find_pm1_control_ports(const uint8_t *rsdp, uint16_t ports[2]);
/* SLP_TYPa of the S5 (soft-off) state: the first element of the DSDT's
 * \_S5_ package, so that a PM1 write with SLP_EN can be told apart: S5 is
 * power-off, any other type a sleep state (S3 suspend, S4 hibernate) after
 * which the firmware resumes the OS without exitvisor. -1 when there is no
 * DSDT or no _S5_ package the byte scan can read. */
int acpi_find_s5_sleep_type(const uint8_t *rsdp);
/* The scan itself, over AML bytes (the DSDT after its header). */
int acpi_s5_sleep_type_in_aml(const uint8_t *aml, size_t len);
/* The ACPI checksum rule: all bytes of a table sum to 0 (mod 256). */
uint8_t acpi_checksum(const uint8_t *bytes, size_t len);
#endif
