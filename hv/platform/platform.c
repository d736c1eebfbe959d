#include "platform.h"
#include "diag.h"
#include "log.h"
#include "../exits/handlers.h"

void platform_reset(struct vcpu *v, const char *why)
{
    print_exit_table(v);
    print_timeline(v);
    hv_log("cpu %u resetting the platform %s", v->index, why);
    hv_log_drain();
    outb(0xCF9, 0x02);
    outb(0xCF9, 0x06); /* hard reset */
    outb(0x64, 0xFE);  /* keyboard-controller reset, where 0xCF9 is absent */
    vcpu_stop(v, "platform reset did not happen");
}
