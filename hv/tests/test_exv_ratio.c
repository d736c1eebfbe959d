/* guest/exv_ratio.h: the guests' rounded fixed-point ratios (shares in
 * hundredths of a percent, cycles per exit in hundredths). */
#include <stdint.h>
#include "check.h"
#include "guest/exv_ratio.h"

TEST(exv_ratio_shares_and_per_exit)
{
    CHECK_EQ(exv_ratio_rounded(1, 3, 10000), 3333ull, "1/3 = 33.33 %%");
    CHECK_EQ(exv_ratio_rounded(2, 3, 10000), 6667ull, "2/3 rounds up to 66.67 %%");
    CHECK_EQ(exv_ratio_rounded(5, 5, 10000), 10000ull, "all of it is 100.00 %%");
    CHECK_EQ(exv_ratio_rounded(1002890, 1826, 100), 54923ull, "549.23 cycles per exit");
    CHECK_EQ(exv_ratio_rounded(0, 7, 100), 0ull, "nothing");
}

TEST(exv_ratio_zero_denominator)
{
    CHECK_EQ(exv_ratio_rounded(123, 0, 100), 0ull, "den 0 gives 0, not a fault");
    CHECK_EQ(exv_ratio_rounded(UINT64_MAX, 1, 10000), 0ull, "den halved to 0 while scaling gives 0");
}

TEST(exv_ratio_near_2_to_64)
{
    /* Operands too big for num * scale: halved together, the ratio kept. */
    uint64_t big = UINT64_MAX / 3;
    CHECK_EQ(exv_ratio_rounded(big, big * 2, 10000), 5000ull, "half of a huge total is 50.00 %%");
    CHECK_EQ(exv_ratio_rounded(big, big, 100), 100ull, "equal huge operands give 1.00");
    CHECK_EQ(exv_ratio_rounded(UINT64_MAX, UINT64_MAX / 4, 100), 400ull, "4.00, no overflow");
}
