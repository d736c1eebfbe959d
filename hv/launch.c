/*
 * Preparing the hypervisor and launching one CPU into VMX non-root mode.
 */
#include "hv.h"
#include "vmx/vmx_support.h"
#include "mem/host_tables.h"
#include "mem/ept.h"
#include "mem/ept_edit.h"
#include "mem/ept_live.h"
#include "mem/mtrr_read.h"
#include "mem/identity_map.h"
#include "guest/apic_id.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_setup.h"
#include "vmx/vmx_errors.h"
#include "platform/log.h"
#include "arch/msr.h"
#include "stats/abi.h"
#include "exits/handlers.h"
#include "guest/guest_apic_base.h"

struct hv_state *hv;

extern int vmx_launch(void);
int exit_dispatch_self_check(void);

#define PAGES(bytes) (((bytes) + PAGE_SIZE - 1) / PAGE_SIZE)
#define VCPU_PAGES (2 + HOST_STACK_SIZE / PAGE_SIZE + 3 * HOST_IST_SIZE / PAGE_SIZE)

u64 hv_pages_needed(u32 nr_cpus)
{
    u32 bits = cpu_phys_address_bits();
    return PAGES(sizeof(struct hv_state)) + PAGES(sizeof(struct vcpu) * nr_cpus) +
           PAGES(sizeof(struct exit_stats)) + PAGES(sizeof(struct timeline)) + PAGES(sizeof(struct log_ring)) +
           1 /* MSR bitmap */ + 2 /* I/O bitmaps */ + 1 /* IDT */ +
           /* host page tables: a directory per GiB without 1-GiB pages (then 512 GiB at most)
            * or where a GiB's memory types are split, 4-KiB tables where a 2 MiB's are */
           identity_map_pages_needed(bits, 512, 256) +
           /* EPT: directories where a GiB's memory types are split (every GiB without 1-GiB
            * pages), and 4-KiB tables where the MTRRs split a 2-MiB page */
           identity_map_pages_needed(bits, 512, 256) + EPT_RESERVE_PAGES + (u64)VCPU_PAGES * nr_cpus;
}

static u64 tsc_hz_stated_by_cpuid(void)
{
    struct cpuid_regs l0, l15 = { 0 }, l16 = { 0 };
    cpuid_ex(0, 0, &l0);
    if (l0.eax >= 0x15)
        cpuid_ex(0x15, 0, &l15);
    if (l0.eax >= 0x16)
        cpuid_ex(0x16, 0, &l16);
    return timeline_tsc_hz_from_cpuid(l0.eax, l15.eax, l15.ebx, l15.ecx, l16.eax);
}

