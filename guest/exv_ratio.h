/*
 * exv_ratio.h — a rounded, overflow-safe num/den in fixed point, for the
 * guest programs' tables (UEFI and Linux alike): scale 100 gives hundredths
 * (cycles per exit), 10000 gives hundredths of a percent (shares). Counts
 * from a long run can be near 2^64, so both operands are halved until
 * num * scale + den / 2 fits. 0 when den is 0.
 */
#ifndef EXITVISOR_GUEST_EXV_RATIO_H
#define EXITVISOR_GUEST_EXV_RATIO_H

#include <stdint.h>

static inline uint64_t exv_ratio_rounded(uint64_t num, uint64_t den, uint64_t scale)
{
    if (den == 0)
        return 0;
    while (num > (UINT64_MAX - den / 2) / scale) {
        num >>= 1;
        den >>= 1;
    }
    if (den == 0)
        return 0;
    return (num * scale + den / 2) / den;
}
#endif
