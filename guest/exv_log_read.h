/*
 * Reading the hypervisor's log (leaf 0x40000008, hv/stats/abi.h), 16 bytes per
 * CPUID, for the UEFI probe and the Linux exvprobe alike. Each whole line is
 * handed to emit() without its "exitvisor: " prefix (so a printed copy is
 * never taken for the hypervisor's own line by tools/exitlog.py). Bytes the
 * ring had already overwritten, and a line cut by them, are skipped and
 * counted in *lost_bytes.
 */
#ifndef EXITVISOR_GUEST_EXV_LOG_READ_H
#define EXITVISOR_GUEST_EXV_LOG_READ_H
#include "exv_query.h"

#define EXV_LOG_LINE_MAX 512

struct exv_log_info {
    uint64_t written;    /* bytes the hypervisor wrote since launch */
    uint32_t ring_size;
    uint64_t lost_bytes; /* not readable any more (overwritten), or cut lines */
    uint32_t lines;
};

typedef void (*exv_log_emit)(const char *line, uint32_t n, void *ctx);

/* 0 when the log leaf answers, -1 when this exitvisor has none. */
static inline int exv_log_read(exv_log_emit emit, void *ctx, struct exv_log_info *info)
{
    static const char prefix[] = "exitvisor: ";
    char line[EXV_LOG_LINE_MAX];
    uint32_t len = 0;
    int skipping = 0; /* inside a line whose start is gone */

    info->written = info->lost_bytes = 0;
    info->ring_size = 0;
    info->lines = 0;
    if (cpuid(EXV_LEAF_SIGNATURE, 0).eax < EXV_LEAF_LOG)
        return -1;
    struct cpuid_regs h = cpuid(EXV_LEAF_LOG, EXV_LOG_HEADER);
    if (h.eax != EXV_LOG_VERSION)
        return -1;
    info->written = ebx_ecx(h);
    info->ring_size = h.edx;
    uint64_t start = info->written > h.edx ? info->written - h.edx : 0;
    /* A line cut at the ring's oldest byte is not shown. */
    skipping = start > 0;
    info->lost_bytes = start;
    for (uint64_t at = start & ~15ull; at < info->written; at += 16) {
        struct cpuid_regs r = cpuid(EXV_LEAF_LOG, (uint32_t)(at / 16));
        if (r.eax == EXV_LOG_GONE && r.ebx == EXV_LOG_GONE && r.ecx == EXV_LOG_GONE && r.edx == EXV_LOG_GONE) {
            info->lost_bytes += 16;
            len = 0;
            skipping = 1;
            continue;
        }
        uint32_t w[4] = { r.eax, r.ebx, r.ecx, r.edx };
        for (uint32_t i = 0; i < 16 && at + i < info->written; i++) {
            if (at + i < start)
                continue;
            char c = (char)(w[i / 4] >> (8 * (i % 4)));
            if (c == '\n') {
                if (!skipping) {
                    uint32_t from = 0;
                    if (len >= sizeof(prefix) - 1) {
                        uint32_t k = 0;
                        while (k < sizeof(prefix) - 1 && line[k] == prefix[k])
                            k++;
                        if (k == sizeof(prefix) - 1)
                            from = k;
                    }
                    emit(line + from, len - from, ctx);
                    info->lines++;
                }
                len = 0;
                skipping = 0;
            } else if (len < sizeof(line) - 1) {
                line[len++] = c;
            }
        }
    }
    return 0;
}
#endif