const char *hv_prepare(struct arena *a, u32 nr_cpus, u64 image_base, u64 image_pages,
                       const struct hv_options *opt)
{
    const char *why;
    u64 arena_base = (u64)(uintptr_t)a->next, arena_pages = arena_pages_left(a);

    u32 nr_present = nr_cpus;
    if (nr_cpus > EXV_MAX_VCPUS)
        nr_cpus = EXV_MAX_VCPUS;
    if ((why = vmx_enable_on_this_cpu()))
        return why;
    hv = arena_alloc_pages(a, PAGES(sizeof(struct hv_state)));
    if (!hv)
        return "out of memory for the hypervisor state";
    hv->opt = *opt; /* before the capabilities: the controls depend on the INIT/SIPI mode */
    if ((why = vmx_read_capabilities(hv)))
        return why;
    int bad = exit_dispatch_self_check();
    if (bad >= 0) {
        hv_log("exit handler table is inconsistent with the SDM's list at reason %d", bad);
        return "internal error: exit handler table";
    }
    hv->nr_vcpus = nr_cpus;
    hv->nr_cpus_present = nr_present;
    hv->vcpus = arena_alloc_pages(a, PAGES(sizeof(struct vcpu) * nr_cpus));
    hv->stats = arena_alloc_pages(a, PAGES(sizeof(struct exit_stats)));
    hv->timeline = arena_alloc_pages(a, PAGES(sizeof(struct timeline)));
    hv->log_ring = arena_alloc_pages(a, PAGES(sizeof(struct log_ring)));
    hv->msr_bitmap = arena_alloc_pages(a, 1);
    hv->io_bitmap_a = arena_alloc_pages(a, 1);
    hv->io_bitmap_b = arena_alloc_pages(a, 1);
    if (!hv->vcpus || !hv->stats || !hv->timeline || !hv->log_ring || !hv->msr_bitmap || !hv->io_bitmap_a || !hv->io_bitmap_b)
        return "out of memory for per-CPU state";
    io_bitmap_init(hv->io_bitmap_a, hv->io_bitmap_b, &hv->opt);
    exit_stats_reset(hv->stats, nr_cpus);
    timeline_reset(hv->timeline, tsc_hz_stated_by_cpuid());
    log_ring_reset(hv->log_ring); /* from here on hv_log keeps every line (hv/platform/log.c) */
    hv->boot_log_open = 1;
    hv->memory[0] = (struct hv_memory_range){ image_base, image_pages, EXV_MEMORY_CODE };
    hv->memory[1] = (struct hv_memory_range){ arena_base, arena_pages, EXV_MEMORY_DATA };
    hv->memory[2] = (struct hv_memory_range){ (u64)(uintptr_t)hv->stats, PAGES(sizeof(struct exit_stats)),
                                              EXV_MEMORY_COUNTERS };
    hv->nr_memory = 3;
    /* reason_class is filled when the first VMCS's controls are known. */
    hv->leaf_env = (struct leaf_env){ .stats = hv->stats, .possible = hv->possible,
                                      .vcpus_launched = &hv->nr_launched, .memory = hv->memory,
                                      .nr_memory = hv->nr_memory,
                                      .watches = (hv->opt.intercept_init_sipi ? EXV_WATCH_INIT_SIPI : 0) |
                                                 (hv->opt.watch_reset_port ? EXV_WATCH_RESET_PORT : 0) |
                                                 ((hv->proc2_ctls & PROC2_ENABLE_EPT) ? EXV_WATCH_MTRR : 0) |
                                                 EXV_WATCH_MICROCODE,
                                      .timeline = hv->timeline, .vcpus = hv->leaf_vcpus, .log = hv->log_ring };
    exv_leaf_env_classify(&hv->leaf_env);
    /* Both identity maps take their memory types from the MTRRs and give
     * the local APIC's page one of its own. */
    hv->phys_bits = cpu_phys_address_bits();
    struct mtrr_state mtrr = { 0 };
    mtrr_read_state(&mtrr, hv->phys_bits);
    hv->mtrr_variable_count = mtrr.variable_count;
    msr_bitmap_init(hv->msr_bitmap, hv);
    hv->apic_page = xapic_page(rdmsr(MSR_IA32_APIC_BASE));
    if ((why = host_tables_build_shared(hv, a, &mtrr)))
        return why;
    if ((hv->proc2_ctls & PROC2_ENABLE_EPT) && (why = ept_build_identity_map(hv, a, &mtrr)))
        return why;
    /* Said only where the maps stop short of what the CPU can address. */
    u32 bits = hv->phys_bits;
    u64 reach = hv->ept_top && hv->ept_top < hv->host_map_top ? hv->ept_top : hv->host_map_top;
    if (reach < (1ull << bits))
        hv_log("the identity maps reach the first %llu GiB of the %u-bit physical address space (%s): a guest access "
               "above stops its vCPU with an EPT violation",
               (unsigned long long)(reach >> 30), bits,
               bits > IDENTITY_MAP_MAX_BITS ? "4-level paging" : "no 1-GiB pages");
    for (u32 i = 0; i < nr_cpus; i++) {
        struct vcpu *v = &hv->vcpus[i];
        v->index = i;
        v->shard = &hv->stats->shard[i];
        v->vmxon_region = arena_alloc_pages(a, 1);
        v->vmcs = arena_alloc_pages(a, 1);
        v->host_stack = arena_alloc_pages(a, HOST_STACK_SIZE / PAGE_SIZE);
        v->ist_stacks = arena_alloc_pages(a, 3 * HOST_IST_SIZE / PAGE_SIZE);
        if (!v->vmxon_region || !v->vmcs || !v->host_stack || !v->ist_stacks)
            return "out of memory for per-CPU VMX regions";
    }
    return NULL;
}

