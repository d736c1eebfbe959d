/*
 * uefi_guest — helpers shared by the UEFI guest apps (probe, conform, bench):
 * load-option search and power-off. See uefi_guest.h.
 *
 * Built with -DGNU_EFI_USE_MS_ABI: EFIAPI function pointers are called
 * directly. Neither function executes CPUID, so calling them does not
 * disturb the exit counts the apps measure.
 */
#include <efi.h>
#include <efilib.h>

#include "uefi_guest.h"

#ifndef HAVE_USE_MS_ABI
#error "build the guest apps with -DGNU_EFI_USE_MS_ABI: they call EFIAPI pointers directly"
#endif

BOOLEAN guest_text_has(const CHAR16 *s, UINTN len, const CHAR16 *opt)
{
    UINTN olen = 0, i, k;

    while (opt[olen])
        olen++;
    for (i = 0; i + olen <= len; i++) {
        for (k = 0; k < olen && s[i + k] == opt[k]; k++)
            ;
        if (k == olen)
            return TRUE;
    }
    return FALSE;
}

/* LoadOptions is a CHAR16 buffer of LoadOptionsSize bytes; it may start
 * with the image name and need not be NUL-terminated, so search it by
 * length rather than as a C string. */
BOOLEAN guest_has_option(EFI_HANDLE image, const CHAR16 *opt)
{
    EFI_LOADED_IMAGE *li = NULL;

    if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (VOID **)&li)) ||
        li == NULL || li->LoadOptions == NULL)
        return FALSE;
    return guest_text_has(li->LoadOptions, li->LoadOptionsSize / sizeof(CHAR16), opt);
}

static inline void outb(UINT16 port, UINT8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline UINT8 inb(UINT16 port)
{
    UINT8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

#define COM1_LSR            0x3FD   /* line status register of the UART at 0x3F8 */
#define LSR_TEMT            0x40    /* transmitter empty: holding and shift registers */
#define DRAIN_POLLS_MAX     1000000u

/* Wait until COM1 has sent its last byte: OVMF's serial driver only hands
 * bytes to the UART, which sends them over (emulated) time, and an emulator
 * told to exit right away can drop the last line. Bounded, so a missing or
 * stuck UART cannot hang the power-off. */
static void drain_uart(void)
{
    UINT32 polls;

    for (polls = 0; polls < DRAIN_POLLS_MAX; polls++)
        if (inb(COM1_LSR) & LSR_TEMT)
            break;
}

void guest_power_off(void)
{
    const char *p;

    drain_uart();
    /* The UART is empty; give Bochs a moment to flush its log file too. */
    BS->Stall(10000);
    /* Bochs: the ASCII string "Shutdown" written to port 0x8900 exits the
     * emulator (OVMF's ResetSystem(EfiResetShutdown) hangs there). */
    for (p = "Shutdown"; *p; p++)
        outb(0x8900, (UINT8)*p);
    /* QEMU with -device isa-debug-exit,iobase=0xf4: exits with status
     * (value << 1) | 1, i.e. 1 for 0. */
    outb(0xf4, 0x00);
    /* Anything else, including real hardware. */
    RT->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
}
