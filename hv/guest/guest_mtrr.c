/*
 * The guest's MTRRs, followed by the EPT. With EPT on, a guest access takes
 * its memory type from the EPT leaf combined with the guest's PAT; the
 * MTRRs are not consulted (SDM Vol. 3C 29.3.7.2). exitvisor builds the EPT
 * with the types the firmware's MTRRs gave (hv/mem/ept.c); a guest that
 * reprograms them would otherwise see no effect at all. So every write to
 * an MTRR exits (hv/exits/msr.c; exitvisor's own exit), is done on the
 * CPU, and then the MTRRs are read back: where they now give other types
 * than the ones the EPT follows, every EPT leaf is retyped (hv/mem/ept_edit.c).
 *
 * Changing MTRRs the SDM's way (Vol. 3A 12.11.7.2) means: caches off
 * (CR0.CD = 1), MTRRs off (IA32_MTRR_DEF_TYPE.E = 0), the new values, MTRRs
 * on, caches on. While CR0.CD = 1 the CPU does not cache whatever the EPT
 * says (the guest's CR0 is the real one in non-root operation), so MTRRs
 * switched off then are not followed: the EPT keeps the types until the
 * MTRRs are on again, and is retyped only if they changed. Linux does this
 * twice per CPU at boot with unchanged values; following each "off" would
 * retype the whole map to UC and back every time. MTRRs switched off with
 * caching on are followed (everything UC).
 *
 * All CPUs share one EPT and each CPU has its own MTRRs, so the EPT follows
 * the CPU that changed them last. The SDM asks software to keep the MTRRs
 * of all processors the same and to change them on all of them together,
 * each processor writing its own (Vol. 3A 12.11.8): each of those writes
 * exits here, and each CPU flushes its own cached EPT translations.
 */
#include "guest_mtrr.h"
#include "../mem/ept_edit.h"
#include "../mem/ept_live.h"
#include "../mem/mtrr_read.h"
#include "../platform/log.h"
#include "../vmx/vmcs.h"
#include "../arch/x86_defs.h"

/* A guest may rewrite its MTRRs in a loop: the first changes are logged,
 * then one line says the rest are followed quietly. */
#define MTRR_CHANGES_LOGGED 16

void guest_mtrr_written(struct vcpu *v, u32 msr)
{
    static u32 changes;
    struct mtrr_state now = { 0 };
    struct ept_retype_result r = { 0 };
    bool changed;

    if (!hv->ept_pointer)
        return; /* no EPT: the MTRRs act on guest accesses themselves */
    mtrr_read_state(&now, hv->phys_bits);
    bool caching_off = (vmcs_read(VMCS_GUEST_CR0) & CR0_CD) != 0;
    ept_edit_begin();
    changed = !(caching_off && !now.enabled) && !mtrr_state_equal(&now, &hv->ept_mtrr);
    if (changed) {
        ept_retype(ept_root(), hv->ept_top, &now, &hv->ept_reserve, &r);
        hv->ept_mtrr = now;
    }
    ept_edit_end();
    /* Always: another CPU may have retyped the map since this one last
     * flushed, and this write is this CPU's part of the change. */
    ept_flush_this_cpu_after(v, "an MTRR write");
    if (!changed)
        return;
    u32 n = __atomic_add_fetch(&changes, 1, __ATOMIC_RELAXED);
    if (n <= MTRR_CHANGES_LOGGED)
        hv_log("cpu %u the guest's MTRRs changed (WRMSR 0x%x, MTRRs %s): the EPT follows them: %llu EPT entries "
               "retyped, %u large pages split%s",
               v->index, msr, now.enabled ? "on" : "off (all UC)", (unsigned long long)r.retyped, r.split,
               r.unsplit ? ", some large pages keep their old type: the EPT split reserve is used up" : "");
    if (n == MTRR_CHANGES_LOGGED)
        hv_log("further MTRR changes are followed without a line");
}
