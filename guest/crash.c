/*
 * A guest that triple-faults on purpose: it loads an empty IDT and raises
 * #UD. The #UD cannot be delivered (#GP), nor can the #GP (#DF), nor the
 * #DF: a shutdown, which in VMX non-root mode is a triple-fault VM exit.
 * exitvisor must log it with the vCPU and guest state, then reset the
 * platform. Used by the hostile-guest test; `make run NEXT=build/crash.efi`
 * shows it by hand (the machine then reboots, and runs it again).
 */
#include <efi.h>
#include <efilib.h>

struct __attribute__((packed)) idt_pointer {
    UINT16 limit;
    UINT64 base;
};

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    static const struct idt_pointer empty = { 0, 0 };

    InitializeLib(image, systab);
    Print(L"crash: loading an empty IDT and raising #UD: this guest triple-faults now\n");
    __asm__ volatile("cli; lidt %0; ud2" ::"m"(empty));
    Print(L"crash: still running after the triple fault: something is wrong\n");
    return EFI_ABORTED;
}
