/*
 * uefi_guest — helpers shared by the UEFI guest apps (probe, conform, bench).
 *
 * Load-option search, the power-off sequence that ends an emulator run
 * once the guest has printed its last line, and interrupt masking around
 * measured windows.
 */
#ifndef EXITVISOR_GUEST_UEFI_GUEST_H
#define EXITVISOR_GUEST_UEFI_GUEST_H

#include <efi.h>

/* Is opt (e.g. L"--poweroff") anywhere in the image's load options? */
BOOLEAN guest_has_option(EFI_HANDLE image, const CHAR16 *opt);
/* Does the CHAR16 text s (len characters, maybe not NUL-terminated) contain
 * opt? guest_has_option's search, for text read from elsewhere (a file). */
BOOLEAN guest_text_has(const CHAR16 *s, UINTN len, const CHAR16 *opt);

/* Drain COM1, then end the emulator (Bochs shutdown port, QEMU
 * isa-debug-exit) or, failing both, ask the firmware to shut down. Only
 * returns if all of those fail. */
void guest_power_off(void);

/* Interrupts off around a measured window, so that no firmware interrupt
 * handler (and, under exitvisor, its EOI write to the write-protected xAPIC
 * page, an exit of its own) lands inside it; restore turns them back on
 * only if they were on. */
static inline UINT64 irq_save(void)
{
    UINT64 flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(UINT64 flags)
{
    if (flags & (1u << 9)) /* RFLAGS.IF */
        __asm__ volatile("sti" : : : "memory");
}

#endif
