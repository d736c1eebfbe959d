/*
 * VMCALL: the hypercall interface of hv/abi.h. RAX selects the function and
 * receives the result; an unknown function or a call from CPL > 0 gets
 * EXV_VMCALL_UNKNOWN and nothing else changes.
 */
#include "handlers.h"
#include "../abi.h"
#include "../guest.h"
#include "../log.h"
#include "../stats_report.h"

static void log_line(const char *line, void *ctx)
{
    hv_log("cpu %u %s", *(const u32 *)ctx, line);
}

/* Also used before a platform reset (triple_fault.c). */
void print_exit_table(struct vcpu *v)
{
    exit_stats_report(hv->stats, log_line, &v->index);
}

/* At power-off and reset, after the table: a last sample first, so the
 * timeline ends at the totals just printed. */
void print_timeline(struct vcpu *v)
{
    timeline_sample_now(hv->timeline, hv->stats, rdtsc());
    timeline_report(hv->timeline, rdtsc(), log_line, &v->index);
}

void handle_vmcall(struct vcpu *v)
{
    u64 fn = v->regs->rax;

    if (guest_cpl() != 0) {
        v->regs->rax = EXV_VMCALL_UNKNOWN;
    } else if (fn == EXV_VMCALL_PING) {
        v->regs->rax = EXV_VMCALL_OK;
    } else if (fn == EXV_VMCALL_PRINT_STATS) {
        print_exit_table(v);
        v->regs->rax = EXV_VMCALL_OK;
    } else {
        v->regs->rax = EXV_VMCALL_UNKNOWN;
    }
    guest_skip_instruction(v);
}
