/* A guest triple fault would reset a real machine: log who and where, then
 * print the exit table and reset the platform (hv/platform/platform.c). */
#include "handlers.h"
#include "../platform/diag.h"
#include "../platform/platform.h"

void handle_triple_fault(struct vcpu *v)
{
    log_exit(v, "triple fault in the guest");
    vcpu_dump_state(v);
    platform_reset(v, "after the guest's triple fault");
}
