/*
 * uefi_guest — helpers shared by the UEFI guest apps (probe, conform, bench).
 *
 * Load-option search and the power-off sequence that ends an emulator run
 * once the guest has printed its last line.
 */
#ifndef EXITVISOR_GUEST_UEFI_GUEST_H
#define EXITVISOR_GUEST_UEFI_GUEST_H

#include <efi.h>

/* Is opt (e.g. L"--poweroff") anywhere in the image's load options? */
BOOLEAN guest_has_option(EFI_HANDLE image, const CHAR16 *opt);

/* Drain COM1, then end the emulator (Bochs shutdown port, QEMU
 * isa-debug-exit) or, failing both, ask the firmware to shut down. Only
 * returns if all of those fail. */
void guest_power_off(void);

#endif
