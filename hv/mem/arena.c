#include "arena.h"

void *arena_alloc_pages(struct arena *a, u64 pages)
{
    u64 bytes = pages * PAGE_SIZE;
    if ((u64)(a->end - a->next) < bytes)
        return NULL;
    u8 *p = a->next;
    a->next += bytes;
    /* REP STOSQ: megabytes of page tables are zeroed at boot, and a byte
     * loop made that a visible share of the boot time in Bochs. */
    u64 count = bytes / 8;
    void *dst = p;
    __asm__ volatile("rep stosq" : "+D"(dst), "+c"(count) : "a"(0ull) : "memory");
    return p;
}
