/*
 * VMCALL: the hypercall interface of hv/stats/abi.h. RAX selects the function and
 * receives the result; an unknown function or a call from CPL > 0 gets
 * EXV_VMCALL_UNKNOWN and nothing else changes.
 */
#include "handlers.h"
#include "../stats/abi.h"
#include "../guest/guest.h"
#include "../platform/log.h"
#include "../stats/stats_report.h"
#include "../mem/guest_mem.h"
#include "../stats/log_ring.h"

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
 * timeline ends at the totals just printed, and none after it. */
void print_timeline(struct vcpu *v)
{
    timeline_close(hv->timeline, hv->stats, rdtsc());
    timeline_report(hv->timeline, rdtsc(), log_line, &v->index);
}

/* exitvisor's boot code hands over the lines it printed as a guest (hv/platform/log.h):
 * read from guest memory a piece at a time, whole lines into the ring. */
static bool __attribute__((noinline, cold)) take_boot_log(u64 at, u64 len, bool last)
{
    static char piece[512]; /* one exit at a time holds the boot CPU's call */
    u32 kept = 0;

    if (!__atomic_load_n(&hv->boot_log_open, __ATOMIC_ACQUIRE) || len > EXV_BOOT_LOG_MAX)
        return false;
    while (len) {
        u32 n = len < sizeof(piece) - kept ? (u32)len : (u32)(sizeof(piece) - kept);
        if (!guest_read_linear(at, (u8 *)piece + kept, n))
            return false;
        at += n;
        len -= n;
        n += kept;
        u32 whole = n;
        while (whole && piece[whole - 1] != '\n')
            whole--;
        if (!whole || !len)
            whole = n; /* a line longer than the piece, or the end: as it is */
        log_ring_append(hv->log_ring, piece, whole);
        kept = n - whole;
        for (u32 i = 0; i < kept; i++)
            piece[i] = piece[whole + i];
    }
    if (last)
        __atomic_store_n(&hv->boot_log_open, 0, __ATOMIC_RELEASE);
    return true;
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
    } else if (fn == EXV_VMCALL_BOOT_LOG) {
        bool last = v->regs->rdx & 1;
        v->regs->rax = take_boot_log(v->regs->rbx, v->regs->rcx, last) ? EXV_VMCALL_OK : EXV_VMCALL_UNKNOWN;
        if (last) /* refused or not, the boot is over: nothing more is taken */
            __atomic_store_n(&hv->boot_log_open, 0, __ATOMIC_RELEASE);
    } else {
        v->regs->rax = EXV_VMCALL_UNKNOWN;
    }
    guest_skip_instruction(v);
}
