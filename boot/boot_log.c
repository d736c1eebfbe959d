/* The boot's lines on the screen and into the hypervisor's log; see boot_log.h. */
#include <efi.h>
#include <efilib.h>
#include "boot_log.h"
#include "../hv/stats/abi.h"
#include "../hv/platform/log.h"

#define MAX_SCREENS 8

static char lines[EXV_BOOT_LOG_MAX];
static SIMPLE_TEXT_OUTPUT_INTERFACE *screens[MAX_SCREENS];
static UINTN nr_screens;
static BOOLEAN bsp_is_guest;

/* A console whose device path ends in a UART is a serial terminal: COM1
 * already has every line, once is enough. */
static BOOLEAN is_serial_terminal(EFI_DEVICE_PATH *dp)
{
    for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp))
        if (DevicePathType(dp) == MESSAGING_DEVICE_PATH && DevicePathSubType(dp) == MSG_UART_DP)
            return TRUE;
    return FALSE;
}

static UINTN text_outputs, serial_terminals; /* what find_screens saw, for its line */

static void find_screens(void)
{
    EFI_HANDLE *handles = NULL;
    UINTN n = 0;

    if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &TextOutProtocol, NULL, &n, &handles)))
        return;
    text_outputs = n;
    for (UINTN i = 0; i < n && nr_screens < MAX_SCREENS; i++) {
        EFI_DEVICE_PATH *dp = NULL;
        SIMPLE_TEXT_OUTPUT_INTERFACE *out = NULL;
        /* No device path: the firmware's splitter (ST->ConOut), which feeds
         * the serial terminal too. */
        if (EFI_ERROR(BS->HandleProtocol(handles[i], &DevicePathProtocol, (void **)&dp)) || !dp)
            continue;
        if (is_serial_terminal(dp)) {
            serial_terminals++;
            continue;
        }
        if (!EFI_ERROR(BS->HandleProtocol(handles[i], &TextOutProtocol, (void **)&out)) && out)
            screens[nr_screens++] = out;
    }
    FreePool(handles);
}

static void show(const char *line, u32 n)
{
    CHAR16 wide[258];
    u32 k = 0;
    for (u32 i = 0; i < n && k < 255; i++) {
        if (line[i] == '\n')
            wide[k++] = L'\r';
        wide[k++] = (CHAR16)(u8)line[i];
    }
    wide[k] = 0;
    for (UINTN s = 0; s < nr_screens; s++)
        screens[s]->OutputString(screens[s], wide);
}

void boot_log_start(void)
{
    find_screens();
    hv_log_capture_boot(lines, sizeof(lines), nr_screens ? show : NULL);
    /* Only where it says something: every character of a line on COM1
     * costs boot time (in Bochs ~17,000 ticks, the UART's pace). */
    if (nr_screens)
        hv_log("these lines also go to %u screen%s (of %u text outputs, %u of them serial terminals) until "
               "the next stage starts", (unsigned)nr_screens, nr_screens == 1 ? "" : "s", (unsigned)text_outputs,
               (unsigned)serial_terminals);
}

void boot_log_bsp_is_guest(void)
{
    bsp_is_guest = TRUE;
}

void boot_log_hand_off(void)
{
    u32 lost = 0, n = hv_log_boot_lines(&lost);
    if (lost)
        hv_log("%u boot lines did not fit in exitvisor's %u-byte boot buffer; COM1 has them", lost,
               (unsigned)sizeof(lines));
    if (bsp_is_guest) {
        n = hv_log_boot_lines(&lost);
        u64 rax = EXV_VMCALL_BOOT_LOG;
        __asm__ volatile("vmcall" : "+a"(rax) : "b"(lines), "c"((u64)n), "d"(1ull) : "memory");
        if (rax != EXV_VMCALL_OK)
            hv_log("the hypervisor did not take the boot's %u bytes of lines (VMCALL returned 0x%llx)", n,
                   (unsigned long long)rax);
    }
    hv_log_stop_echo();
}
