/*
 * EPT violations. The identity map grants everything except writes to the
 * local APIC page and any access to the hypervisor's own memory.
 *  - A store to the APIC (init_sipi=intercept write-protects each vCPU's
 *    xAPIC page, following moves: hv/guest/guest_apic_base.c): decode it (every
 *    MOV and XCHG form hv/guest/insn_decode.h lists), let hv/guest/ipi.c take INIT/SIPI
 *    aimed at vCPUs when it is this vCPU's own APIC, perform every other
 *    store with the same width, skip the instruction.
 *  - An access to hypervisor memory: the guest gets #GP(0) at that
 *    instruction and nothing changes, whatever it tried.
 *  - A write the EPT allows by now (another CPU made the page writable
 *    again after an xAPIC move; this CPU still held the old translation):
 *    this CPU's EPT translations are flushed and the instruction retried.
 * Anything else is a hypervisor bug and stops the vCPU with its state shown.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../mem/guest_mem.h"
#include "../guest/insn_decode.h"
#include "../guest/ipi.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../platform/log.h"
#include "../arch/msr.h"
#include "../arch/apic.h"
#include "../arch/ept.h"
#include "../mem/ept_edit.h"
#include "../mem/ept_live.h"
#include "../mem/hv_memory.h"
#include "../guest/guest_apic_base.h"

#define EPT_QUAL_WRITE (1ull << 1)
#define SEG_AR_L (1u << 13)
#define SEG_AR_DB (1u << 14)

/* The longest readable prefix of the max bytes at rip: one read per page
 * (this runs for every APIC store: each EOI, each IPI), byte by byte only
 * where a read fails part-way, which a page-granular guest never does. */
static size_t read_instruction_bytes(u64 rip, u8 *bytes, size_t max)
{
    size_t n = 0;
    while (n < max) {
        size_t chunk = PAGE_SIZE - ((rip + n) & (PAGE_SIZE - 1));
        if (chunk > max - n)
            chunk = max - n;
        if (!guest_read_linear(rip + n, bytes + n, chunk)) {
            while (n < max && guest_read_linear(rip + n, bytes + n, 1))
                n++;
            break;
        }
        n += chunk;
    }
    return n;
}

static void emulate_apic_store(struct vcpu *v, u64 gpa)
{
    u8 bytes[15];
    u64 cs_ar = vmcs_read(VMCS_GUEST_CS_AR);
    bool long_mode = (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) && (cs_ar & SEG_AR_L);
    u64 rip = vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
    struct mmio_store store;

    if (!long_mode && !(cs_ar & SEG_AR_DB))
        vcpu_stop(v, "store to the local APIC from 16-bit code, which exitvisor does not decode");
    size_t n = read_instruction_bytes(rip, bytes, sizeof(bytes));
    if (!decode_mmio_store(bytes, n, long_mode, &store)) {
        log_exit(v, "EPT violation");
        vcpu_stop(v, "store to the local APIC with an instruction exitvisor does not decode");
    }
    u32 value = store.imm;
    if (store.from_reg) {
        u64 r = guest_gpr(v, store.reg);
        value = (u32)(store.high_byte ? r >> 8 : r);
    }
    if (store.width == 1) {
        /* A byte store: the APIC does what it does with one (the SDM
         * leaves it undefined); done as the same byte store. */
        volatile u8 *byte = (volatile u8 *)(uintptr_t)gpa;
        u8 old = store.exchange ? *byte : 0;
        *byte = (u8)value;
        if (store.exchange) {
            u64 r = guest_gpr(v, store.reg);
            r = store.high_byte ? (r & ~0xFF00ull) | ((u64)old << 8) : (r & ~0xFFull) | old;
            guest_set_gpr(v, store.reg, r);
        }
        guest_advance_rip(store.length);
        return;
    }
    volatile u32 *reg = (volatile u32 *)(uintptr_t)(gpa & ~3ull);
    u32 old = store.exchange ? *reg : 0;
    bool delivered = false;
    if ((gpa & 0xFFF) == XAPIC_ICR_LOW && (gpa & ~0xFFFull) == v->apic_page) {
        u32 dest = ((volatile u32 *)(uintptr_t)(v->apic_page + XAPIC_ICR_HIGH))[0] >> 24;
        delivered = ipi_intercept_icr(v, value, dest);
    }
    if (!delivered)
        *reg = value;
    if (store.exchange)
        guest_set_gpr(v, store.reg, old); /* a 32-bit register write clears bits 63:32 */
    guest_advance_rip(store.length);
}

void handle_ept_violation(struct vcpu *v)
{
    u64 gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);

    bool write = (vmcs_read(VMCS_EXIT_QUALIFICATION) & EPT_QUAL_WRITE) != 0;
    if (write && hv->opt.intercept_init_sipi && apic_page_is_watched(gpa & ~0xFFFull)) {
        emulate_apic_store(v, gpa);
        return;
    }
    if (hv_memory_overlap(hv, gpa, 1) != HV_MEMORY_OUTSIDE) {
        /* Logged a bounded number of times: a hostile guest could loop. */
        static u32 reported;
        if (__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED) < 8)
            hv_log("cpu %u guest access to hypervisor memory at 0x%llx (rip 0x%llx): #GP", v->index,
                   (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
        guest_inject_gp0();
        return;
    }
    if (write && (ept_leaf_of(ept_root(), hv->ept_top, gpa) & EPT_WRITE) && !ept_flush_this_cpu())
        return; /* a stale read-only translation: retried with the current map */
    log_exit(v, "EPT violation");
    hv_log("cpu %u   guest-physical address 0x%llx", v->index, (unsigned long long)gpa);
    vcpu_stop(v, "EPT violation outside the local APIC page and the hypervisor's memory: the identity map should "
                 "allow this access");
}
