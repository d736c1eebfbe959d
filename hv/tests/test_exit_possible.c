/*
 * hv/stats/exit_possible.c: which exit reasons can occur with given VMX controls.
 * The baseline is what hv/vmx/vmx_support.c asks for on Bochs' skylake_x model
 * with true controls: MSR bitmaps + secondary controls (EPT, unrestricted
 * guest, RDTSCP, INVPCID, XSAVES), CR0 mask NE, CR4 mask VMXE|SMXE, the
 * wait-for-SIPI state in use, a CPU with XSAVE. Then single controls flip.
 * Expectations are from the SDM (Vol. 3C 26.1-26.2, 25.6).
 */
#include "check.h"
#include "sdm.h"
#include "hv/stats/exit_possible.h"
#include "hv/arch/vmcs_fields.h"
#include "hv/arch/x86.h"

/* Default-1 bits of the true controls (reserved, always 1): they must not
 * make anything possible. */
#define PIN_DEFAULT1  ((1u << 1) | (1u << 2) | (1u << 4))
#define PROC_DEFAULT1 ((1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) | (1u << 14) | (1u << 26))

static struct vmx_controls realistic(void)
{
    struct vmx_controls c = { 0 };
    c.pin = PIN_DEFAULT1;
    c.proc = PROC_DEFAULT1 | PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS;
    c.proc2 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
              PROC2_ENABLE_XSAVES;
    c.exit = (1u << 9) /* host address-space size */ | (1u << 20) | (1u << 21); /* save/load EFER */
    c.entry = (1u << 15); /* load EFER */
    c.exception_bitmap = 0;
    c.cr0_guest_host_mask = CR0_NE;
    c.cr4_guest_host_mask = CR4_VMXE | CR4_SMXE;
    c.entry_msr_load_count = 0;
    c.xss_exiting_bitmap = 0;
    c.wait_for_sipi_used = true;
    c.cpu_has_xsave = true;
    c.guest_can_set_smxe = false; /* SMXE is in the CR4 mask */
    return c;
}

static const char *nm(u32 r)
{
    const char *n = sdm_reason_name(r);
    return n ? n : "(undefined)";
}

#define POSSIBLE(c, r) CHECK(exit_reason_possible((r), &(c)), "reason %u (%s) possible", (r), nm(r))
#define IMPOSSIBLE(c, r) CHECK(!exit_reason_possible((r), &(c)), "reason %u (%s) impossible", (r), nm(r))

static const u32 yes[] = {
        2,  /* triple fault */
        3,  /* INIT */
        4,  /* SIPI (wait-for-SIPI used) */
        9,  /* task switch */
        10, /* CPUID */
        13, /* INVD */
        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, /* VMCALL .. VMXON */
        28, /* CR access (CR0/CR4 masks) */
        31, 32, /* RDMSR/WRMSR (MSRs outside the bitmaps) */
        33, /* entry failure: invalid guest state */
        41, /* entry failure: machine check */
        48, 49, /* EPT violation / misconfiguration */
        50, 53, /* INVEPT, INVVPID */
        55, /* XSETBV */
};

static const u32 no[] = {
        0,  /* exception/NMI: empty bitmap, no NMI exiting */
        1,  /* external interrupt */
        5, 6, /* SMIs */
        7, 8, /* interrupt / NMI window */
        11, /* GETSEC: guest cannot set CR4.SMXE */
        12, /* HLT */
        14, /* INVLPG */
        15, /* RDPMC */
        16, /* RDTSC */
        17, /* RSM */
        29, /* MOV DR */
        30, /* I/O */
        34, /* entry failure: MSR loading (no MSR-load list) */
        36, 37, 39, 40, /* MWAIT, MTF, MONITOR, PAUSE */
        43, 44, 45, 46, 47, /* APIC/TPR/descriptor tables */
        51, /* RDTSCP needs RDTSC exiting as well */
        52, /* preemption timer */
        54, /* WBINVD */
        56, 57, /* APIC write, RDRAND */
        58, /* INVPCID needs INVLPG exiting as well */
        59, 60, 61, 62, /* VMFUNC, ENCLS, RDSEED, PML */
        63, 64, /* XSAVES/XRSTORS: no XSS-exiting bitmap */
        65, 66, 67, 68, 69, 70, 72, 73, 74, 75, 76, 77, 78, 79,
};

