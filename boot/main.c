/*
 * exitvisor's UEFI entry: make the hypervisor's runtime copy, virtualize
 * every CPU, then start the next stage (by default the probe) as a guest.
 * This file runs in the original image, as the guest once its CPU is
 * launched; it reaches the hypervisor only through the copy's entry points
 * (IN_RUNTIME_COPY) and never touches the copy's memory from the guest.
 */
#include <efi.h>
#include <efilib.h>
#include "relocate.h"
#include "mp_services.h"
#include "next_stage.h"
#include "acpi_tables.h"
#include "boot_log.h"
#include "../hv/arch/msr.h"
#include "../hv/hv.h"
#include "../hv/platform/log.h"
#include "../hv/platform/serial.h"
#include "../hv/stats/abi.h"

extern int enter_guest_here(u32 index, hv_launch_fn launch);

static EFI_MP_SERVICES_PROTOCOL *mp;
static struct runtime_copy hv_copy;
static hv_launch_fn launch_in_copy;
static volatile u32 cpus_launched;

/* Launch the calling CPU; on success it returns here as a guest and says so,
 * after checking that the hypervisor answers: only exitvisor answers the
 * signature leaf. */
static void launch_this_cpu(u32 index)
{
    if (enter_guest_here(index, launch_in_copy) != 0)
        return; /* the hypervisor logged why */
    struct cpuid_regs sig, info;
    cpuid_ex(EXV_LEAF_SIGNATURE, 0, &sig);
    cpuid_ex(1, 0, &info);
    bool ours = sig.ebx == EXV_SIG_EBX && sig.ecx == EXV_SIG_ECX && sig.edx == EXV_SIG_EDX;
    __atomic_add_fetch(&cpus_launched, 1, __ATOMIC_ACQ_REL);
    if (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP)
        boot_log_bsp_is_guest();
    hv_log("cpu %u apic %u launched%s", index, info.ebx >> 24,
           ours ? "" : " BUT CPUID 0x40000000 does not answer with the exitvisor signature");
}

/* Runs on each AP through StartupAllAPs: no UEFI calls but WhoAmI, which the
 * PI spec allows on APs. */
static VOID EFIAPI virtualize_ap(VOID *unused)
{
    UINTN me;
    (void)unused;
    if (!EFI_ERROR(mp->WhoAmI(mp, &me)))
        launch_this_cpu((u32)me);
}

/* ---- choosing and starting the next stage ---- */

/* Narrow UCS-2 load options to ASCII; binary (non-text) options count as
 * none. False, with out empty, when the text does not fit in cap - 1
 * characters: cut short it could name another file or pass other options. */
static BOOLEAN narrow(const CHAR16 *w, UINTN bytes, char *out, UINTN cap)
{
    UINTN n = 0, i = 0;
    for (; w && i < bytes / 2 && w[i] && n + 1 < cap; i++) {
        if (w[i] < 0x20 || w[i] > 0x7E) {
            n = 0;
            break;
        }
        out[n++] = (char)w[i];
    }
    BOOLEAN fits = !(n + 1 >= cap && w && i < bytes / 2 && w[i]);
    out[fits ? n : 0] = '\0';
    return fits;
}

static void widen(const char *s, CHAR16 *out, UINTN cap)
{
    UINTN i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (CHAR16)s[i];
    out[i] = 0;
}

/* Room for every key with the longest values (options= alone may be 4 KiB)
 * and plenty of comments. */
#define CONFIG_MAX_BYTES (4 * NEXT_STAGE_OPTIONS_MAX)

/* Read the whole config file into text; its length, or -1. A longer file
 * is cut after its last complete line within the buffer (a cut line could
 * be a cut options= value), and that is said. */
static INTN read_config_text(EFI_FILE_HANDLE file, char *text, UINTN cap)
{
    UINTN size = cap, extra = 1;
    char probe;

    if (EFI_ERROR(file->Read(file, &size, text)))
        return -1;
    if (size == cap && !EFI_ERROR(file->Read(file, &extra, &probe)) && extra) {
        while (size && text[size - 1] != '\n')
            size--;
        hv_log("%s is longer than %u bytes: only its first %llu bytes (whole lines) are read", NEXT_STAGE_CONFIG,
               (unsigned)cap, (unsigned long long)size);
    }
    return (INTN)size;
}

/* Every bad line with its number and what exitvisor does instead; the good
 * lines have applied. */
