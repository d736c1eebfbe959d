/*
 * Shared helpers of the libFuzzer targets in hv/tests/fuzz/ (built and run by
 * tools/tests/run_fuzz.sh, not by `make unit-test`).
 *
 *   struct fin: the fuzzer's input as a stream of bytes, integers and booleans;
 *               reading past the end yields zeros, so every input is usable.
 *   FUZZ_CHECK(cond, "fmt", ...): an invariant; on violation it prints the
 *               message and traps, which libFuzzer reports as a crash and
 *               saves the input as a reproducer.
 *   sdm_defined(r): whether the SDM defines basic exit reason r, written from
 *               the SDM (Vol. 3C Appendix C) and not from hv/stats/exit_names.c.
 */
#ifndef EXITVISOR_FUZZ_H
#define EXITVISOR_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fin {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fin_u8(struct fin *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fin_u16(struct fin *f)
{
    uint16_t lo = fin_u8(f);
    return (uint16_t)(lo | (uint16_t)fin_u8(f) << 8);
}

static inline uint32_t fin_u32(struct fin *f)
{
    uint32_t lo = fin_u16(f);
    return lo | (uint32_t)fin_u16(f) << 16;
}

static inline uint64_t fin_u64(struct fin *f)
{
    uint64_t lo = fin_u32(f);
    return lo | (uint64_t)fin_u32(f) << 32;
}

static inline bool fin_bool(struct fin *f) { return fin_u8(f) & 1; }

/* A 64-bit value biased towards the edges (0, 1, 2^32 +- 1, 2^64 - 1...)
 * where truncation and carries go wrong; the selector byte picks the class. */
static inline uint64_t fin_edgy_u64(struct fin *f)
{
    static const uint64_t edges[] = {
        0, 1, 2, 0x7FFFFFFFull, 0x80000000ull, 0xFFFFFFFEull, 0xFFFFFFFFull, 0x100000000ull,
        0x100000001ull, 0x1FFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull,
    };
    uint8_t sel = fin_u8(f);
    if (sel < 128)
        return fin_u64(f);
    if (sel < 192)
        return fin_u8(f);
    return edges[sel % (sizeof(edges) / sizeof(edges[0]))] + (fin_u8(f) & 3) - 1;
}

static inline bool fin_done(const struct fin *f) { return f->n == 0; }

/* Invariant check: print and trap (libFuzzer saves the input as crash-<sha1>). */
#define FUZZ_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "\nFUZZ INVARIANT VIOLATED at %s:%d: %s\n  ", __FILE__,     \
                    __LINE__, #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            __builtin_trap();                                                           \
        }                                                                               \
    } while (0)

/* Intel SDM Vol. 3C Appendix C, Table C-1: basic exit reasons 0..79 exist
 * except 35, 38, 42 and 71. */
#define SDM_REASON_LIMIT 80u
static inline bool sdm_defined(uint32_t r)
{
    return r < SDM_REASON_LIMIT && r != 35 && r != 38 && r != 42 && r != 71;
}

#endif
