#include "arena.h"

void *arena_alloc_pages(struct arena *a, u64 pages)
{
    u64 bytes = pages * PAGE_SIZE;
    if ((u64)(a->end - a->next) < bytes)
        return NULL;
    u8 *p = a->next;
    a->next += bytes;
    for (u64 i = 0; i < bytes; i++)
        p[i] = 0;
    return p;
}
