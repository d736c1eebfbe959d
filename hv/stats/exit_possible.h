/*
 * Which basic exit reasons can occur, derived from the VMX controls actually
 * in force (read back from the VMCS at launch), not from a hand-kept list.
 */
#ifndef EXITVISOR_EXIT_POSSIBLE_H
#define EXITVISOR_EXIT_POSSIBLE_H
#include "../types.h"
#include "../arch/exit_reasons.h"

/* The controls and CPU facts that decide whether an exit reason can occur. */
struct vmx_controls {
    u32 pin, proc, proc2, exit, entry;
    u32 exception_bitmap;
    u64 cr0_guest_host_mask, cr4_guest_host_mask;
    u32 entry_msr_load_count;
    u64 xss_exiting_bitmap;
    bool wait_for_sipi_used;   /* INIT puts vCPUs in wait-for-SIPI */
    bool cpu_has_xsave;        /* XSETBV exists at all */
    bool guest_can_set_smxe;   /* GETSEC exits only with guest CR4.SMXE = 1 */
};

/* Why a reason can occur: the rule, for logs and tests. */
enum exit_rule {
    RULE_UNDEFINED = 0, /* the SDM defines no such reason */
    RULE_ALWAYS,        /* unconditional exit (CPUID, INVD, VMX instructions...) */
    RULE_NEVER,         /* needs a feature exitvisor never enables (SMM monitor, SEAM, tertiary controls) */
    RULE_PIN,           /* a pin-based control bit */
    RULE_PROC,          /* a primary processor-based control bit */
    RULE_PROC2,         /* a secondary processor-based control bit (only if secondary controls are active) */
    RULE_PROC_AND_PROC2,/* both a primary and a secondary bit */
    RULE_EXCEPTION_OR_NMI,
    RULE_CR_ACCESS,
    RULE_WAIT_FOR_SIPI,
    RULE_XSAVE,
    RULE_XSAVES,
    RULE_GETSEC,
    RULE_ENTRY_MSR_LOAD,
    RULE_IO,
    RULE_PAUSE,         /* PAUSE exiting, or PAUSE-loop exiting (secondary) */
};

struct exit_condition {
    enum exit_rule rule;
    u32 bit;   /* control bit for RULE_PIN/PROC/PROC2; the primary bit for RULE_PROC_AND_PROC2 */
    u32 bit2;  /* the secondary bit for RULE_PROC_AND_PROC2 */
};

const struct exit_condition *exit_reason_condition(u32 reason);
bool exit_reason_possible(u32 reason, const struct vmx_controls *c);

#endif
