/*
 * The microcode update format (Intel SDM Vol. 3A 9.11.1, Table 9-7): pure
 * parsing, unit-tested on the host. The loading is hv/guest/guest_microcode.c.
 */
#ifndef EXITVISOR_MICROCODE_H
#define EXITVISOR_MICROCODE_H
#include "../types.h"

#define MICROCODE_HEADER_SIZE 48
#define MICROCODE_DEFAULT_TOTAL 2048 /* data size 0: 2000 bytes of data + the header */

struct microcode_header {
    u32 header_version; /* 1 */
    u32 update_revision;
    u32 date;
    u32 processor_signature;
    u32 checksum;
    u32 loader_revision;
    u32 processor_flags;
    u32 data_size;      /* 0: 2000 */
    u32 total_size;     /* 0: 2048; else a multiple of 1 KiB */
    u32 reserved[3];
};
_Static_assert(sizeof(struct microcode_header) == MICROCODE_HEADER_SIZE, "SDM Table 9-7");

/* The update's size in bytes, header included, from its header; 0 when
 * the header is not one the SDM describes (header version 1; a total size
 * that is a multiple of 1 KiB and holds the header and the data). */
u32 microcode_total_size(const struct microcode_header *h);
#endif
