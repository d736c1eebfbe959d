/*
 * hv/vmx/vmx_caps.c against every Bochs 2.7 CPU model's VMX capability MSRs and
 * against KVM's nested VMX (hv/tests/data/vmx_caps_models.c): the outcome
 * each must have (VMX refused and why, the boot CPU only and why, or every
 * CPU), and for every usable model that each control field has the bits
 * exitvisor needs, every must-be-1 bit set and no bit set that must be 0.
 * tools/tests/check_cpu_models.py boots the same models and checks the same
 * outcomes on the serial console.
 */
#include <string.h>
#include "hv/tests/check.h"
#include "hv/tests/data/vmx_caps_models.h"
#include "hv/arch/vmcs_fields.h"
#include "hv/arch/x86_defs.h"

#define EFER_REFUSAL "the CPU cannot switch IA32_EFER on VM entry and exit"
#define NO_UG_BSP_ONLY "the CPU has no unrestricted guest (with EPT), so a vCPU cannot run an AP's real-mode start"

enum outcome { REFUSED, BSP_ONLY, ALL_CPUS };

struct expectation {
    const char *model;
    enum outcome outcome;
    const char *why;        /* the refusal or the BSP-only reason */
    u32 revision;
    bool ept_1g;            /* EPT may map 1-GiB pages */
};

/* What each model must give; the Bochs outcomes are those its boot shows. */
static const struct expectation expected[] = {
    { "core2_penryn_t9600", REFUSED, EFER_REFUSAL, 0x2b, false },
    { "corei5_lynnfield_750", BSP_ONLY, NO_UG_BSP_ONLY, 0x2b, false },
    { "corei5_arrandale_m520", ALL_CPUS, NULL, 0x2b, false },
    { "corei7_sandy_bridge_2600k", ALL_CPUS, NULL, 0x2b, false },
    { "corei7_ivy_bridge_3770k", ALL_CPUS, NULL, 0x2b, false },
    { "corei7_haswell_4770", ALL_CPUS, NULL, 0x2b, true },
    { "broadwell_ult", ALL_CPUS, NULL, 0x2b, true },
    { "corei7_skylake_x", ALL_CPUS, NULL, 0x2b, true },
    { "corei3_cnl", ALL_CPUS, NULL, 0x2b, true },
    { "corei7_icelake_u", ALL_CPUS, NULL, 0x4, true },
    { "tigerlake", ALL_CPUS, NULL, 0x4, true },
    { "kvm_nested", ALL_CPUS, NULL, 0x11e57ed0, true },
};

static const struct vmx_caps_model *find_model(const char *name)
{
    for (unsigned i = 0; i < vmx_caps_model_count; i++)
        if (strcmp(vmx_caps_models[i].name, name) == 0)
            return &vmx_caps_models[i];
    return NULL;
}

/* Every must-be-1 bit (low half) is set and every set bit may be 1 (high half). */
static void check_field(const char *model, const char *field, u32 ctls, u64 caps)
{
    u32 must = (u32)caps, may = (u32)(caps >> 32);
    CHECK_EQ(ctls & must, must, "%s: %s controls 0x%x lack must-be-1 bits 0x%x", model, field, ctls, must & ~ctls);
    CHECK_EQ(ctls & ~may, 0, "%s: %s controls 0x%x set bits that must be 0 (may-be-1 0x%x)", model, field, ctls,
             may);
}

static void check_fields_honour_msrs(const char *model, const struct vmx_cap_msrs *m, const struct vmx_choice *c)
{
    check_field(model, "pin-based", c->pin, vmx_caps_pin_msr(m));
    check_field(model, "processor-based", c->proc, vmx_caps_proc_msr(m));
    check_field(model, "VM-exit", c->exit, vmx_caps_exit_msr(m));
    check_field(model, "VM-entry", c->entry, vmx_caps_entry_msr(m));
    if (c->proc & PROC_SECONDARY_CONTROLS)
        check_field(model, "secondary", c->proc2, m->procbased2);
    else
        CHECK_EQ(c->proc2, 0, "%s: secondary controls chosen while the primary ones leave them off", model);
}

