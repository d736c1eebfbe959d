/*
 * poweroff-vm — end the emulated machine from the Linux guest's init.
 *
 * In order, stopping at the first that works (each later one only runs if
 * the machine is still there):
 *   1. tcdrain(1): wait until the console (ttyS0) has sent everything, so
 *      the last lines reach the serial log before the emulator exits;
 *   2. Bochs: the ASCII string "Shutdown" written to port 0x8900 (needs
 *      ioperm); the emulator exits at once;
 *   3. QEMU with -device isa-debug-exit,iobase=0xf4 (tools/run.sh adds it):
 *      a write of 0 to port 0xf4 exits with status 1;
 *   4. reboot(RB_POWER_OFF): the portable power-off through ACPI or
 *      whatever Linux has. Under Bochs + OVMF without ACPI tables this may
 *      only halt; the two ports above are what actually ends an emulator.
 * Needs root (CAP_SYS_RAWIO for ioperm, CAP_SYS_BOOT for reboot): init is.
 *
 * Build: gcc -static -O2 guest/linux/poweroff-vm.c -o poweroff-vm
 * Exit status 1 if everything failed (it does not normally return).
 */
#include <stdio.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_DEBUG_EXIT_PORT 0xf4

static void pause_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

int main(void)
{
    const char *p;

    printf("poweroff-vm: ending the machine\n");
    fflush(stdout);
    fflush(stderr);
    sync();
    /* The 8250 driver's tcdrain waits for the transmitter to be empty. It
     * fails harmlessly if stdout is not a terminal. */
    tcdrain(1);
    tcdrain(2);
    /* Bochs writes COM1 to its file on its own schedule: a moment more. */
    pause_ms(100);

    if (ioperm(BOCHS_SHUTDOWN_PORT, 1, 1) == 0) {
        for (p = "Shutdown"; *p; p++)
            outb((unsigned char)*p, BOCHS_SHUTDOWN_PORT);
    } else {
        perror("poweroff-vm: ioperm(0x8900)");
    }
    if (ioperm(QEMU_DEBUG_EXIT_PORT, 1, 1) == 0)
        outb(0x00, QEMU_DEBUG_EXIT_PORT);
    else
        perror("poweroff-vm: ioperm(0xf4)");

    /* Still here: neither emulator port ended the machine. */
    pause_ms(100);
    fprintf(stderr, "poweroff-vm: no emulator exit port answered; reboot(RB_POWER_OFF)\n");
    tcdrain(2);
    reboot(RB_POWER_OFF);
    perror("poweroff-vm: reboot(RB_POWER_OFF)");
    return 1;
}
