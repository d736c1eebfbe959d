#include "ipi.h"
#include "init_state.h"
#include "../platform/platform.h"
#include "../vmx/vmcs.h"
#include "../arch/msr.h"

#define MAILBOX_INIT (1u << 8)
#define MAILBOX_SIPI (1u << 9) /* low 8 bits: the vector */

static struct vcpu *vcpu_by_apic_id(u32 apic_id)
{
    for (u32 i = 0; i < hv->nr_vcpus; i++)
        if (hv->vcpus[i].launched && hv->vcpus[i].apic_id == apic_id)
            return &hv->vcpus[i];
    return NULL;
}

/* Send a real NMI IPI from root mode. In xAPIC mode the guest's pending
 * ICR-high value is restored afterwards: the guest may be between its
 * ICR-high and ICR-low writes. */
static void send_nmi(u32 apic_id)
{
    u64 base = rdmsr(MSR_IA32_APIC_BASE);
    u32 icr = (ICR_MODE_NMI << 8) | ICR_LEVEL_ASSERT;

    if (base & APIC_BASE_X2APIC) {
        wrmsr(MSR_X2APIC_ICR, ((u64)apic_id << 32) | icr);
        return;
    }
    volatile u32 *apic = (volatile u32 *)(uintptr_t)(base & ~0xFFFull);
    for (u32 spin = 0; spin < 1000000 && (apic[XAPIC_ICR_LOW / 4] & ICR_DELIVERY_PENDING); spin++)
        cpu_pause();
    u32 saved_high = apic[XAPIC_ICR_HIGH / 4];
    apic[XAPIC_ICR_HIGH / 4] = apic_id << 24;
    apic[XAPIC_ICR_LOW / 4] = icr;
    for (u32 spin = 0; spin < 1000000 && (apic[XAPIC_ICR_LOW / 4] & ICR_DELIVERY_PENDING); spin++)
        cpu_pause();
    apic[XAPIC_ICR_HIGH / 4] = saved_high;
}

static void post(struct vcpu *sender, struct vcpu *target, u32 message)
{
    u32 old = __atomic_load_n(&target->mailbox, __ATOMIC_ACQUIRE), new_value;
    do {
        /* An INIT starts a new sequence: a stale SIPI must not survive it.
         * A SIPI keeps a pending INIT and replaces an earlier SIPI. */
        new_value = (message & MAILBOX_SIPI) ? ((old & MAILBOX_INIT) | message) : MAILBOX_INIT;
    } while (!__atomic_compare_exchange_n(&target->mailbox, &old, new_value, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    /* The sender reads its own mailbox before its next VM entry. Another
     * vCPU may be in the guest (running, or halted waiting for its SIPI):
     * one NMI in flight per target is enough, it reads the whole mailbox. */
    if (target != sender && !__atomic_exchange_n(&target->kick_pending, 1, __ATOMIC_ACQ_REL))
        send_nmi(target->apic_id);
}

/* Every processor, not only every vCPU slot: past EXV_MAX_VCPUS the others
 * run unvirtualized and only a real broadcast reaches them. */
static bool all_vcpus_launched(void)
{
    return hv->nr_launched == hv->nr_cpus_present;
}

bool ipi_intercept_icr(struct vcpu *sender, u32 icr_low, u32 dest_apic_id)
{
    u32 mode = ICR_DELIVERY_MODE(icr_low);
    if (mode != ICR_MODE_INIT && mode != ICR_MODE_SIPI)
        return false;
    if (mode == ICR_MODE_INIT && !(icr_low & ICR_LEVEL_ASSERT) && (icr_low & ICR_TRIGGER_LEVEL))
        return true; /* INIT level de-assert: no effect on any modern CPU */
    u32 message = mode == ICR_MODE_INIT ? MAILBOX_INIT : (MAILBOX_SIPI | (icr_low & 0xFF));
    bool x2apic = (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC) != 0;
    u32 shorthand = ICR_SHORTHAND(icr_low);

    if (shorthand == ICR_SHORTHAND_NONE && !(icr_low & ICR_DEST_LOGICAL)) {
        u32 broadcast = x2apic ? 0xFFFFFFFFu : 0xFFu;
        if (dest_apic_id == broadcast)
            shorthand = ICR_SHORTHAND_ALL_INCLUDING_SELF;
        else {
            /* Also to itself: an INIT to oneself resets oneself. An APIC ID
             * no vCPU has (a CPU left unvirtualized, or nobody) gets the
             * real IPI, as on hardware. */
            struct vcpu *target = vcpu_by_apic_id(dest_apic_id);
            if (!target)
                return false;
            post(sender, target, message);
            return true;
        }
    }
    if (shorthand == ICR_SHORTHAND_SELF)
        return true; /* INIT/SIPI with the self shorthand is invalid (SDM Vol. 3A 11.6.1): nothing happens */
    if (shorthand == ICR_SHORTHAND_ALL_BUT_SELF || shorthand == ICR_SHORTHAND_ALL_INCLUDING_SELF) {
        /* Virtual delivery only when every other CPU is a vCPU; otherwise
         * the real broadcast is the only way to reach the others. */
        if (!all_vcpus_launched())
            return false;
        for (u32 i = 0; i < hv->nr_vcpus; i++)
            if (&hv->vcpus[i] != sender || shorthand == ICR_SHORTHAND_ALL_INCLUDING_SELF)
                post(sender, &hv->vcpus[i], message);
        return true;
    }
    return false; /* logical destinations go out unchanged (README: what init_sipi=intercept does not cover) */
}

bool ipi_nmi_was_kick(struct vcpu *v)
{
    return __atomic_exchange_n(&v->kick_pending, 0, __ATOMIC_ACQ_REL) != 0;
}

static void take_mailbox(struct vcpu *v, u32 m)
{
    if (m & MAILBOX_INIT) {
        /* An INIT makes the boot CPU start over at the reset vector: the
         * machine reboots, as after a CF9 or keyboard-controller reset. */
        if (v->is_bsp)
            platform_reset(v, "after an INIT to the boot CPU");
        /* Halt in the INIT state until the SIPI's kick; RFLAGS.IF = 0, so
         * interrupts do not wake it, and no NMI is injected meanwhile. */
        vcpu_enter_init_state(v, ACTIVITY_HLT);
        v->waiting_for_sipi = true;
    }
    /* A SIPI to a vCPU that is not waiting for one is ignored, as on hardware. */
    if ((m & MAILBOX_SIPI) && v->waiting_for_sipi) {
        v->waiting_for_sipi = false;
        vcpu_start_at_sipi(v, m & 0xFF);
    }
}

void ipi_process_mailbox(struct vcpu *v)
{
    if (__atomic_load_n(&v->mailbox, __ATOMIC_ACQUIRE))
        take_mailbox(v, __atomic_exchange_n(&v->mailbox, 0, __ATOMIC_ACQ_REL));
    if (v->waiting_for_sipi) {
        /* Still waiting after some other exit (a guest NMI, a stray kick):
         * halt again, nothing blocked, so the next kick's NMI exits. */
        vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    }
}