/* What exitvisor cannot run without, on any CPU it accepts. */
static void check_required_bits(const char *model, const struct vmx_choice *c, bool intercept)
{
    CHECK((c->proc & (PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS)) == (PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS),
          "%s: MSR and I/O bitmaps (proc 0x%x)", model, c->proc);
    CHECK(c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE, "%s: 64-bit host on exit (exit 0x%x)", model, c->exit);
    CHECK((c->exit & (EXIT_SAVE_EFER | EXIT_LOAD_EFER)) == (EXIT_SAVE_EFER | EXIT_LOAD_EFER),
          "%s: EFER saved and loaded on exit (exit 0x%x)", model, c->exit);
    CHECK(c->entry & ENTRY_LOAD_EFER, "%s: EFER loaded on entry (entry 0x%x)", model, c->entry);
    CHECK(!(c->proc & PROC_HLT_EXITING), "%s: HLT must not exit (proc 0x%x)", model, c->proc);
    /* init_sipi=intercept kicks vCPUs with NMIs: they must exit. */
    CHECK(!intercept || (c->pin & PIN_NMI_EXITING), "%s: NMI exiting with init_sipi=intercept (pin 0x%x)", model,
          c->pin);
    if (intercept)
        CHECK_EQ(!!(c->pin & PIN_VIRTUAL_NMIS), c->has_nmi_window, "%s: virtual NMIs exactly with the NMI window",
                 model);
    CHECK((c->cr4_mask & CR4_VMXE) && (c->cr4_mask & c->cr4_fixed0) == c->cr4_fixed0,
          "%s: CR4.VMXE and the fixed-1 bits are the hypervisor's (mask 0x%llx)", model,
          (unsigned long long)c->cr4_mask);
}

/* Every CPU: unrestricted guest on EPT and VPID in use, PE/PG the guest's. */
static void check_all_cpus(const char *model, const struct vmx_choice *c)
{
    u32 want2 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_VPID;
    CHECK(c->proc & PROC_SECONDARY_CONTROLS, "%s: secondary controls on", model);
    CHECK_EQ(c->proc2 & want2, want2, "%s: EPT, unrestricted guest and VPID in use (proc2 0x%x)", model, c->proc2);
    CHECK(c->has_ept && c->has_unrestricted && c->has_vpid && c->has_wait_for_sipi && c->true_controls,
          "%s: ept %d ug %d vpid %d wait-for-SIPI %d true-controls %d", model, c->has_ept, c->has_unrestricted,
          c->has_vpid, c->has_wait_for_sipi, c->true_controls);
    CHECK_EQ(c->cr0_mask & (CR0_PE | CR0_PG), 0, "%s: CR0.PE/PG left to the guest (mask 0x%llx)", model,
             (unsigned long long)c->cr0_mask);
    CHECK(c->cr0_mask & CR0_NE, "%s: CR0.NE is fixed to 1, so the hypervisor owns it", model);
}

static void check_model(const struct expectation *e, bool intercept)
{
    const struct vmx_caps_model *m = find_model(e->model);
    struct vmx_choice c;

    CHECK(m != NULL, "%s is in hv/tests/data/vmx_caps_models.c", e->model);
    if (!m)
        return;
    const char *why = vmx_choose_controls(&m->msrs, intercept, &c);
    CHECK_EQ(c.vmcs_revision, e->revision, "%s: VMCS revision", e->model);
    if (e->outcome == REFUSED) {
        CHECK_STREQ(why, e->why, "%s: the refusal", e->model);
        CHECK_STREQ(c.refusal, e->why, "%s: the choice records the refusal", e->model);
        return;
    }
    CHECK_STREQ(why, NULL, "%s: VMX usable", e->model);
    CHECK_STREQ(c.bsp_only_why, e->outcome == BSP_ONLY ? e->why : NULL, "%s: BSP-only reason", e->model);
    check_fields_honour_msrs(e->model, &m->msrs, &c);
    check_required_bits(e->model, &c, intercept);
    CHECK_EQ(c.has_ept_1g, e->ept_1g, "%s: 1-GiB EPT pages", e->model);
    if (e->outcome == ALL_CPUS)
        check_all_cpus(e->model, &c);
}

