/* Exit handlers, one per basic exit reason, grouped by family in hv/exits/.
 * The dispatcher (hv/exit_dispatch.c) counts and times; handlers only handle. */
#ifndef EXITVISOR_EXITS_HANDLERS_H
#define EXITVISOR_EXITS_HANDLERS_H
#include "../vcpu.h"
#include "../arch/msr.h"

typedef void (*exit_handler)(struct vcpu *v);

/* cpuid.c */
void handle_cpuid(struct vcpu *v);
/* msr.c */
void handle_rdmsr(struct vcpu *v);
void handle_wrmsr(struct vcpu *v);
void msr_bitmap_init(u8 *bitmap, const struct hv_state *h);
/* Does a WRMSR of msr exit only because exitvisor watches it? The MSR
 * bitmap's write half holds exactly the MSRs whose writes exitvisor
 * intercepts (msr_bitmap_init); of those, IA32_FEATURE_CONTROL and the VMX
 * MSRs are refused (the guest's own attempts at VMX), every other one is
 * watched. MSRs outside the bitmap's two ranges always exit: the guest's.
 * Inline and call-free: the dispatcher asks before every WRMSR handler. */
/* Where msr's read bit sits in the MSR bitmap (SDM 25.6.9: read-low,
 * read-high, write-low, write-high, 1 KiB each; its write bit is 2048 bytes
 * on): false for an MSR outside both ranges, which always exits. */
static inline bool msr_bitmap_bit(u32 msr, u32 *byte, u8 *mask)
{
    if (msr > 0x1FFF && msr - 0xC0000000u > 0x1FFF)
        return false;
    *byte = (msr >= 0xC0000000u ? 1024 : 0) + (msr & 0x1FFF) / 8;
    *mask = (u8)(1u << (msr & 7));
    return true;
}

static inline bool msr_write_is_watched(const u8 *bitmap, u32 msr)
{
    u32 byte;
    u8 mask;
    if (!msr_bitmap_bit(msr, &byte, &mask) || msr == MSR_IA32_FEATURE_CONTROL ||
        (msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST))
        return false;
    return (bitmap[2048 + byte] & mask) != 0;
}
/* cr.c */
void handle_cr_access(struct vcpu *v);
/* xsetbv.c */
void handle_xsetbv(struct vcpu *v);
/* vmcall.c */
void handle_vmcall(struct vcpu *v);
void print_exit_table(struct vcpu *v); /* the hypervisor's own table, on COM1 */
void print_timeline(struct vcpu *v);    /* the boot timeline up to now, on COM1 */
/* vmx_insn.c: VMX instructions and GETSEC raise #UD, as on a CPU without VMX/SMX. */
void handle_getsec(struct vcpu *v);
void handle_vmclear(struct vcpu *v);
void handle_vmlaunch(struct vcpu *v);
void handle_vmptrld(struct vcpu *v);
void handle_vmptrst(struct vcpu *v);
void handle_vmread(struct vcpu *v);
void handle_vmresume(struct vcpu *v);
void handle_vmwrite(struct vcpu *v);
void handle_vmxoff(struct vcpu *v);
void handle_vmxon(struct vcpu *v);
void handle_invept(struct vcpu *v);
void handle_invvpid(struct vcpu *v);
void handle_vmfunc(struct vcpu *v);
/* init_sipi.c */
void handle_init_signal(struct vcpu *v);
void handle_sipi(struct vcpu *v);
/* triple_fault.c */
void handle_triple_fault(struct vcpu *v);
/* cache.c */
void handle_invd(struct vcpu *v);
void handle_wbinvd(struct vcpu *v);
/* events.c: exits for events exitvisor does not intercept. */
void handle_exception_nmi(struct vcpu *v);
void handle_external_interrupt(struct vcpu *v);
void handle_interrupt_window(struct vcpu *v);
void handle_nmi_window(struct vcpu *v);
void handle_io_smi(struct vcpu *v);
void handle_other_smi(struct vcpu *v);
void handle_task_switch(struct vcpu *v);
void handle_monitor_trap_flag(struct vcpu *v);
void handle_preemption_timer(struct vcpu *v);
/* entry_failure.c */
void handle_entry_fail_guest_state(struct vcpu *v);
void handle_entry_fail_msr_loading(struct vcpu *v);
void handle_entry_fail_machine_check(struct vcpu *v);
/* io.c: the power-off ports (and the reset port when asked for). */
void handle_io_instruction(struct vcpu *v);
void io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b, const struct hv_options *opt);
/* unexpected.c: instructions and accesses whose exiting is off. */
void handle_hlt(struct vcpu *v);
void handle_invlpg(struct vcpu *v);
void handle_rdpmc(struct vcpu *v);
void handle_rdtsc(struct vcpu *v);
void handle_rsm(struct vcpu *v);
void handle_mov_dr(struct vcpu *v);
void handle_mwait(struct vcpu *v);
void handle_monitor(struct vcpu *v);
void handle_pause(struct vcpu *v);
void handle_tpr_below_threshold(struct vcpu *v);
void handle_apic_access(struct vcpu *v);
void handle_virtualized_eoi(struct vcpu *v);
void handle_gdtr_idtr_access(struct vcpu *v);
void handle_ldtr_tr_access(struct vcpu *v);
void handle_ept_violation(struct vcpu *v);
void handle_ept_misconfig(struct vcpu *v);
void handle_rdtscp(struct vcpu *v);
void handle_apic_write(struct vcpu *v);
void handle_rdrand(struct vcpu *v);
void handle_invpcid(struct vcpu *v);
void handle_encls(struct vcpu *v);
void handle_rdseed(struct vcpu *v);
void handle_pml_full(struct vcpu *v);
void handle_xsaves(struct vcpu *v);
void handle_xrstors(struct vcpu *v);
void handle_pconfig(struct vcpu *v);
void handle_spp_event(struct vcpu *v);
void handle_umwait(struct vcpu *v);
void handle_tpause(struct vcpu *v);
void handle_loadiwkey(struct vcpu *v);
void handle_enclv(struct vcpu *v);
void handle_enqcmd_pasid_fail(struct vcpu *v);
void handle_enqcmds_pasid_fail(struct vcpu *v);
void handle_bus_lock(struct vcpu *v);
void handle_instruction_timeout(struct vcpu *v);
void handle_seamcall(struct vcpu *v);
void handle_tdcall(struct vcpu *v);
void handle_rdmsrlist(struct vcpu *v);
void handle_wrmsrlist(struct vcpu *v);

#endif
