/* Boot-time page allocator over one region the boot code obtained from the
 * firmware as EfiRuntimeServicesData. Nothing is ever freed: everything the
 * hypervisor allocates lives as long as the machine runs. */
#ifndef EXITVISOR_ARENA_H
#define EXITVISOR_ARENA_H
#include "../types.h"
struct arena { u8 *next, *end; };
/* Zeroed, page-aligned; NULL when the region is exhausted. */
void *arena_alloc_pages(struct arena *a, u64 pages);
/* Pages still free. */
static inline u64 arena_pages_left(const struct arena *a)
{
    return (u64)(a->end - a->next) / PAGE_SIZE;
}
#endif
