#ifndef EXITVISOR_RELOCATE_H
#define EXITVISOR_RELOCATE_H
#include <efi.h>

/* The hypervisor's own copy of this image, in EfiRuntimeServicesCode. */
struct runtime_copy {
    UINT8 *base;
    UINTN pages;
    INTN delta; /* copy address - original address of any symbol */
};

/* Copy this image into EfiRuntimeServicesCode memory and fix its absolute
 * pointers for the new address. Call it first thing, before any statically
 * initialized pointer is changed at run time. */
EFI_STATUS copy_image_to_runtime(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct runtime_copy *out);

/* The copy's instance of a function (or variable) of this image. */
#define IN_RUNTIME_COPY(rc, sym) ((__typeof__(&(sym)))((UINT8 *)&(sym) + (rc)->delta))
#endif