TEST(vmx_caps_every_model_has_its_outcome)
{
    for (unsigned i = 0; i < ARRAY_LEN(expected); i++) {
        check_model(&expected[i], true);  /* Bochs runs init_sipi=intercept */
        check_model(&expected[i], false); /* the default, hardware and KVM */
    }
}

TEST(vmx_caps_every_captured_model_is_expected)
{
    CHECK_EQ(vmx_caps_model_count, ARRAY_LEN(expected), "one expectation per model in the data");
    for (unsigned i = 0; i < vmx_caps_model_count; i++) {
        bool found = false;
        for (unsigned j = 0; j < ARRAY_LEN(expected); j++)
            found |= strcmp(expected[j].model, vmx_caps_models[i].name) == 0;
        CHECK(found, "%s has an expected outcome", vmx_caps_models[i].name);
    }
}

/* Lynnfield has EPT (the banner says "EPT yes") but no unrestricted guest:
 * exitvisor then runs its one vCPU without EPT, and CR0.PE/PG stay its own. */
TEST(vmx_caps_lynnfield_runs_without_ept)
{
    struct vmx_choice c;
    vmx_choose_controls(&find_model("corei5_lynnfield_750")->msrs, true, &c);
    CHECK(c.has_ept && !c.has_unrestricted, "EPT offered, unrestricted guest not");
    CHECK_EQ(c.proc2 & (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST), 0, "neither in use (proc2 0x%x)", c.proc2);
    CHECK_EQ(c.cr0_mask & (CR0_PE | CR0_PG), CR0_PE | CR0_PG, "CR0.PE/PG owned by the hypervisor");
}

/* With IA32_VMX_BASIC[55] the TRUE_* MSRs rule: on Bochs they let CR3-load/
 * store exiting and the debug-control save/load be 0. Without it the plain
 * MSRs force them to 1. */
TEST(vmx_caps_true_controls_are_used)
{
    struct vmx_cap_msrs m = find_model("corei7_skylake_x")->msrs;
    struct vmx_choice c;

    vmx_choose_controls(&m, false, &c);
    CHECK_EQ(c.proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING), 0, "no CR3 exiting with TRUE controls");
    m.basic &= ~(1ull << 55);
    vmx_choose_controls(&m, false, &c);
    CHECK(!c.true_controls, "no TRUE controls");
    CHECK_EQ(c.proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING),
             PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING, "CR3 exiting forced by the plain MSR");
    check_fields_honour_msrs("skylake without TRUE controls", &m, &c);
}

static const char *choose_with(void (*edit)(struct vmx_cap_msrs *), struct vmx_choice *c)
{
    struct vmx_cap_msrs m = find_model("tigerlake")->msrs;
    edit(&m);
    return vmx_choose_controls(&m, true, c);
}

static void vmcs_uncached(struct vmx_cap_msrs *m) { m->basic &= ~(0xFull << 50); }
static void no_msr_bitmaps(struct vmx_cap_msrs *m) { m->true_procbased &= ~((u64)PROC_USE_MSR_BITMAPS << 32); }
static void no_64bit_host(struct vmx_cap_msrs *m) { m->true_exit &= ~((u64)EXIT_HOST_ADDRESS_SPACE_SIZE << 32); }
static void no_entry_efer(struct vmx_cap_msrs *m) { m->true_entry &= ~((u64)ENTRY_LOAD_EFER << 32); }
static void no_wait_for_sipi(struct vmx_cap_msrs *m) { m->misc &= ~VMX_MISC_ACTIVITY_WAIT_SIPI; }
static void no_single_invvpid(struct vmx_cap_msrs *m) { m->ept_vpid_cap &= ~VPID_CAP_INVVPID_SINGLE_CONTEXT; }
static void no_secondary(struct vmx_cap_msrs *m) { m->true_procbased &= ~((u64)PROC_SECONDARY_CONTROLS << 32); }
static void ept_without_wb(struct vmx_cap_msrs *m) { m->ept_vpid_cap &= ~EPT_CAP_MEMTYPE_WB; }

