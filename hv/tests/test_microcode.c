/* hv/guest/microcode.c: an update's size from its header (SDM Vol. 3A Table 9-7). */
#include "check.h"
#include "hv/guest/microcode.h"

TEST(microcode_total_size_from_header)
{
    struct microcode_header h = { .header_version = 1, .update_revision = 0x2b, .data_size = 0, .total_size = 0 };
    CHECK_EQ(microcode_total_size(&h), 2048u, "data size 0: 2000 bytes of data, 2048 in all");
    h.total_size = 12345; /* ignored with data size 0 */
    CHECK_EQ(microcode_total_size(&h), 2048u, "total size ignored when data size is 0");
    h.data_size = 0x5FC00 - 48;
    h.total_size = 0x5FC00;
    CHECK_EQ(microcode_total_size(&h), 0x5FC00u, "a large update, data and header fill the total");
    h.total_size = 0x60000; /* room for an extended signature table */
    CHECK_EQ(microcode_total_size(&h), 0x60000u, "a total larger than header + data");
    h.total_size = 0x5FC00 - 1024;
    CHECK_EQ(microcode_total_size(&h), 0u, "a total smaller than header + data is not an update");
    h.total_size = 0x60001;
    CHECK_EQ(microcode_total_size(&h), 0u, "a total that is not a multiple of 1 KiB");
    h.total_size = 0x60000;
    h.data_size = 0x1001;
    CHECK_EQ(microcode_total_size(&h), 0u, "a data size that is not a multiple of 4 bytes");
    h.data_size = 0x1000;
    h.header_version = 2;
    CHECK_EQ(microcode_total_size(&h), 0u, "header version 2 is not a format the SDM describes");
    h.header_version = 1;
    h.data_size = 0xFFFFFFFFu & ~3u;
    h.total_size = 0xFFFFFC00u;
    CHECK_EQ(microcode_total_size(&h), 0u, "no wrap-around: data size near 4 GiB");
}
