/*
 * Every VMCS field written at launch, in one place, grouped by width in the
 * SDM's order (Vol. 3D Appendix B): 16-bit, 64-bit, 32-bit, natural width;
 * within each, control, guest-state, host-state.
 *
 * The guest state is this CPU's own state at the time of the call; RIP, RSP
 * and RFLAGS are where boot/enter_guest.asm wants the guest to resume, so
 * the CPU continues in VMX non-root mode where it left the boot code.
 */
#include "vmcs_setup.h"
#include "vmcs.h"
#include "../arch/msr.h"

extern void vmexit_entry(void);

struct segment {
    u16 selector;
    u64 base;
    u32 limit;
    u32 access_rights;
};

/* Decode a GDT descriptor the way the processor's hidden segment cache holds it. */
static void read_segment(u16 selector, const struct descriptor_table_reg *gdtr, struct segment *s)
{
    s->selector = selector;
    if ((selector & ~3u) == 0 || (selector & 4) || (selector | 7u) > gdtr->limit) {
        /* Null (or not in the GDT): an unusable segment. */
        s->base = 0;
        s->limit = 0;
        s->access_rights = SEG_AR_UNUSABLE;
        return;
    }
    const u8 *entry = (const u8 *)(uintptr_t)(gdtr->base + (selector & ~7u));
    u64 d = *(const u64 *)entry;
    s->base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) << 24);
    s->limit = (u32)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
    s->access_rights = (u32)((d >> 40) & 0xF0FF);
    if (s->access_rights & (1u << 15)) /* G: 4-KiB granularity */
        s->limit = (s->limit << 12) | 0xFFF;
    if (!(s->access_rights & (1u << 4))) /* system descriptor: 16 bytes in long mode */
        s->base |= (u64)(*(const u32 *)(entry + 8)) << 32;
    else
        s->access_rights |= 1; /* code/data: the CPU sets "accessed" when it loads one */
}