TEST(vmx_caps_refusals_in_order)
{
    struct vmx_choice c;
    CHECK_STREQ(choose_with(vmcs_uncached, &c), "IA32_VMX_BASIC says the VMCS must not be write-back memory",
                "VMCS memory type");
    CHECK_STREQ(choose_with(no_msr_bitmaps, &c), "the CPU cannot use MSR bitmaps", "MSR bitmaps");
    CHECK_STREQ(choose_with(no_64bit_host, &c), "the CPU cannot return to a 64-bit host", "host address space");
    CHECK_STREQ(choose_with(no_entry_efer, &c), EFER_REFUSAL, "EFER on entry alone");
}

TEST(vmx_caps_bsp_only_reasons)
{
    struct vmx_choice c;
    CHECK_STREQ(choose_with(no_wait_for_sipi, &c), NULL, "no wait-for-SIPI: VMX still usable");
    CHECK_STREQ(c.bsp_only_why, "the CPU has no wait-for-SIPI activity state (IA32_VMX_MISC[8] is 0)",
                "no wait-for-SIPI: the boot CPU only");
    CHECK_STREQ(choose_with(no_secondary, &c), NULL, "no secondary controls: VMX still usable");
    CHECK_STREQ(c.bsp_only_why, NO_UG_BSP_ONLY, "no secondary controls: no unrestricted guest");
    CHECK_EQ(c.proc2, 0, "no secondary controls chosen");
    CHECK_STREQ(choose_with(ept_without_wb, &c), NULL, "EPT without write-back: VMX still usable");
    CHECK(!c.has_ept && c.bsp_only_why != NULL, "EPT unusable without write-back EPT paging structures");
}

TEST(vmx_caps_vpid_needs_single_context_invvpid)
{
    struct vmx_choice c;
    choose_with(no_single_invvpid, &c);
    CHECK(!c.has_vpid && !(c.proc2 & PROC2_ENABLE_VPID), "no VPID without single-context INVVPID");
    CHECK(c.bsp_only_why == NULL, "still every CPU (VPID is an optimisation)");
}

static void no_all_context_invept(struct vmx_cap_msrs *m) { m->ept_vpid_cap &= ~EPT_CAP_INVEPT_ALL_CONTEXT; }
static void only_invept_bit(struct vmx_cap_msrs *m)
{
    m->ept_vpid_cap &= ~(EPT_CAP_INVEPT_ALL_CONTEXT | EPT_CAP_INVEPT_SINGLE_CONTEXT);
}
static void no_invept(struct vmx_cap_msrs *m) { m->ept_vpid_cap &= ~EPT_CAP_INVEPT; }

/* Issue 10's review: exitvisor issued INVEPT type 2 unconditionally; a CPU
 * without all-context INVEPT fails it. The type now follows the bits. */
TEST(vmx_caps_invept_type_follows_the_capability_bits)
{
    struct vmx_choice c;
    for (unsigned i = 0; i < vmx_caps_model_count; i++) {
        const struct vmx_caps_model *model = &vmx_caps_models[i];
        vmx_choose_controls(&model->msrs, false, &c);
        u64 caps = model->msrs.ept_vpid_cap;
        u32 want = !(caps & EPT_CAP_INVEPT) ? 0 : (caps & EPT_CAP_INVEPT_ALL_CONTEXT) ? 2
                   : (caps & EPT_CAP_INVEPT_SINGLE_CONTEXT) ? 1 : 0;
        CHECK_EQ(c.invept_type, want, "%s: INVEPT type from its EPT_VPID_CAP", model->name);
        CHECK(!c.has_ept || c.invept_type != 0, "%s: every model with usable EPT has an INVEPT type", model->name);
    }
    choose_with(no_all_context_invept, &c);
    CHECK_EQ(c.invept_type, 1, "no all-context INVEPT: single context");
    choose_with(only_invept_bit, &c);
    CHECK_EQ(c.invept_type, 0, "INVEPT but neither type: none issued");
    choose_with(no_invept, &c);
    CHECK_EQ(c.invept_type, 0, "no INVEPT at all: none issued");
}