TEST(possible_with_realistic_controls)
{
    struct vmx_controls c = realistic();
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        POSSIBLE(c, yes[i]);
}

TEST(impossible_with_realistic_controls)
{
    struct vmx_controls c = realistic();
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        IMPOSSIBLE(c, no[i]);
    const u32 undefined[] = { 35, 38, 42, 71, 80, 81, 1000, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++)
        IMPOSSIBLE(c, undefined[i]);
}

TEST(realistic_partition_is_complete)
{
    /* Every defined reason is in exactly one of the two lists above, and
     * nothing outside the "yes" list is possible. */
    struct vmx_controls c = realistic();
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        int in_yes = 0, in_no = 0;
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
            in_yes += yes[i] == r;
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
            in_no += no[i] == r;
        if (sdm_reason_name(r))
            CHECK(in_yes + in_no == 1, "reason %u is listed exactly once (yes %d, no %d)", r, in_yes, in_no);
        CHECK_EQ(exit_reason_possible(r, &c), in_yes == 1, "reason %u (%s) possible iff in the yes list", r, nm(r));
    }
}

TEST(possible_flip_hlt)
{
    struct vmx_controls c = realistic();
    c.proc |= PROC_HLT_EXITING;
    POSSIBLE(c, 12);
    IMPOSSIBLE(c, 16);
}

TEST(possible_flip_secondary_off)
{
    struct vmx_controls c = realistic();
    c.proc &= ~PROC_SECONDARY_CONTROLS; /* proc2 still holds EPT etc.: inactive */
    c.proc |= PROC_RDTSC_EXITING | PROC_INVLPG_EXITING;
    c.xss_exiting_bitmap = 1;
    IMPOSSIBLE(c, 48);
    IMPOSSIBLE(c, 49);
    IMPOSSIBLE(c, 51); /* RDTSCP needs "enable RDTSCP" */
    IMPOSSIBLE(c, 58); /* INVPCID needs "enable INVPCID" */
    IMPOSSIBLE(c, 63); /* XSAVES needs "enable XSAVES/XRSTORS" */
    IMPOSSIBLE(c, 64);
    c.proc2 |= PROC2_WBINVD_EXITING | PROC2_RDRAND_EXITING | PROC2_DESCRIPTOR_TABLE_EXITING;
    IMPOSSIBLE(c, 54);
    IMPOSSIBLE(c, 57);
    IMPOSSIBLE(c, 46);
    POSSIBLE(c, 16); /* RDTSC is primary */
    POSSIBLE(c, 14); /* INVLPG is primary */
    c.proc |= PROC_SECONDARY_CONTROLS;
    POSSIBLE(c, 48);
    POSSIBLE(c, 51);
    POSSIBLE(c, 54);
    POSSIBLE(c, 57);
    POSSIBLE(c, 46);
    POSSIBLE(c, 47);
    POSSIBLE(c, 58);
    POSSIBLE(c, 63);
    POSSIBLE(c, 64);
}

TEST(possible_flip_ept_off)
{
    struct vmx_controls c = realistic();
    c.proc2 &= ~(PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST);
    IMPOSSIBLE(c, 48);
    IMPOSSIBLE(c, 49);
    POSSIBLE(c, 50); /* INVEPT exits unconditionally (or #UD) */
}