#define WRITE_GUEST_SEGMENT(SEG, seg)                                          \
    do {                                                                       \
        vmcs_write(VMCS_GUEST_##SEG##_SEL, (seg).selector);                   \
        vmcs_write(VMCS_GUEST_##SEG##_BASE, (seg).base);                      \
        vmcs_write(VMCS_GUEST_##SEG##_LIMIT, (seg).limit);                    \
        vmcs_write(VMCS_GUEST_##SEG##_AR, (seg).access_rights);               \
    } while (0)

void vmcs_setup_for_launch(struct vcpu *v, u64 guest_rip, u64 guest_rsp, u64 guest_rflags)
{
    struct descriptor_table_reg gdtr, idtr;
    struct segment es, cs, ss, ds, fs, gs, ldtr, tr;

    read_gdtr(&gdtr);
    read_idtr(&idtr);
    read_segment(read_es(), &gdtr, &es);
    read_segment(read_cs(), &gdtr, &cs);
    read_segment(read_ss(), &gdtr, &ss);
    read_segment(read_ds(), &gdtr, &ds);
    read_segment(read_fs(), &gdtr, &fs);
    read_segment(read_gs(), &gdtr, &gs);
    read_segment(read_ldtr(), &gdtr, &ldtr);
    read_segment(read_tr(), &gdtr, &tr);
    fs.base = rdmsr(MSR_IA32_FS_BASE);
    gs.base = rdmsr(MSR_IA32_GS_BASE);
    if (tr.access_rights & SEG_AR_UNUSABLE) {
        /* UEFI runs with TR = 0, but VM entry requires a usable busy TSS
         * (SDM 27.3.1.2). Describe an empty one; the firmware never uses it. */
        tr.base = 0;
        tr.limit = 0x67;
        tr.access_rights = 0x8B;
    }
    u64 host_stack_top = (u64)(uintptr_t)(v->host_stack + HOST_STACK_SIZE);
    *(u64 *)(uintptr_t)(host_stack_top - 16) = (u64)(uintptr_t)v; /* read by vmexit_entry */

    /* ---- 16-bit fields ---- */
    if (hv->proc2_ctls & PROC2_ENABLE_VPID)
        vmcs_write(VMCS_VPID, v->index + 1); /* 0 is the host's */
    WRITE_GUEST_SEGMENT(ES, es);
    WRITE_GUEST_SEGMENT(CS, cs);
    WRITE_GUEST_SEGMENT(SS, ss);
    WRITE_GUEST_SEGMENT(DS, ds);
    WRITE_GUEST_SEGMENT(FS, fs);
    WRITE_GUEST_SEGMENT(GS, gs);
    WRITE_GUEST_SEGMENT(LDTR, ldtr);
    WRITE_GUEST_SEGMENT(TR, tr);
    vmcs_write(VMCS_HOST_ES_SEL, HOST_DS_SEL);
    vmcs_write(VMCS_HOST_CS_SEL, HOST_CS_SEL);
    vmcs_write(VMCS_HOST_SS_SEL, HOST_DS_SEL);
    vmcs_write(VMCS_HOST_DS_SEL, HOST_DS_SEL);
    vmcs_write(VMCS_HOST_FS_SEL, HOST_DS_SEL);
    vmcs_write(VMCS_HOST_GS_SEL, HOST_DS_SEL);
    vmcs_write(VMCS_HOST_TR_SEL, HOST_TR_SEL);

    /* ---- 64-bit fields ---- */
    if (hv->proc_ctls & PROC_USE_IO_BITMAPS) {
        vmcs_write(VMCS_IO_BITMAP_A, (u64)(uintptr_t)hv->io_bitmap_a);
        vmcs_write(VMCS_IO_BITMAP_B, (u64)(uintptr_t)hv->io_bitmap_b);
    }
    vmcs_write(VMCS_MSR_BITMAP, (u64)(uintptr_t)hv->msr_bitmap);
    if (hv->proc2_ctls & PROC2_ENABLE_EPT)
        vmcs_write(VMCS_EPT_POINTER, hv->ept_pointer);
    /* XSAVES/XRSTORS stay the guest's: no XSS bit exits. The field is
     * undefined until written (Bochs zeroes it; hardware need not). */
    if (hv->proc2_ctls & PROC2_ENABLE_XSAVES)
        vmcs_write(VMCS_XSS_EXITING_BITMAP, 0);
    vmcs_write(VMCS_LINK_POINTER, ~0ull); /* no shadow VMCS */
    vmcs_write(VMCS_GUEST_DEBUGCTL, rdmsr(MSR_IA32_DEBUGCTL));
    vmcs_write(VMCS_GUEST_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_write(VMCS_GUEST_EFER, rdmsr(MSR_IA32_EFER));
    vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));

    /* ---- 32-bit fields ---- */
    vmcs_write(VMCS_PIN_CONTROLS, hv->pin_ctls);
    vmcs_write(VMCS_PROC_CONTROLS, hv->proc_ctls);
    vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write(VMCS_PF_ERROR_MASK, 0);
    vmcs_write(VMCS_PF_ERROR_MATCH, 0);
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write(VMCS_EXIT_CONTROLS, hv->exit_ctls);
    vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    /* The guest is in 64-bit mode now; later exits keep this bit in step
     * with the guest's EFER.LMA by themselves (SDM 28.2). */
    vmcs_write(VMCS_ENTRY_CONTROLS, hv->entry_ctls | ENTRY_IA32E_MODE_GUEST);
    vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
    if (hv->proc_ctls & PROC_SECONDARY_CONTROLS)
        vmcs_write(VMCS_PROC2_CONTROLS, hv->proc2_ctls);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, gdtr.limit);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, idtr.limit);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    vmcs_write(VMCS_GUEST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
    vmcs_write(VMCS_HOST_SYSENTER_CS, 0);

    /* ---- natural-width fields ---- */
    u64 cr0 = read_cr0(), cr4 = read_cr4();
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, hv->cr0_mask);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, hv->cr4_mask);
    vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_write(VMCS_CR4_READ_SHADOW, cr4 & ~CR4_VMXE); /* the guest never turned VMX on */
    vmcs_write(VMCS_GUEST_CR0, cr0);
    vmcs_write(VMCS_GUEST_CR3, read_cr3());
    vmcs_write(VMCS_GUEST_CR4, cr4);
    vmcs_write(VMCS_GUEST_GDTR_BASE, gdtr.base);
    vmcs_write(VMCS_GUEST_IDTR_BASE, idtr.base);
    vmcs_write(VMCS_GUEST_DR7, read_dr7());
    vmcs_write(VMCS_GUEST_RSP, guest_rsp);
    vmcs_write(VMCS_GUEST_RIP, guest_rip);
    vmcs_write(VMCS_GUEST_RFLAGS, guest_rflags);
    vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write(VMCS_GUEST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
    vmcs_write(VMCS_GUEST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
    vmcs_write(VMCS_HOST_CR0, hv->host_cr0);
    vmcs_write(VMCS_HOST_CR3, hv->host_cr3);
    vmcs_write(VMCS_HOST_CR4, hv->host_cr4);
    vmcs_write(VMCS_HOST_FS_BASE, 0);
    vmcs_write(VMCS_HOST_GS_BASE, (u64)(uintptr_t)v); /* current_vcpu() */
    vmcs_write(VMCS_HOST_TR_BASE, (u64)(uintptr_t)&v->tss);
    vmcs_write(VMCS_HOST_GDTR_BASE, (u64)(uintptr_t)v->host_gdt);
    vmcs_write(VMCS_HOST_IDTR_BASE, (u64)(uintptr_t)hv->host_idt);
    vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
    vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
    vmcs_write(VMCS_HOST_RSP, host_stack_top - 16);
    vmcs_write(VMCS_HOST_RIP, (u64)(uintptr_t)vmexit_entry);
}

void vmcs_set_guest_init_state(u32 activity)
{
    /* Real mode at the reset vector's segment; the SIPI sets CS and RIP. */
    static const u32 data_seg[] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
                                    VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL };
    for (u32 i = 0; i < ARRAY_LEN(data_seg); i++) {
        u32 sel = data_seg[i];
        u32 n = (sel - VMCS_GUEST_ES_SEL) / 2;
        vmcs_write(sel, 0);
        vmcs_write(VMCS_GUEST_ES_BASE + 2 * n, 0);
        vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * n, 0xFFFF);
        vmcs_write(VMCS_GUEST_ES_AR + 2 * n, 0x93); /* present, read/write, accessed */
    }
    vmcs_write(VMCS_GUEST_CS_SEL, 0xF000);
    vmcs_write(VMCS_GUEST_CS_BASE, 0xFFFF0000ull);
    vmcs_write(VMCS_GUEST_CS_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_CS_AR, 0x9B); /* present, execute/read, accessed */
    vmcs_write(VMCS_GUEST_LDTR_SEL, 0);
    vmcs_write(VMCS_GUEST_LDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_LDTR_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_LDTR_AR, 0x82);
    vmcs_write(VMCS_GUEST_TR_SEL, 0);
    vmcs_write(VMCS_GUEST_TR_BASE, 0);
    vmcs_write(VMCS_GUEST_TR_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_TR_AR, 0x8B);
    vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);

    u64 cr0 = CR0_CD | CR0_NW | CR0_ET;
    vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_write(VMCS_GUEST_CR0, (cr0 | (hv->cr0_fixed0 & ~(CR0_PE | CR0_PG))) & hv->cr0_fixed1);
    vmcs_write(VMCS_CR4_READ_SHADOW, 0);
    vmcs_write(VMCS_GUEST_CR4, hv->cr4_fixed0);
    vmcs_write(VMCS_GUEST_CR3, 0);
    vmcs_write(VMCS_GUEST_DR7, 0x400);
    vmcs_write(VMCS_GUEST_RSP, 0);
    vmcs_write(VMCS_GUEST_RIP, 0xFFF0);
    vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
    vmcs_write(VMCS_GUEST_EFER, 0);
    vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
    vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
    vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
    vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
    vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
    vmcs_write(VMCS_ENTRY_CONTROLS, vmcs_read(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, activity);
}

void vmcs_start_at_sipi_vector(u32 vector)
{
    vmcs_write(VMCS_GUEST_CS_SEL, (u64)vector << 8);
    vmcs_write(VMCS_GUEST_CS_BASE, (u64)vector << 12);
    vmcs_write(VMCS_GUEST_CS_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_CS_AR, 0x9B);
    vmcs_write(VMCS_GUEST_RIP, 0);
    /* A CPU leaving wait-for-SIPI blocks nothing. A SIPI exit may have saved
     * blocking bits (Bochs reports SMI and NMI blocking there), which would
     * fail the next VM entry's checks (SMI blocking outside SMM). */
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}