/* Issue 10's review: host CR0/CR4 were the firmware's. They are built now:
 * whatever paging or protection features the firmware left on, root mode
 * gets only what it needs, within every model's fixed bits. */
TEST(vmx_caps_host_control_registers_are_built_not_copied)
{
    const u64 never = CR4_LA57 | CR4_CET | CR4_PKE | CR4_SMEP | CR4_SMAP | CR4_PCIDE | CR4_PGE;
    struct vmx_choice c;
    for (unsigned i = 0; i < vmx_caps_model_count; i++) {
        const struct vmx_caps_model *model = &vmx_caps_models[i];
        if (vmx_choose_controls(&model->msrs, false, &c))
            continue; /* refused: no VMCS is ever written */
        for (unsigned features = 0; features < 4; features++) {
            bool mce = features & 1, xsave = features & 2;
            u64 cr0 = vmx_host_cr0(&c), cr4 = vmx_host_cr4(&c, mce, xsave);
            CHECK_EQ(cr0 & c.cr0_fixed0, c.cr0_fixed0, "%s: host CR0 0x%llx has every fixed-1 bit", model->name,
                     (unsigned long long)cr0);
            CHECK_EQ(cr0 & ~c.cr0_fixed1, 0, "%s: host CR0 has no fixed-0 bit", model->name);
            CHECK_EQ(cr0 & (CR0_PE | CR0_PG | CR0_NE | CR0_WP), CR0_PE | CR0_PG | CR0_NE | CR0_WP,
                     "%s: host CR0 pages, protects and reports FPU errors natively", model->name);
            CHECK_EQ(cr0 & (CR0_CD | CR0_NW), 0, "%s: host CR0 caches", model->name);
            CHECK_EQ(cr4 & c.cr4_fixed0, c.cr4_fixed0, "%s: host CR4 0x%llx has every fixed-1 bit", model->name,
                     (unsigned long long)cr4);
            CHECK_EQ(cr4 & ~c.cr4_fixed1, 0, "%s: host CR4 has no fixed-0 bit", model->name);
            CHECK_EQ(cr4 & (CR4_PAE | CR4_VMXE), CR4_PAE | CR4_VMXE, "%s: host CR4 has PAE and VMXE", model->name);
            CHECK_EQ(cr4 & never, 0, "%s: no LA57, CET, PKE, SMEP, SMAP, PCIDE or PGE in host CR4 0x%llx",
                     model->name, (unsigned long long)cr4);
            /* A model whose CR4_FIXED1 forbids a bit has no such feature
             * (Lynnfield and Arrandale have no XSAVE): then never. */
            bool mce_ok = c.cr4_fixed1 & CR4_MCE, xsave_ok = c.cr4_fixed1 & CR4_OSXSAVE;
            CHECK_EQ(!!(cr4 & CR4_MCE), mce && mce_ok, "%s: CR4.MCE exactly when the CPU has machine checks",
                     model->name);
            CHECK_EQ(!!(cr4 & CR4_OSXSAVE), xsave && xsave_ok, "%s: CR4.OSXSAVE exactly when the CPU has XSAVE",
                     model->name);
        }
    }
    /* A fixed-1 bit beyond what root mode asks for is still set. */
    struct vmx_choice odd = { .cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG, .cr0_fixed1 = 0xFFFFFFFFull,
                              .cr4_fixed0 = CR4_VMXE | CR4_SMXE, .cr4_fixed1 = 0x3FFFFFull };
    CHECK(vmx_host_cr4(&odd, true, true) & CR4_SMXE, "a fixed-1 SMXE is kept");
    CHECK_EQ(vmx_host_cr4(&odd, true, true) & CR4_LA57, 0, "LA57 only when asked for");
}
