#include "serial.h"
#include "../arch/x86.h"

#define COM1 0x3F8
#define UART_THR 0      /* transmit holding register */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40 /* holding register and shift register both empty */
#define UART_LCR_DLAB 0x80

void serial_init(void)
{
    /* 115200 8N1, FIFOs on; the same settings OVMF uses, so re-programming
     * does not disturb the firmware's own serial console. */
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + 0, 0x01); /* divisor low: 115200 baud */
    outb(COM1 + 1, 0x00); /* divisor high */
    outb(COM1 + UART_LCR, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + UART_FCR, 0xC7);
    outb(COM1 + UART_MCR, 0x0B);
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing UART must not hang the hypervisor. */
    for (u32 spins = 0; spins < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); spins++)
        cpu_pause();
    outb(COM1 + UART_THR, (u8)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void serial_drain(void)
{
    /* Bounded like serial_putc: about 16 bytes of FIFO at 115200 baud on
     * real hardware, far fewer polls under an emulator. */
    for (u32 spins = 0; spins < 1000000 && !(inb(COM1 + UART_LSR) & UART_LSR_TEMT); spins++)
        cpu_pause();
}
