/*
 * init_sipi=intercept: virtual INIT and SIPI between vCPUs.
 *
 * A real INIT cannot restart a vCPU on every VMX implementation: Bochs 2.7
 * keeps INIT pending after the INIT VM exit, so the vCPU exits again at
 * every VM entry, forever. With init_sipi=intercept exitvisor therefore
 * catches the sender's interrupt-command register write (xAPIC page
 * write-protected in EPT; x2APIC ICR MSR in the MSR bitmap). An INIT or
 * SIPI aimed at a vCPU is not sent; it is posted to the target's mailbox
 * and the target is kicked with an NMI (NMI exiting is on in this mode).
 * The target then does what the IPI would have done: an INIT puts it in
 * the INIT state, halted in the guest (HLT activity, RFLAGS.IF = 0, so only
 * the next kick wakes it: no CPU time while it waits); a SIPI to a waiting
 * vCPU starts it in real mode at the vector. Every other IPI, and IPIs to
 * CPUs that are not vCPUs, go out unchanged.
 */
#ifndef EXITVISOR_IPI_H
#define EXITVISOR_IPI_H
#include "../vcpu.h"
#include "../arch/apic.h"

/* Handle a guest's ICR write (low 32 bits, destination APIC ID). Returns
 * true when exitvisor delivered it virtually (nothing is to be sent). */
bool ipi_intercept_icr(struct vcpu *sender, u32 icr_low, u32 dest_apic_id);
/* Before every VM entry: act on INIT/SIPI posted to this vCPU. */
void ipi_process_mailbox(struct vcpu *v);
/* An NMI reached this vCPU: true if it was a kick (consumed), false if it
 * is a real NMI that belongs to the guest. */
bool ipi_nmi_was_kick(struct vcpu *v);
#endif
