#ifndef EXITVISOR_RELOCATE_H
#define EXITVISOR_RELOCATE_H
#include <efi.h>
typedef EFI_STATUS (*image_entry)(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
/* Copy this image into EfiRuntimeServicesCode memory, fix its absolute
 * pointers for the new address and call `entry` inside the copy. Returns
 * the status of the copy; *entry_status gets what `entry` returned. */
EFI_STATUS run_from_runtime_copy(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, image_entry entry,
                                 EFI_STATUS *entry_status);
#endif