static void report_config_problems(const struct config_problems *p)
{
    unsigned kept = p->count < NEXT_STAGE_PROBLEMS_KEPT ? p->count : NEXT_STAGE_PROBLEMS_KEPT;
    for (unsigned i = 0; i < kept; i++)
        hv_log("%s line %u: %s", NEXT_STAGE_CONFIG, p->first[i].line, p->first[i].why);
    if (p->count > kept)
        hv_log("%s: %u more bad lines not shown", NEXT_STAGE_CONFIG, p->count - kept);
    if (p->count)
        hv_log("%s: %u bad line%s skipped; the other lines apply", NEXT_STAGE_CONFIG, p->count,
               p->count == 1 ? "" : "s");
}

static void read_config(EFI_LOADED_IMAGE *li, struct next_stage *next)
{
    static char text[CONFIG_MAX_BYTES];
    static struct config_problems problems;
    CHAR16 path[sizeof(NEXT_STAGE_CONFIG)];
    EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle), file;

    if (!root)
        return;
    widen(NEXT_STAGE_CONFIG, path, sizeof(NEXT_STAGE_CONFIG));
    if (EFI_ERROR(root->Open(root, &file, path, EFI_FILE_MODE_READ, 0))) {
        root->Close(root);
        return;
    }
    INTN size = read_config_text(file, text, sizeof(text));
    if (size >= 0) {
        next_stage_from_config(text, (size_t)size, next, &problems);
        report_config_problems(&problems);
    }
    file->Close(file);
    root->Close(root);
}

static void choose_next_stage(EFI_LOADED_IMAGE *li, struct next_stage *next)
{
    /* "[self.efi] next.efi options": room for two paths and the options. */
    static char line[2 * NEXT_STAGE_PATH_MAX + NEXT_STAGE_OPTIONS_MAX];
    char self[NEXT_STAGE_PATH_MAX];
    CHAR16 *self_path = DevicePathToStr(li->FilePath);

    self[0] = '\0';
    if (self_path) {
        narrow(self_path, (StrLen(self_path) + 1) * sizeof(CHAR16), self, sizeof(self));
        FreePool(self_path);
    }
    struct next_stage from_config;
    next_stage_default(&from_config);
    read_config(li, &from_config);
    next_stage_default(next);
    enum parse_result r = PARSE_ERROR;
    if (narrow(li->LoadOptions, li->LoadOptionsSize, line, sizeof(line)))
        r = next_stage_from_command_line(line, self[0] ? self : NULL, next);
    if (r == PARSE_ERROR)
        hv_log("load options too long (the next stage's path may have %u characters, its options %u); "
               "ignoring them", NEXT_STAGE_PATH_MAX - 1, NEXT_STAGE_OPTIONS_MAX - 1);
    if (r != PARSE_OK) {
        *next = from_config;
        return;
    }
    /* Load options choose the program; the hypervisor's own settings still
     * come from the config file (e.g. init_sipi=intercept under Bochs). */
    next->intercept_init_sipi = from_config.intercept_init_sipi;
    next->watch_reset_port = from_config.watch_reset_port;
}

/* One console line (hv_log cuts at 255 characters): long options are shown
 * by their start and their length; all of them are passed on. */
static void log_next_stage(const struct next_stage *next)
{
    enum { SHOWN = 100 };
    char shown[SHOWN + 4];
    UINTN n = 0;

    while (next->options[n] && n < SHOWN)
        n++;
    CopyMem(shown, next->options, n);
    shown[n] = '\0';
    if (!next->options[n]) {
        hv_log("next stage %s options \"%s\" (from %s)", next->path, shown, next->source);
        return;
    }
    UINTN total = n;
    while (next->options[total])
        total++;
    CopyMem(shown + n, "...", 4);
    hv_log("next stage %s options \"%s\" (from %s; %llu characters, the first %u shown)", next->path, shown,
           next->source, (unsigned long long)total, (unsigned)SHOWN);
}

static EFI_STATUS start_next_stage(EFI_HANDLE self, EFI_LOADED_IMAGE *li, const struct next_stage *next)
{
    static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
    static CHAR16 wide_path[NEXT_STAGE_PATH_MAX], wide_options[NEXT_STAGE_OPTIONS_MAX];
    EFI_HANDLE child = NULL;
    EFI_LOADED_IMAGE *child_li = NULL;

    widen(next->path, wide_path, NEXT_STAGE_PATH_MAX);
    widen(next->options, wide_options, NEXT_STAGE_OPTIONS_MAX);
    log_next_stage(next);
    EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, wide_path);
    EFI_STATUS s = dp ? BS->LoadImage(FALSE, self, dp, NULL, 0, &child) : EFI_OUT_OF_RESOURCES;
    if (EFI_ERROR(s)) {
        hv_log("cannot load the next stage %s: EFI status 0x%llx; returning to the firmware", next->path,
               (unsigned long long)s);
        boot_log_hand_off();
        return s;
    }
    if (next->options[0] && !EFI_ERROR(BS->HandleProtocol(child, &loaded_image_guid, (void **)&child_li))) {
        child_li->LoadOptions = wide_options;
        child_li->LoadOptionsSize = (UINT32)(StrLen(wide_options) + 1) * sizeof(CHAR16);
    }
    boot_log_hand_off();
    s = BS->StartImage(child, NULL, NULL);
    hv_log("next stage returned, EFI status 0x%llx", (unsigned long long)s);
    return s;
}

