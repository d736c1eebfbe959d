/*
 * I/O instructions. Only the ports through which a guest resets or powers
 * off the machine exit (I/O bitmaps, io_bitmap_init): the hypervisor prints
 * its exit table before the counts are lost, then performs the access for
 * the guest. Ports: 0xCF9 (reset control), 0x8900 (Bochs' shutdown port)
 * and 0xF4 (QEMU's isa-debug-exit). Not the keyboard controller's 0x64,
 * although its command 0xFE resets too: its status is polled and the bitmap
 * cannot tell reads from writes.
 * The bitmap is consulted for every byte an access touches (SDM Vol. 3C,
 * "Instructions That Cause VM Exits Conditionally"), so each 4-byte access
 * to the PCI configuration-address port 0xCF8 spans 0xCF9 and exits as
 * well: measured, those are nearly all of a Linux boot's ~24,000 I/O
 * exits. They are performed unchanged like any other.
 * Qualification layout: SDM Vol. 3C Table 28-5.
 */
#include "handlers.h"
#include "../guest.h"
#include "../vmcs.h"
#include "../diag.h"
#include "../log.h"
#include "../serial.h"

#define IO_QUAL_SIZE(q) (((q) & 7) + 1) /* 1, 2 or 4 bytes; the SDM defines no other */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_STRING (1u << 4)
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))

#define PORT_RESET_CONTROL 0xCF9
#define PORT_BOCHS_SHUTDOWN 0x8900
#define PORT_QEMU_DEBUG_EXIT 0xF4

static const u16 watched_ports[] = { PORT_RESET_CONTROL, PORT_BOCHS_SHUTDOWN, PORT_QEMU_DEBUG_EXIT };

void io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b)
{
    for (u32 i = 0; i < ARRAY_LEN(watched_ports); i++) {
        u16 port = watched_ports[i];
        u8 *bitmap = port < 0x8000 ? bitmap_a : bitmap_b;
        u16 bit = port & 0x7FFF;
        bitmap[bit / 8] |= (u8)(1u << (bit % 8));
    }
}

/* Does this OUT end the machine (reset or power-off)? */
static bool ends_the_machine(u16 port, u32 value)
{
    switch (port) {
    case PORT_RESET_CONTROL: return (value & 0x04) != 0;  /* RST_CPU */
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
        if (ends_the_machine(port, value)) {
            hv_log("cpu %u the guest resets or powers off the machine (OUT 0x%x to port 0x%x); exit table:",
                   v->index, value, port);
            print_exit_table(v);
            serial_drain();
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
