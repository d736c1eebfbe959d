/*
 * Exits for events. NMIs exit with init_sipi=intercept (NMI exiting carries
 * vCPU kicks, hv/guest/ipi.c) and, in either mode, while a guest NMI waits for
 * the NMI window (hv/guest/guest_events.c). Exceptions, interrupts, the interrupt
 * window, MTF and the preemption timer are not intercepted. If one of those arrives
 * anyway it is logged, then either handed back to the guest unchanged or,
 * where nothing sensible can be done, the vCPU stops with its state shown.
 */
#include "handlers.h"
#include "../vmx/vmcs.h"
#include "../platform/diag.h"
#include "../guest/guest_events.h"
#include "../guest/nmi_window.h"

#define UNEXPECTED "unexpected exit (its control is off)"

/* An NMI that causes a VM exit leaves NMIs blocked until the next IRET
 * (SDM 27.1). Hardware also lifts that blocking at VM entry when the guest's
 * interruptibility says so, but Bochs 2.7 does not: the blocking then lasted
 * into the guest until it ran an IRET, and firmware parked in a HLT loop
 * never does, so every later kick was held back and the vCPU never saw
 * Linux's INIT. An IRET to the next instruction ends the blocking here. */
static void unblock_nmis(void)
{
    u64 ss = read_ss(), cs = read_cs();
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "push %[ss]\n\t"
                     "push %%rax\n\t"
                     "pushfq\n\t"
                     "push %[cs]\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "push %%rax\n\t"
                     "iretq\n"
                     "1:"
                     :
                     : [ss] "r"(ss), [cs] "r"(cs)
                     : "rax", "memory", "cc");
}

void handle_exception_nmi(struct vcpu *v)
{
    u64 info = vmcs_read(VMCS_EXIT_INTR_INFO);
    if ((info & INTR_INFO_VALID) && ((info >> 8) & 7) == 2) {
        /* A kick from another vCPU (hv/guest/ipi.c), or the guest's own NMI, which
         * goes back to it before the next entry (hv/guest/guest_events.c). */
        guest_nmi_arrived(v);
        unblock_nmis();
        return;
    }
    log_exit(v, UNEXPECTED);
    if (!(info & INTR_INFO_VALID))
        vcpu_stop(v, "exception or NMI exit without valid interruption information");
    /* Reflect the event into the guest exactly as it was raised. */
    u32 entry = (u32)(info & (INTR_INFO_VALID | 0x7FF | INTR_INFO_DELIVER_ERROR_CODE));
    if (info & INTR_INFO_DELIVER_ERROR_CODE)
        vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read(VMCS_EXIT_INTR_ERROR));
    u32 type = (u32)(info >> 8) & 7;
    if (type == 4 || type == 5 || type == 6) /* software interrupt/exception: length needed */
        vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
    vmcs_write(VMCS_ENTRY_INTR_INFO, entry);
}

static void clear_proc_control(u32 bit)
{
    vmcs_write(VMCS_PROC_CONTROLS, vmcs_read(VMCS_PROC_CONTROLS) & ~(u64)bit);
}

void handle_interrupt_window(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    clear_proc_control(PROC_INTERRUPT_WINDOW_EXITING);
}

/* The guest unblocked NMIs: the latched NMI is injected before this entry. */
void handle_nmi_window(struct vcpu *v)
{
    if (!v->nmi_window_requested) {
        log_exit(v, UNEXPECTED);
        clear_proc_control(PROC_NMI_WINDOW_EXITING);
        return;
    }
    guest_nmi_window_closed(v);
}

void handle_monitor_trap_flag(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    clear_proc_control(PROC_MONITOR_TRAP_FLAG);
}

void handle_preemption_timer(struct vcpu *v)
{
    log_exit(v, UNEXPECTED);
    vmcs_write(VMCS_PIN_CONTROLS, vmcs_read(VMCS_PIN_CONTROLS) & ~(u64)PIN_PREEMPTION_TIMER);
}

#define STOPPING_EVENT(name, why)                                              \
    void handle_##name(struct vcpu *v)                                         \
    {                                                                          \
        log_exit(v, UNEXPECTED);                                               \
        vcpu_stop(v, why);                                                     \
    }

STOPPING_EVENT(external_interrupt, "external interrupt exit: the interrupt was not acknowledged and cannot be replayed")
STOPPING_EVENT(io_smi, "SMI exit: exitvisor runs no SMM monitor")
STOPPING_EVENT(other_smi, "SMI exit: exitvisor runs no SMM monitor")
STOPPING_EVENT(task_switch, "hardware task switch: exitvisor does not emulate task switches")