/* ---- ACPI tables where the firmware has none ---- */

/* The firmware's RSDP (the ACPI 2.0 one if both are published), or NULL
 * when it publishes no ACPI tables. */
static const UINT8 *firmware_rsdp(void)
{
    static EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    const UINT8 *rsdp = NULL;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_GUID *g = &ST->ConfigurationTable[i].VendorGuid;
        if (!CompareGuid(g, &acpi20) || (!rsdp && !CompareGuid(g, &acpi10)))
            rsdp = ST->ConfigurationTable[i].VendorTable;
    }
    return rsdp;
}

/* OVMF under Bochs publishes no ACPI tables, so an OS would see one CPU.
 * Only then, give it a MADT (boot/acpi_tables.c) listing the processors MP
 * services reports; firmware that has tables keeps them untouched. */
static void install_madt_if_firmware_has_none(void)
{
    static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
    struct acpi_platform p = { 0 };
    EFI_PHYSICAL_ADDRESS tables = 0;

    if (firmware_rsdp())
        return;
    UINTN n = 1, enabled = 1;
    if (mp && !EFI_ERROR(mp->GetNumberOfProcessors(mp, &n, &enabled))) {
        for (UINTN i = 0; i < n && p.nr_cpus < ACPI_MAX_CPUS; i++) {
            /* Room for the PI 1.7 extended location some firmware writes. */
            union { EFI_PROCESSOR_INFORMATION info; UINT8 room[sizeof(EFI_PROCESSOR_INFORMATION) + 32]; } u;
            if (!EFI_ERROR(mp->GetProcessorInfo(mp, i, &u.info)) && (u.info.StatusFlag & PROCESSOR_ENABLED_BIT))
                p.apic_ids[p.nr_cpus++] = (UINT32)u.info.ProcessorId;
        }
    } else {
        struct cpuid_regs r;
        cpuid_ex(1, 0, &r);
        p.apic_ids[p.nr_cpus++] = r.ebx >> 24;
    }
    p.local_apic_address = (UINT32)(rdmsr(MSR_IA32_APIC_BASE) & 0xFFFFF000u);
    p.ioapic_address = 0xFEC00000u;
    volatile UINT32 *ioapic = (volatile UINT32 *)(UINTN)p.ioapic_address;
    ioapic[0] = 0; /* IOREGSEL: the ID register */
    p.ioapic_id = (UINT8)((ioapic[4] >> 24) & 0x0F); /* IOWIN */

    UINTN pages = (acpi_tables_size(&p) + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
    if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiACPIReclaimMemory, pages, &tables)) ||
        acpi_build_tables(&p, (UINT8 *)(UINTN)tables, tables) != 0 ||
        EFI_ERROR(BS->InstallConfigurationTable(&acpi20, (VOID *)(UINTN)tables))) {
        hv_log("the firmware has no ACPI tables and installing a MADT failed: an OS will see one CPU");
        return;
    }
    hv_log("the firmware has no ACPI tables: installed RSDP/XSDT/MADT with %u CPUs, I/O APIC id %u at 0x%x",
           p.nr_cpus, p.ioapic_id, p.ioapic_address);
}

/* ---- virtualizing the machine ---- */

/* MP services, if the firmware has them: the CPUs to virtualize and the
 * processors a MADT lists (also with virtualize=no). */
static void locate_mp_services(void)
{
    static EFI_GUID mp_guid = EFI_MP_SERVICES_PROTOCOL_GUID;
    if (EFI_ERROR(BS->LocateProtocol(&mp_guid, NULL, (void **)&mp)))
        mp = NULL;
}

