/*
 * Where the hypervisor's code lives, and why.
 *
 * The firmware loads an application into EfiLoaderCode, which the OS takes
 * back after ExitBootServices. A runtime driver's image survives, but
 * SetVirtualAddressMap re-relocates it for the OS's virtual addresses, which
 * would break host code that runs with its own identity-mapped page tables.
 * So exitvisor is an ordinary application that, first thing, copies its
 * whole loaded image into pages of type EfiRuntimeServicesCode (kept by the
 * OS, never re-relocated because no firmware driver owns them) and applies
 * its own ELF relocations (R_X86_64_RELATIVE, the only kind a gnu-efi image
 * has) for the new base.
 *
 * Two instances of the same code then have two jobs. The copy is the
 * hypervisor: boot code calls into it only to prepare and to launch a CPU,
 * and every VM exit runs there. The original keeps running the boot code
 * (next-stage choice, MP services, chain-loading) as the guest, before and
 * after each CPU is launched. So no guest ever needs the copy, and EPT can
 * make it unreachable (hv/mem/ept.c); the original is just firmware-owned
 * memory that returns to the OS like any application's.
 */
#include <efi.h>
#include <efilib.h>
#include <elf.h>
#include "relocate.h"

extern Elf64_Dyn _DYNAMIC[];
extern char ImageBase[];

static EFI_STATUS apply_relocations(UINT8 *new_base, UINT8 *old_base)
{
    Elf64_Dyn *dyn = (Elf64_Dyn *)(new_base + ((UINT8 *)_DYNAMIC - old_base));
    UINT64 rela_off = 0, rela_size = 0, rela_ent = sizeof(Elf64_Rela);
    UINT64 delta = (UINT64)(new_base - old_base);

    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_RELA)
            rela_off = dyn->d_un.d_ptr; /* link-time address: the image is linked at 0 */
        else if (dyn->d_tag == DT_RELASZ)
            rela_size = dyn->d_un.d_val;
        else if (dyn->d_tag == DT_RELAENT)
            rela_ent = dyn->d_un.d_val;
    }
    for (UINT64 off = 0; off < rela_size; off += rela_ent) {
        Elf64_Rela *r = (Elf64_Rela *)(new_base + rela_off + off);
        switch (ELF64_R_TYPE(r->r_info)) {
        case R_X86_64_NONE:
            break;
        case R_X86_64_RELATIVE:
            /* The slot already holds old_base + addend (the loader applied it). */
            *(UINT64 *)(new_base + r->r_offset) += delta;
            break;
        default:
            return EFI_UNSUPPORTED;
        }
    }
    return EFI_SUCCESS;
}

EFI_STATUS copy_image_to_runtime(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct runtime_copy *out)
{
    static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
    EFI_LOADED_IMAGE *li = NULL;
    EFI_PHYSICAL_ADDRESS copy = 0;
    EFI_STATUS s;

    s = st->BootServices->HandleProtocol(image, &loaded_image_guid, (void **)&li);
    if (EFI_ERROR(s))
        return s;
    UINTN pages = (li->ImageSize + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
    s = st->BootServices->AllocatePages(AllocateAnyPages, EfiRuntimeServicesCode, pages, &copy);
    if (EFI_ERROR(s))
        return s;
    UINT8 *old_base = (UINT8 *)li->ImageBase, *new_base = (UINT8 *)(UINTN)copy;
    if (old_base != (UINT8 *)ImageBase)
        return EFI_LOAD_ERROR;
    for (UINTN i = 0; i < li->ImageSize; i++)
        new_base[i] = old_base[i];
    s = apply_relocations(new_base, old_base);
    if (EFI_ERROR(s))
        return s;
    out->base = new_base;
    out->pages = pages;
    out->delta = new_base - old_base;
    return EFI_SUCCESS;
}