void hv_log_banner(void)
{
    hv_log("exitvisor " EXITVISOR_VERSION " starting: VMX revision 0x%x, EPT %s, VPID %s, unrestricted-guest %s, "
           "wait-for-SIPI %s, true-controls %s",
           hv->vmcs_revision, hv->has_ept ? "yes" : "no", hv->has_vpid ? "yes" : "no",
           hv->has_unrestricted ? "yes" : "no", hv->has_wait_for_sipi ? "yes" : "no",
           hv->true_controls ? "yes" : "no");
    if (hv->opt.intercept_init_sipi)
        hv_log("INIT/SIPI: init_sipi=intercept (for CPUs that keep INIT pending after an INIT VM exit, e.g. "
               "Bochs 2.7): APIC-page stores, x2APIC ICR and APIC-base writes exit, NMIs kick vCPUs; these are its "
               "own exits");
    else
        hv_log("INIT/SIPI: init_sipi=native: INIT and SIPI reach vCPUs as the INIT and SIPI VM exits; the local "
               "APIC is not watched");
    if (hv->opt.watch_reset_port)
        hv_log("watching the reset-control port 0xCF9 (watch_reset_port=yes): every 4-byte access to the PCI "
               "configuration-address port 0xCF8 exits too");
    if (hv->opt.pm1_control_ports[0])
        hv_log("watching the ACPI PM1 control port 0x%x from the FADT (sleep and power-off; S5 is SLP_TYP %d)",
               hv->opt.pm1_control_ports[0], hv->opt.s5_sleep_type);
}

bool hv_can_virtualize_aps(void)
{
    return hv->has_wait_for_sipi && (hv->proc2_ctls & PROC2_UNRESTRICTED_GUEST);
}

const char *hv_why_aps_stay(void)
{
    if (hv_can_virtualize_aps())
        return NULL;
    return hv->bsp_only_why ? hv->bsp_only_why
                            : "this CPU lacks wait-for-SIPI or unrestricted guest, so a vCPU could not be restarted "
                              "by INIT-SIPI-SIPI";
}

/* "Can occur" comes from the controls really in the VMCS, read back. */
static void record_controls(void)
{
    struct vmx_controls *c = &hv->controls;
    struct cpuid_regs r;

    c->pin = (u32)vmcs_read(VMCS_PIN_CONTROLS);
    c->proc = (u32)vmcs_read(VMCS_PROC_CONTROLS);
    c->proc2 = (c->proc & PROC_SECONDARY_CONTROLS) ? (u32)vmcs_read(VMCS_PROC2_CONTROLS) : 0;
    c->exit = (u32)vmcs_read(VMCS_EXIT_CONTROLS);
    c->entry = (u32)vmcs_read(VMCS_ENTRY_CONTROLS);
    c->exception_bitmap = (u32)vmcs_read(VMCS_EXCEPTION_BITMAP);
    c->cr0_guest_host_mask = vmcs_read(VMCS_CR0_GUEST_HOST_MASK);
    c->cr4_guest_host_mask = vmcs_read(VMCS_CR4_GUEST_HOST_MASK);
    c->entry_msr_load_count = (u32)vmcs_read(VMCS_ENTRY_MSR_LOAD_COUNT);
    c->xss_exiting_bitmap = (c->proc2 & PROC2_ENABLE_XSAVES) ? vmcs_read(VMCS_XSS_EXITING_BITMAP) : 0;
    if (hv->has_nmi_window) {
        /* Turned on for a moment when a guest NMI waits for the guest to
         * unblock NMIs (hv/guest/guest_events.c): these exits can occur too. */
        c->pin |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
        c->proc |= PROC_NMI_WINDOW_EXITING;
    }
    c->wait_for_sipi_used = hv_can_virtualize_aps();
    cpuid_ex(1, 0, &r);
    c->cpu_has_xsave = (r.ecx & CPUID1_ECX_XSAVE) != 0;
    c->guest_can_set_smxe = (hv->cr4_fixed1 & CR4_SMXE) && !(c->cr4_guest_host_mask & CR4_SMXE);
    for (u32 reason = 0; reason < EXIT_REASON_COUNT; reason++)
        hv->possible[reason] = exit_reason_possible(reason, c);
    exv_leaf_env_classify(&hv->leaf_env);
}

static void leave_vmx(void)
{
    __asm__ volatile("vmxoff" ::: "cc", "memory");
    write_cr4(read_cr4() & ~CR4_VMXE);
}

