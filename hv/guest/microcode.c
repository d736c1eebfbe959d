#include "microcode.h"

u32 microcode_total_size(const struct microcode_header *h)
{
    if (h->header_version != 1)
        return 0;
    if (h->data_size == 0)
        return MICROCODE_DEFAULT_TOTAL;
    u64 total = h->total_size, data = h->data_size;
    if (total % 1024 || data % 4 || total < data + MICROCODE_HEADER_SIZE)
        return 0;
    return (u32)total;
}
