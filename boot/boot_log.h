/*
 * The boot's lines beyond COM1: on the screen while exitvisor's boot code
 * runs (a machine without a serial port still shows what happened), and
 * into the hypervisor's log ring at the hand-off, where a guest reads them
 * (leaf 0x40000008: `exvprobe log`, the UEFI probe).
 */
#ifndef EXITVISOR_BOOT_LOG_H
#define EXITVISOR_BOOT_LOG_H
#include <efi.h>

/* From now on hv_log keeps the boot code's lines and shows them on every
 * text console that is not a serial terminal (those get COM1's copy). */
void boot_log_start(void);
/* The boot CPU runs as exitvisor's guest now: the hand-off may use VMCALL. */
void boot_log_bsp_is_guest(void);
/* Just before the next stage starts: give the lines to the hypervisor (one
 * VMCALL, when the boot CPU is its guest) and leave the screen to the next
 * stage. */
void boot_log_hand_off(void);
#endif
