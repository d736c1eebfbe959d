#include "ipi.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "log.h"
#include "exits/handlers.h"
#include "arch/msr.h"

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

static void post(struct vcpu *target, u32 message)
{
    u32 old = __atomic_load_n(&target->mailbox, __ATOMIC_ACQUIRE), new_value;
    do {
        /* An INIT starts a new sequence: a stale SIPI must not survive it.
         * A SIPI keeps a pending INIT and replaces an earlier SIPI. */
        new_value = (message & MAILBOX_SIPI) ? ((old & MAILBOX_INIT) | message) : MAILBOX_INIT;
    } while (!__atomic_compare_exchange_n(&target->mailbox, &old, new_value, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    /* Only an INIT needs a kick: a SIPI matters only to a vCPU waiting for
     * one, which polls its mailbox in root mode (ipi_process_mailbox). One
     * NMI in flight per target is enough: it reads the whole mailbox. */
    if (message == MAILBOX_INIT && !__atomic_exchange_n(&target->kick_pending, 1, __ATOMIC_ACQ_REL))
        send_nmi(target->apic_id);
}

bool ipi_intercept_icr(struct vcpu *sender, u32 icr_low, u32 dest_apic_id)
{
    u32 mode = ICR_DELIVERY_MODE(icr_low);
    if (mode != ICR_MODE_INIT && mode != ICR_MODE_SIPI)
        return false;
    if (mode == ICR_MODE_INIT && !(icr_low & ICR_LEVEL_ASSERT) && (icr_low & ICR_TRIGGER_LEVEL))
        return true; /* INIT level de-assert: no effect on any modern CPU */
    u32 message = mode == ICR_MODE_INIT ? MAILBOX_INIT : (MAILBOX_SIPI | (icr_low & 0xFF));

    if (ICR_SHORTHAND(icr_low) == ICR_SHORTHAND_NONE && !(icr_low & ICR_DEST_LOGICAL)) {
        struct vcpu *target = vcpu_by_apic_id(dest_apic_id);
        if (!target || target == sender)
            return false;
        post(target, message);
        return true;
    }
    if (ICR_SHORTHAND(icr_low) == ICR_SHORTHAND_ALL_BUT_SELF) {
        /* Virtual delivery only when every other CPU is a vCPU; otherwise
         * the real broadcast is the only way to reach the others. */
        if (hv->nr_launched != hv->nr_vcpus)
            return false;
        for (u32 i = 0; i < hv->nr_vcpus; i++)
            if (&hv->vcpus[i] != sender)
                post(&hv->vcpus[i], message);
        return true;
    }
    return false;
}

bool ipi_nmi_was_kick(struct vcpu *v)
{
    return __atomic_exchange_n(&v->kick_pending, 0, __ATOMIC_ACQ_REL) != 0;
}

void ipi_process_mailbox(struct vcpu *v)
{
    if (!__atomic_load_n(&v->mailbox, __ATOMIC_ACQUIRE))
        return;
    u32 m = __atomic_exchange_n(&v->mailbox, 0, __ATOMIC_ACQ_REL);
    if (!(m & MAILBOX_INIT))
        return; /* a SIPI to a vCPU that is not waiting for one: ignored, as on hardware */
    /* INIT: reset, then wait for the SIPI here in root mode, polling the
     * mailbox, as a real CPU sits in wait-for-SIPI. Waiting here rather than
     * in the guest means the SIPI needs no second kick, which could be lost
     * if it reached this CPU in the instant before VM entry. Another INIT
     * meanwhile just resets again. */
    for (;;) {
        if (m & MAILBOX_INIT)
            vcpu_reset_to_init(v, ACTIVITY_ACTIVE);
        if (m & MAILBOX_SIPI)
            break;
        while (!__atomic_load_n(&v->mailbox, __ATOMIC_ACQUIRE))
            cpu_pause();
        m = __atomic_exchange_n(&v->mailbox, 0, __ATOMIC_ACQ_REL);
    }
    vmcs_start_at_sipi_vector(m & 0xFF);
}
