/*
 * A tiny unit-test framework for the host-side tests of exitvisor.
 *
 *   TEST(name) { CHECK(cond, "fmt", ...); CHECK_EQ(got, want, "fmt", ...); }
 *
 * TEST registers the function at start-up (a constructor), so a new test file
 * needs no edit anywhere else. Every CHECK is recorded as one pass or one
 * failure; a failure prints "FAIL file:line: test: message [expression]".
 * hv/tests/main.c runs every test (in file, then line order) and ends with
 * the line "unit: N passed, M failed" (N, M count checks), exiting 1 when
 * M > 0. `unit_tests NAME...` runs only the tests whose name contains NAME.
 */
#ifndef EXITVISOR_TESTS_CHECK_H
#define EXITVISOR_TESTS_CHECK_H
#include <stdint.h>

struct unit_test {
    const char *name;
    const char *file;
    int line;
    void (*fn)(void);
};

void unit_register(const struct unit_test *t);

/* Records one check; prints the message (printf format) only if !ok. */
void check_record(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Equality of two unsigned 64-bit values; the message shows both in hex and decimal. */
void check_record_eq(uint64_t got, uint64_t want, const char *file, int line, const char *expr, const char *fmt,
                     ...) __attribute__((format(printf, 6, 7)));
/* Equality of two strings (either may be NULL). */
void check_record_streq(const char *got, const char *want, const char *file, int line, const char *expr,
                        const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define TEST(name)                                                                            \
    static void name(void);                                                                   \
    static const struct unit_test name##_desc_ = { #name, __FILE__, __LINE__, name };         \
    __attribute__((constructor)) static void name##_register_(void) { unit_register(&name##_desc_); } \
    static void name(void)

/* CHECK(cond, fmt, ...): fmt is required (say what was being checked). */
#define CHECK(cond, ...) check_record(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_EQ(got, want, ...) \
    check_record_eq((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got " == " #want, __VA_ARGS__)
#define CHECK_STREQ(got, want, ...) \
    check_record_streq((got), (want), __FILE__, __LINE__, #got " == " #want, __VA_ARGS__)

/* Deterministic PRNG (xorshift64*) for the randomized tests: fixed seeds, so
 * a failure reproduces exactly. */
static inline uint64_t test_rand64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