TEST(possible_flip_exception_nmi)
{
    struct vmx_controls c = realistic();
    c.pin |= PIN_NMI_EXITING;
    POSSIBLE(c, 0);
    c = realistic();
    c.exception_bitmap = 1u << 14; /* #PF */
    POSSIBLE(c, 0);
    c.exception_bitmap = 1u << 31;
    POSSIBLE(c, 0);
    c = realistic();
    c.pin |= PIN_VIRTUAL_NMIS; /* virtual NMIs alone cause no exit */
    IMPOSSIBLE(c, 0);
}

TEST(possible_flip_io)
{
    struct vmx_controls c = realistic();
    c.proc |= PROC_USE_IO_BITMAPS;
    POSSIBLE(c, 30);
    c = realistic();
    c.proc |= PROC_UNCONDITIONAL_IO_EXITING;
    POSSIBLE(c, 30);
}

TEST(possible_flip_pin_controls)
{
    struct vmx_controls c = realistic();
    c.pin |= PIN_EXTERNAL_INTERRUPT_EXITING;
    POSSIBLE(c, 1);
    IMPOSSIBLE(c, 52);
    c.pin |= PIN_PREEMPTION_TIMER;
    POSSIBLE(c, 52);
}

TEST(possible_flip_primary_controls)
{
    struct {
        u32 bit;
        u32 reason;
    } const rows[] = {
        { PROC_INTERRUPT_WINDOW_EXITING, 7 }, { PROC_NMI_WINDOW_EXITING, 8 }, { PROC_INVLPG_EXITING, 14 },
        { PROC_RDPMC_EXITING, 15 },           { PROC_RDTSC_EXITING, 16 },     { PROC_MOV_DR_EXITING, 29 },
        { PROC_MWAIT_EXITING, 36 },           { PROC_MONITOR_TRAP_FLAG, 37 }, { PROC_MONITOR_EXITING, 39 },
        { PROC_PAUSE_EXITING, 40 },           { PROC_USE_TPR_SHADOW, 43 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct vmx_controls c = realistic();
        IMPOSSIBLE(c, rows[i].reason);
        c.proc |= rows[i].bit;
        POSSIBLE(c, rows[i].reason);
    }
}

TEST(possible_flip_rdtscp_invpcid)
{
    struct vmx_controls c = realistic();
    c.proc |= PROC_RDTSC_EXITING;
    POSSIBLE(c, 16);
    POSSIBLE(c, 51); /* RDTSC exiting + enable RDTSCP */
    c.proc2 &= ~PROC2_ENABLE_RDTSCP;
    IMPOSSIBLE(c, 51); /* RDTSCP is #UD then */
    c = realistic();
    c.proc |= PROC_INVLPG_EXITING;
    POSSIBLE(c, 58);
    c.proc2 &= ~PROC2_ENABLE_INVPCID;
    IMPOSSIBLE(c, 58);
}

TEST(possible_flip_cr_access)
{
    struct vmx_controls c = realistic();
    c.cr0_guest_host_mask = 0;
    POSSIBLE(c, 28); /* CR4 mask still set */
    c.cr4_guest_host_mask = 0;
    IMPOSSIBLE(c, 28);
    const u32 cr_bits[] = { PROC_CR3_LOAD_EXITING, PROC_CR3_STORE_EXITING, PROC_CR8_LOAD_EXITING,
                            PROC_CR8_STORE_EXITING };
    for (size_t i = 0; i < sizeof(cr_bits) / sizeof(cr_bits[0]); i++) {
        struct vmx_controls d = c;
        d.proc |= cr_bits[i];
        POSSIBLE(d, 28);
    }
}

TEST(possible_flip_misc)
{
    struct vmx_controls c = realistic();
    c.wait_for_sipi_used = false;
    IMPOSSIBLE(c, 4);
    POSSIBLE(c, 3); /* INIT always exits */
    c = realistic();
    c.cpu_has_xsave = false;
    IMPOSSIBLE(c, 55);
    c = realistic();
    c.xss_exiting_bitmap = 1ull << 8;
    POSSIBLE(c, 63);
    POSSIBLE(c, 64);
    c.proc2 &= ~PROC2_ENABLE_XSAVES;
    IMPOSSIBLE(c, 63);
    c = realistic();
    c.entry_msr_load_count = 1;
    POSSIBLE(c, 34);
    c = realistic();
    c.guest_can_set_smxe = true;
    POSSIBLE(c, 11);
}

TEST(possible_flip_secondary_controls)
{
    struct {
        u32 bit;
        u32 reason;
    } const rows[] = {
        { PROC2_VIRTUALIZE_APIC_ACCESSES, 44 }, { PROC2_VIRTUAL_INTR_DELIVERY, 45 },
        { PROC2_DESCRIPTOR_TABLE_EXITING, 46 }, { PROC2_DESCRIPTOR_TABLE_EXITING, 47 },
        { PROC2_WBINVD_EXITING, 54 },           { PROC2_APIC_REGISTER_VIRT, 56 },
        { PROC2_RDRAND_EXITING, 57 },           { PROC2_ENABLE_VMFUNC, 59 },
        { PROC2_ENCLS_EXITING, 60 },            { PROC2_RDSEED_EXITING, 61 },
        { PROC2_ENABLE_PML, 62 },               { PROC2_BUS_LOCK_DETECTION, 74 },
        { PROC2_INSTRUCTION_TIMEOUT, 75 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct vmx_controls c = realistic();
        IMPOSSIBLE(c, rows[i].reason);
        c.proc2 |= rows[i].bit;
        POSSIBLE(c, rows[i].reason);
    }
}

TEST(possible_pause_loop_exiting)
{
    /* SDM 26.1.3: PAUSE exits (reason 40) if "PAUSE exiting" is 1, or, at
     * CPL 0, if "PAUSE-loop exiting" (secondary bit 10) is 1 and the
     * PLE_Gap/PLE_Window conditions hold. */
    struct vmx_controls c = realistic();
    c.proc2 |= PROC2_PAUSE_LOOP_EXITING;
    POSSIBLE(c, 40);
}

TEST(possible_never_for_smm_and_undefined)
{
    /* Every control bit set: still no SMI/RSM exits (no SMM monitor), and
     * nothing for undefined numbers. */
    struct vmx_controls c = { 0 };
    c.pin = c.proc = c.proc2 = c.exit = c.entry = 0xFFFFFFFFu;
    c.exception_bitmap = 0xFFFFFFFFu;
    c.cr0_guest_host_mask = c.cr4_guest_host_mask = ~0ull;
    c.entry_msr_load_count = 1;
    c.xss_exiting_bitmap = ~0ull;
    c.wait_for_sipi_used = c.cpu_has_xsave = c.guest_can_set_smxe = true;
    IMPOSSIBLE(c, 5);
    IMPOSSIBLE(c, 6);
    IMPOSSIBLE(c, 17);
    for (u32 r = 0; r < EXIT_REASON_COUNT + 20; r++)
        if (!sdm_reason_name(r))
            IMPOSSIBLE(c, r);
    /* With everything on, every reason with a control is possible. */
    const u32 controlled[] = { 0, 1, 7, 8, 12, 14, 15, 16, 28, 29, 30, 34, 36, 37, 39, 40, 43, 44, 45, 46, 47,
                               48, 49, 51, 52, 54, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 70, 72,
                               73, 74, 75 };
    for (size_t i = 0; i < sizeof(controlled) / sizeof(controlled[0]); i++)
        POSSIBLE(c, controlled[i]);
}

TEST(possible_with_no_controls)
{
    /* All controls 0: only the unconditional exits remain. */
    struct vmx_controls c = { 0 };
    const u32 always[] = { 2, 3, 9, 10, 13, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 31, 32, 33, 41, 50, 53 };
    int n = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
        n += exit_reason_possible(r, &c);
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        POSSIBLE(c, always[i]);
    CHECK_EQ(n, sizeof(always) / sizeof(always[0]), "only the unconditional reasons are possible");
}