int hv_launch_cpu(u32 index, u64 guest_rip, u64 guest_rsp, u64 guest_rflags)
{
    /* MP services starts every AP, also past the vCPUs there is room for. */
    if (index >= hv->nr_vcpus) {
        hv_log("cpu %u not virtualized: exitvisor keeps at most %u vCPUs (EXV_MAX_VCPUS)", index, hv->nr_vcpus);
        return 1;
    }
    struct vcpu *v = &hv->vcpus[index];
    const char *why = vmx_enable_on_this_cpu();
    struct cpuid_regs r;
    enum vmx_status st;

    struct cpuid_regs l0, lb = { 0 };
    cpuid_ex(0, 0, &l0);
    cpuid_ex(1, 0, &r);
    if (l0.eax >= 0xB)
        cpuid_ex(0xB, 0, &lb);
    v->apic_id = apic_id_from_cpuid(l0.eax, r.ebx, lb.ebx, lb.edx);
    v->is_bsp = (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP) != 0;
    v->apic_page = xapic_page(rdmsr(MSR_IA32_APIC_BASE));
    if (why) {
        hv_log("cpu %u apic %u not virtualized: %s", index, v->apic_id, why);
        return 1;
    }
    /* VMXON needs CR0/CR4 inside the fixed bits (SDM 24.8), CR4.VMXE among them. */
    write_cr0((read_cr0() | hv->cr0_fixed0) & hv->cr0_fixed1);
    write_cr4((read_cr4() | hv->cr4_fixed0) & hv->cr4_fixed1);
    *(u32 *)v->vmxon_region = hv->vmcs_revision;
    *(u32 *)v->vmcs = hv->vmcs_revision;

    if ((st = vmxon((u64)(uintptr_t)v->vmxon_region)) != VMX_OK) {
        hv_log("cpu %u VMXON failed (%s)", index, st == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
        write_cr4(read_cr4() & ~CR4_VMXE);
        return 1;
    }
    if ((st = vmclear((u64)(uintptr_t)v->vmcs)) != VMX_OK || (st = vmptrld((u64)(uintptr_t)v->vmcs)) != VMX_OK) {
        u32 err = st == VMX_FAIL_VALID ? vmcs_instruction_error() : 0;
        hv_log("cpu %u VMCLEAR/VMPTRLD failed: VM-instruction error %u (%s)", index, err,
               vmx_instruction_error_text(err));
        leave_vmx();
        return 1;
    }
    if ((hv->proc2_ctls & PROC2_ENABLE_EPT) && hv->invept_type && ept_flush_this_cpu())
        /* Any translations cached for this EPTP by an earlier user are dropped. */
        hv_log("cpu %u INVEPT type %u failed: VM-instruction error %u", index, hv->invept_type,
               vmcs_instruction_error());
    host_tables_build_cpu(v);
    u32 failures_before = vmcs_failures();
    vmcs_setup_for_launch(v, guest_rip, guest_rsp, guest_rflags);
    if (vmcs_failures() != failures_before) {
        hv_log("cpu %u not launched: VMCS setup failed (see above)", index);
        leave_vmx();
        return 1;
    }
    if (!__atomic_exchange_n(&hv->controls_ready, 1, __ATOMIC_ACQ_REL))
        record_controls();

    /* Counted as launched before the entry: once in the guest, this CPU
     * never touches hypervisor memory again (EPT hides it). */
    v->launched = true;
    hv->leaf_vcpus[index].apic_id = v->apic_id;
    __atomic_store_n(&hv->leaf_vcpus[index].launched, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&hv->nr_launched, 1, __ATOMIC_ACQ_REL);
    timeline_start(hv->timeline, rdtsc()); /* t = 0 at the first VMLAUNCH */
    int rc = vmx_launch(); /* returns only on failure */
    v->launched = false;
    __atomic_store_n(&hv->leaf_vcpus[index].launched, 0, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&hv->nr_launched, 1, __ATOMIC_ACQ_REL);
    if (rc == 2) {
        u32 err = vmcs_instruction_error();
        hv_log("cpu %u VMLAUNCH failed: VM-instruction error %u (%s)", index, err, vmx_instruction_error_text(err));
    } else {
        hv_log("cpu %u VMLAUNCH failed: VMfailInvalid (no current VMCS)", index);
    }
    leave_vmx();
    return rc;
}
