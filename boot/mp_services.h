/*
 * EFI_MP_SERVICES_PROTOCOL (UEFI Platform Initialization spec, Vol. 2,
 * "MP Services Protocol"). gnu-efi 3.0.15 does not ship it. Shared by the
 * hypervisor's boot code and the guest programs.
 */
#ifndef EXITVISOR_MP_SERVICES_H
#define EXITVISOR_MP_SERVICES_H
#include <efi.h>

#define EFI_MP_SERVICES_PROTOCOL_GUID \
    { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

#define PROCESSOR_AS_BSP_BIT 0x00000001
#define PROCESSOR_ENABLED_BIT 0x00000002
#define PROCESSOR_HEALTH_STATUS_BIT 0x00000004

typedef struct {
    UINT32 Package;
    UINT32 Core;
    UINT32 Thread;
} EFI_CPU_PHYSICAL_LOCATION;

typedef struct {
    UINT64 ProcessorId;
    UINT32 StatusFlag;
    EFI_CPU_PHYSICAL_LOCATION Location;
    /* PI 1.7 appends an extended location union; firmware only writes it
     * when bit 24 of ProcessorNumber is set, which exitvisor never does. */
} EFI_PROCESSOR_INFORMATION;

typedef VOID(EFIAPI *EFI_AP_PROCEDURE)(IN VOID *ProcedureArgument);

typedef struct _EFI_MP_SERVICES_PROTOCOL EFI_MP_SERVICES_PROTOCOL;

struct _EFI_MP_SERVICES_PROTOCOL {
    EFI_STATUS(EFIAPI *GetNumberOfProcessors)(IN EFI_MP_SERVICES_PROTOCOL *This, OUT UINTN *NumberOfProcessors,
                                              OUT UINTN *NumberOfEnabledProcessors);
    EFI_STATUS(EFIAPI *GetProcessorInfo)(IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber,
                                         OUT EFI_PROCESSOR_INFORMATION *ProcessorInfoBuffer);
    EFI_STATUS(EFIAPI *StartupAllAPs)(IN EFI_MP_SERVICES_PROTOCOL *This, IN EFI_AP_PROCEDURE Procedure,
                                      IN BOOLEAN SingleThread, IN EFI_EVENT WaitEvent OPTIONAL,
                                      IN UINTN TimeoutInMicroSeconds, IN VOID *ProcedureArgument OPTIONAL,
                                      OUT UINTN **FailedCpuList OPTIONAL);
    EFI_STATUS(EFIAPI *StartupThisAP)(IN EFI_MP_SERVICES_PROTOCOL *This, IN EFI_AP_PROCEDURE Procedure,
                                      IN UINTN ProcessorNumber, IN EFI_EVENT WaitEvent OPTIONAL,
                                      IN UINTN TimeoutInMicroseconds, IN VOID *ProcedureArgument OPTIONAL,
                                      OUT BOOLEAN *Finished OPTIONAL);
    EFI_STATUS(EFIAPI *SwitchBSP)(IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber,
                                  IN BOOLEAN EnableOldBSP);
    EFI_STATUS(EFIAPI *EnableDisableAP)(IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber,
                                        IN BOOLEAN EnableAP, IN UINT32 *HealthFlag OPTIONAL);
    EFI_STATUS(EFIAPI *WhoAmI)(IN EFI_MP_SERVICES_PROTOCOL *This, OUT UINTN *ProcessorNumber);
};

#endif
