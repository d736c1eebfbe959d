/*
 * I/O instructions. Only ports through which a guest powers off the
 * machine exit (I/O bitmaps, io_bitmap_init), so that the hypervisor can
 * print its exit table before the counts are lost, then perform the access
 * for the guest: 0x8900 (Bochs' shutdown port), 0xF4 (QEMU's
 * isa-debug-exit) and the ACPI PM1 control ports the firmware's FADT names
 * (sleep and soft-off). No hot path shares them.
 * The reset-control port 0xCF9 only with watch_reset_port=yes: the bitmap
 * is consulted for every byte an access touches (SDM Vol. 3C, "Instructions
 * That Cause VM Exits Conditionally"), so each 4-byte access to the PCI
 * configuration-address port 0xCF8 spans 0xCF9 and exits as well: 24,439
 * extra exits in a 2-vCPU Linux boot (README). A reset through 0xCF9 is
 * otherwise not seen; a triple fault and an INIT to the boot CPU still are.
 * Not the keyboard controller's 0x64 either: its status is polled and the
 * bitmap cannot tell reads from writes.
 * Every I/O exit is one exitvisor caused (hv/exit_dispatch.c counts them as
 * its own). Qualification layout: SDM Vol. 3C Table 28-5.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../platform/log.h"

#define IO_QUAL_SIZE(q) (((q) & 7) + 1) /* 1, 2 or 4 bytes; the SDM defines no other */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_STRING (1u << 4)
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))

#define PORT_RESET_CONTROL 0xCF9
#define PORT_BOCHS_SHUTDOWN 0x8900
#define PORT_QEMU_DEBUG_EXIT 0xF4

#define PM1_CNT_SLP_EN (1u << 13)
#define PM1_CNT_SLP_TYP_SHIFT 10

static void watch(u8 *bitmap_a, u8 *bitmap_b, u16 port)
{
    u8 *bitmap = port < 0x8000 ? bitmap_a : bitmap_b;
    u16 bit = port & 0x7FFF;
    bitmap[bit / 8] |= (u8)(1u << (bit % 8));
}

void io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b, const struct hv_options *opt)
{
    watch(bitmap_a, bitmap_b, PORT_BOCHS_SHUTDOWN);
    watch(bitmap_a, bitmap_b, PORT_QEMU_DEBUG_EXIT);
    if (opt->watch_reset_port)
        watch(bitmap_a, bitmap_b, PORT_RESET_CONTROL);
    for (u32 i = 0; i < ARRAY_LEN(opt->pm1_control_ports); i++) {
        u16 port = opt->pm1_control_ports[i];
        if (port && port < 0xFFFF) {
            watch(bitmap_a, bitmap_b, port); /* a 16-bit register: SLP_EN is in its high byte */
            watch(bitmap_a, bitmap_b, (u16)(port + 1));
        }
    }
}

/* Does this OUT end the machine (reset, power-off or sleep)? For a PM1
 * control write with SLP_EN, *sleep_type gets its SLP_TYP (bits 12:10);
 * otherwise -1. */
static bool ends_the_machine(u16 port, u32 value, u32 size, int *sleep_type)
{
    *sleep_type = -1;
    for (u32 i = 0; i < ARRAY_LEN(hv->opt.pm1_control_ports); i++) {
        u16 pm1 = hv->opt.pm1_control_ports[i];
        if (!pm1)
            continue;
        u32 reg; /* the 16-bit register as this write sets it */
        if (port == pm1 && size >= 2)
            reg = value;
        else if (port == pm1 + 1)
            reg = value << 8; /* a byte write to its high half */
        else
            continue;
        if (!(reg & PM1_CNT_SLP_EN))
            return false;
        *sleep_type = (int)((reg >> PM1_CNT_SLP_TYP_SHIFT) & 7);
        return true;
    }
    switch (port) {
    case PORT_RESET_CONTROL: return hv->opt.watch_reset_port && (value & 0x04) != 0; /* RST_CPU */
    case PORT_BOCHS_SHUTDOWN: return (value & 0xFF) == 'S'; /* first byte of "Shutdown" */
    case PORT_QEMU_DEBUG_EXIT: return true;
    default: return false;
    }
}

void handle_io_instruction(struct vcpu *v)
{
    u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
    u32 size = IO_QUAL_SIZE(q);
    u16 port = IO_QUAL_PORT(q);

    if (q & IO_QUAL_STRING) {
        log_exit(v, "I/O");
        vcpu_stop(v, "string I/O (INS/OUTS) to a port exitvisor watches: not emulated");
    }
    if (size != 1 && size != 2 && size != 4) {
        log_exit(v, "I/O");
        vcpu_stop(v, "I/O exit with an access size the SDM does not define");
    }
    if (q & IO_QUAL_IN) {
        u64 rax = v->regs->rax;
        if (size == 1)
            rax = (rax & ~0xFFull) | inb(port);
        else if (size == 2)
            rax = (rax & ~0xFFFFull) | inw(port);
        else
            rax = inl(port); /* a 32-bit result clears RAX[63:32] */
        v->regs->rax = rax;
    } else {
        u32 value = (u32)v->regs->rax & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
        int sleep_type;
        if (ends_the_machine(port, value, size, &sleep_type)) {
            /* Any sleep type but S5's is a sleep state (S3, S4): the machine
             * loses VMX state, and the firmware resumes the OS bare. */
            if (sleep_type >= 0 && hv->opt.s5_sleep_type < 0)
                hv_log("cpu %u the guest sets SLP_EN with SLP_TYP %d; the DSDT's \\_S5_ could not be read, so this "
                       "is power-off or a sleep state exitvisor does not survive", v->index, sleep_type);
            else if (sleep_type >= 0 && sleep_type != hv->opt.s5_sleep_type)
                hv_log("cpu %u the guest puts the machine to sleep (SLP_TYP %d; S5 is %d): exitvisor does not "
                       "survive suspend or hibernation; after resume the OS runs without it",
                       v->index, sleep_type, hv->opt.s5_sleep_type);
            hv_log("cpu %u the guest resets or powers off the machine (OUT 0x%x to port 0x%x); exit table:",
                   v->index, value, port);
            print_exit_table(v);
            print_timeline(v);
            hv_log_drain();
        }
        if (size == 1)
            outb(port, (u8)value);
        else if (size == 2)
            outw(port, (u16)value);
        else
            outl(port, value);
    }
    guest_skip_instruction(v);
}
