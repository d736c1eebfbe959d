/* A guest triple fault would reset a real machine: log who and where, print
 * the exit table (the counts die with the reset), then reset the platform
 * (port 0xCF9, then the keyboard controller). */
#include "handlers.h"
#include "../diag.h"
#include "../log.h"
#include "../serial.h"

void handle_triple_fault(struct vcpu *v)
{
    log_exit(v, "triple fault in the guest");
    vcpu_dump_state(v);
    print_exit_table(v);
    hv_log("cpu %u resetting the platform after the guest's triple fault", v->index);
    serial_drain();
    outb(0xCF9, 0x02);
    outb(0xCF9, 0x06); /* hard reset */
    outb(0x64, 0xFE);  /* keyboard-controller reset, where 0xCF9 is absent */
    vcpu_stop(v, "platform reset did not happen");
}
