/*
 * `exvprobe log`: the hypervisor's own log, read through leaf 0x40000008 —
 * what exitvisor printed on COM1 (which CPUs it launched, why one stayed
 * unvirtualized, its tables), for a machine without a serial port. Each
 * line is printed as "exvprobe: log: <line>" (without exitvisor's own
 * prefix, so a copy is never read as the hypervisor's line).
 */
#include <stdio.h>

#include "hv/stats/abi.h"
#include "../exv_log_read.h"
#include "exvprobe.h"

static void print_line(const char *line, uint32_t n, void *ctx)
{
    (void)ctx;
    printf("exvprobe: log: %.*s\n", (int)n, line);
}

int exvprobe_log(void)
{
    struct exv_log_info info;

    if (!signature_ok(cpuid(EXV_LEAF_SIGNATURE, 0))) {
        printf("exvprobe: no exitvisor underneath (no signature at CPUID 0x40000000): no log\n");
        return 2;
    }
    if (exv_log_read(print_line, NULL, &info) != 0) {
        printf("exvprobe: this exitvisor keeps no log (no leaf 0x%08x)\n", EXV_LEAF_LOG);
        return 2;
    }
    printf("exvprobe: log end: %u lines, %llu bytes written since launch, ring of %u bytes", info.lines,
           (unsigned long long)info.written, info.ring_size);
    if (info.lost_bytes)
        printf("; the first %llu bytes were overwritten (the ring was full)", (unsigned long long)info.lost_bytes);
    printf("\n");
    fflush(stdout);
    return 0;
}
