/* The hypervisor's log ring; see log_ring.h for the design. */
#include "log_ring.h"

#define MASK ((u64)LOG_RING_SIZE - 1)
_Static_assert((LOG_RING_SIZE & (LOG_RING_SIZE - 1)) == 0, "LOG_RING_SIZE must be a power of two");

void log_ring_reset(struct log_ring *r)
{
    r->reserved = 0;
    r->committed = 0;
}

void log_ring_append(struct log_ring *r, const char *s, size_t n)
{
    if (n > LOG_RING_SIZE) { /* only its end would survive anyway */
        s += n - LOG_RING_SIZE;
        n = LOG_RING_SIZE;
    }
    u64 at = __atomic_fetch_add(&r->reserved, (u64)n, __ATOMIC_ACQ_REL);
    for (size_t i = 0; i < n; i++)
        r->text[(at + i) & MASK] = (u8)s[i];
    /* Publish in order: the writers before this one first. Bounded: a CPU
     * that stopped while writing must not stop the log for good; then the
     * bytes are published with whatever that writer left in them. */
    for (u32 spins = 0; spins < 10000000; spins++) {
        u64 expected = at;
        if (__atomic_compare_exchange_n(&r->committed, &expected, at + n, false, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return;
        if (expected > at)
            return; /* a later writer gave up waiting and published past us */
    }
    __atomic_store_n(&r->committed, at + n, __ATOMIC_RELEASE);
}

size_t log_ring_read(const struct log_ring *r, u64 at, u8 *out, size_t n)
{
    u64 end = __atomic_load_n(&r->committed, __ATOMIC_ACQUIRE);
    if (at >= end)
        return 0;
    if (end - at < n)
        n = (size_t)(end - at);
    for (size_t i = 0; i < n; i++)
        out[i] = r->text[(at + i) & MASK];
    /* Anything a writer claimed by now may have overwritten what was just
     * copied: then the start is gone (checked after the copy, so a byte
     * read is either still the right one or reported gone). */
    u64 reserved = __atomic_load_n(&r->reserved, __ATOMIC_ACQUIRE);
    if (reserved > LOG_RING_SIZE && at < reserved - LOG_RING_SIZE)
        return LOG_RING_GONE;
    return n;
}