static void virtualize_all_cpus(const struct next_stage *next)
{
    UINTN nr_cpus = 1, nr_enabled = 1, bsp = 0;
    EFI_PHYSICAL_ADDRESS region = 0;

    if (!mp || EFI_ERROR(mp->GetNumberOfProcessors(mp, &nr_cpus, &nr_enabled)) || EFI_ERROR(mp->WhoAmI(mp, &bsp))) {
        mp = NULL;
        nr_cpus = 1;
        bsp = 0;
        hv_log("no EFI_MP_SERVICES_PROTOCOL: virtualizing the boot CPU only");
    }
    /* Past EXV_MAX_VCPUS the APs still run virtualize_ap (MP services starts
     * them all): hv_launch_cpu turns them away, and hv_prepare gets the true
     * count so INIT/SIPI broadcasts are never delivered to the vCPUs only. */
    u32 nr_vcpus = nr_cpus > EXV_MAX_VCPUS ? EXV_MAX_VCPUS : (u32)nr_cpus;
    if (nr_cpus > EXV_MAX_VCPUS)
        hv_log("%llu CPUs found; exitvisor virtualizes the first %u", (unsigned long long)nr_cpus, EXV_MAX_VCPUS);
    u64 pages = hv_pages_needed(nr_vcpus);
    if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiRuntimeServicesData, pages, &region))) {
        hv_log("VMX not available: no memory for the hypervisor (%llu pages); starting the next stage "
               "unvirtualized", (unsigned long long)pages);
        return;
    }
    struct arena arena = { (u8 *)(UINTN)region, (u8 *)(UINTN)region + pages * PAGE_SIZE };
    struct hv_options opt = { .intercept_init_sipi = next->intercept_init_sipi != 0,
                              .watch_reset_port = next->watch_reset_port != 0 };
    /* The firmware's FADT names the ACPI PM1 control ports through which an
     * OS sleeps or powers off: exitvisor watches them to print its table first. */
    acpi_find_pm1_control_ports(firmware_rsdp(), opt.pm1_control_ports);
    /* Its DSDT says which sleep type is soft-off; any other one is a sleep
     * state that exitvisor does not survive (hv/exits/io.c says so). */
    opt.s5_sleep_type = acpi_find_s5_sleep_type(firmware_rsdp());
    const char *why = IN_RUNTIME_COPY(&hv_copy, hv_prepare)(&arena, (u32)nr_cpus, (u64)(UINTN)hv_copy.base,
                                                          hv_copy.pages, &opt);
    if (why) {
        hv_log("exitvisor " EXITVISOR_VERSION " starting on %llu CPUs", (unsigned long long)nr_cpus);
        hv_log("VMX not available: %s; starting the next stage unvirtualized", why);
        BS->FreePages(region, pages);
        return;
    }
    IN_RUNTIME_COPY(&hv_copy, hv_log_banner)();
    launch_in_copy = IN_RUNTIME_COPY(&hv_copy, hv_launch_cpu);
    if (mp && nr_cpus > 1) {
        /* The string is the copy's: readable here, before this CPU is a guest. */
        const char *why = IN_RUNTIME_COPY(&hv_copy, hv_why_aps_stay)();
        if (why)
            hv_log("APs stay unvirtualized: %s", why);
        else if (nr_enabled > 1)
            mp->StartupAllAPs(mp, virtualize_ap, TRUE, NULL, 0, NULL, NULL);
    }
    launch_this_cpu((u32)bsp);
    hv_log("%u of %llu cpus launched", cpus_launched, (unsigned long long)nr_cpus);
}

static EFI_STATUS exitvisor_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
    EFI_LOADED_IMAGE *li = NULL;
    struct next_stage next;

    InitializeLib(image, st);
    serial_init();
    boot_log_start();
    if (EFI_ERROR(BS->HandleProtocol(image, &loaded_image_guid, (void **)&li)))
        return EFI_LOAD_ERROR;
    choose_next_stage(li, &next);
    locate_mp_services();
    if (next.virtualize)
        virtualize_all_cpus(&next);
    else
        hv_log("exitvisor " EXITVISOR_VERSION ": virtualize=no in %s: the next stage runs without the "
               "hypervisor (a baseline)", NEXT_STAGE_CONFIG);
    install_madt_if_firmware_has_none();
    return start_next_stage(image, li, &next);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    /* First thing: the copy must be made before any pointer in .data changes. */
    EFI_STATUS s = copy_image_to_runtime(image, st, &hv_copy);
    if (EFI_ERROR(s)) {
        /* Nothing virtualized yet: say so on the serial line and give up. */
        serial_init();
        hv_log("cannot copy exitvisor into runtime memory: EFI status 0x%llx", (unsigned long long)s);
        return s;
    }
    return exitvisor_main(image, st);
}
