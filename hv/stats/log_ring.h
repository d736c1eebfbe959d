/*
 * The hypervisor's log, kept in its own memory so a guest can read it (leaf
 * 0x40000008, hv/stats/abi.h) on a machine without a serial port: like dmesg, for
 * exitvisor.
 *
 * A ring of LOG_RING_SIZE bytes of text. Writers claim their bytes with one
 * atomic add on `reserved` (any CPU, root mode or boot code, no lock), copy
 * them in, and publish them in order by moving `committed` (a writer waits,
 * bounded, for the writers before it). Readers see bytes up to `committed`.
 * When the ring is full the oldest bytes are overwritten: a reader asking for
 * them learns they are gone (never reads a torn or newer byte in their
 * place), and the header says how many bytes were ever written. No input can
 * make a writer touch memory outside text[]: positions are taken modulo the
 * ring's size, and a line longer than the ring keeps only its end.
 *
 * Pure logic: the host unit tests drive it from several threads.
 */
#ifndef EXITVISOR_LOG_RING_H
#define EXITVISOR_LOG_RING_H
#include "../types.h"

#define LOG_RING_SIZE (64u * 1024u) /* a power of two */
#define LOG_RING_VERSION 1u

struct log_ring {
    volatile u64 reserved;  /* bytes claimed by writers, ever */
    volatile u64 committed; /* bytes complete and readable, ever */
    u8 text[LOG_RING_SIZE];
};

void log_ring_reset(struct log_ring *r);
/* Append n bytes (a whole line, with its newline). */
void log_ring_append(struct log_ring *r, const char *s, size_t n);
/* Copy up to n bytes from stream offset `at` (bytes since the first ever
 * written) into out. Returns how many were copied: 0 past the committed end;
 * LOG_RING_GONE if `at` has been overwritten already. */
#define LOG_RING_GONE ((size_t)-1)
size_t log_ring_read(const struct log_ring *r, u64 at, u8 *out, size_t n);

#endif
