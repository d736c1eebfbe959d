/* hv/platform/fmt.c against the C library's snprintf for the conversions fmt.h
 * documents: %s %c %d %i %u %x %X %p %%, flags '0' '-', width, l/ll/z. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "hv/platform/fmt.h"

#define BUF 256

/* Unchecked wrappers for formats the compiler would (rightly) warn about in
 * a literal: the '0' flag with '-', a lone trailing '%'. */
static size_t fmt_dyn(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static int libc_dyn(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void compare(const char *file, int line, const char *what, size_t size, const char *a, size_t na,
                    const char *b, int nb)
{
    int ok = nb >= 0 && na == (size_t)nb && memcmp(a, b, BUF) == 0;
    check_record(ok, file, line, what, "fmt_format vs snprintf, size %zu", size);
    if (!ok)
        printf("     fmt returned %zu \"%s\", snprintf returned %d \"%s\"%s\n", na, size ? a : "", nb,
               size ? b : "", na == (size_t)nb && strcmp(a, b) == 0 ? " (bytes past the end differ)" : "");
}

/* Same format and arguments through both; the buffers start filled with
 * 'Z' so a write past `size` shows up as a difference. */
#define SAME_N(size, ...)                                                             \
    do {                                                                              \
        char a_[BUF], b_[BUF];                                                        \
        memset(a_, 'Z', sizeof(a_));                                                  \
        memset(b_, 'Z', sizeof(b_));                                                  \
        size_t na_ = fmt_format(a_, (size), __VA_ARGS__);                             \
        int nb_ = snprintf(b_, (size), __VA_ARGS__);                                  \
        compare(__FILE__, __LINE__, #__VA_ARGS__, (size), a_, na_, b_, nb_);          \
    } while (0)
#define SAME(...) SAME_N(BUF, __VA_ARGS__)

TEST(fmt_integers)
{
    SAME("%d", 0);
    SAME("%d", 42);
    SAME("%d", -42);
    SAME("%d", INT_MAX);
    SAME("%d", INT_MIN);
    SAME("%i", -7);
    SAME("%u", 0u);
    SAME("%u", 4000000000u);
    SAME("%u", UINT_MAX);
    SAME("%x", 0xdeadbeefu);
    SAME("%X", 0xdeadbeefu);
    SAME("%x", 0u);
    SAME("%ld", LONG_MIN);
    SAME("%ld", LONG_MAX);
    SAME("%lu", ULONG_MAX);
    SAME("%lx", 0x123456789abcdefUL);
    SAME("%lld", (long long)INT64_MIN);
    SAME("%lld", (long long)INT64_MAX);
    SAME("%lld", -1LL);
    SAME("%llu", (unsigned long long)UINT64_MAX);
    SAME("%llu", 18446744073709551615ull);
    SAME("%llx", 0xfedcba9876543210ull);
    SAME("%llX", 0xfedcba9876543210ull);
    SAME("%llx", 0ull);
    SAME("%zu", (size_t)SIZE_MAX);
    SAME("%zx", (size_t)0x1000);
    SAME("%zd", (ssize_t)-5);
}

TEST(fmt_widths_and_flags)
{
    SAME("[%5d]", 42);
    SAME("[%5d]", -42);
    SAME("[%-5d]", 42);
    SAME("[%-5d]", -42);
    SAME("[%05d]", 42);
    SAME("[%05d]", -42);
    SAME("[%05x]", 0xabu);
    SAME("[%05X]", 0xabu);
    {
        /* '-' overrides '0' (C 7.21.6.1), in either order. */
        const char *const fl[] = { "[%-05d]", "[%0-5d]", "[%-08x]" };
        for (size_t i = 0; i < 3; i++) {
            char a[BUF], b[BUF];
            memset(a, 'Z', sizeof(a));
            memset(b, 'Z', sizeof(b));
            size_t na = fmt_dyn(a, BUF, fl[i], -42);
            int nb = libc_dyn(b, BUF, fl[i], -42);
            compare(__FILE__, __LINE__, fl[i], BUF, a, na, b, nb);
        }
    }
    SAME("[%1d]", 12345);
    SAME("[%3d]", -12345);
    SAME("[%03d]", -12345);
    SAME("[%08x]", 0xdeadbeefu);
    SAME("[%016llx]", 0x1234ull);
    SAME("[%20llu]", 18446744073709551615ull);
    SAME("[%-20lld]", (long long)INT64_MIN);
    SAME("[%021lld]", (long long)INT64_MIN);
    SAME("[%30lld]", (long long)INT64_MIN);
    SAME("[%010d]", INT_MIN);
    SAME("[%12u]", 7u);
    SAME("[%-12x]", 0xcafeu);
    SAME("[%0d]", 5);
    SAME("[%100d]", 1);
}

TEST(fmt_strings_chars_percent)
{
    SAME("%s", "");
    SAME("%s", "hello");
    SAME("[%10s]", "hi");
    SAME("[%-10s]", "hi");
    SAME("[%2s]", "longer than two");
    SAME("%c", 'x');
    SAME("[%3c]", 'y');
    SAME("[%-3c]", 'z');
    SAME("%c%c%c", 'a', 'b', 'c');
    SAME("%%");
    SAME("100%% sure");
    SAME("%d%%", 50);
    SAME("a %s b %d c %x d %c e %u f %%", "str", -1, 0x1fu, '!', 9u);
    SAME("no conversions at all");
    SAME("%s=%llu (%s)", "exits", 123456789012ull, "CPUID");
    char a[BUF];
    const char *volatile null_string = NULL;
    CHECK_EQ(fmt_format(a, sizeof(a), "%s", null_string), 6, "NULL string length");
    CHECK_STREQ(a, "(null)", "NULL string prints (null)");
}

TEST(fmt_pointers)
{
    int x;
    void *ptrs[] = { &x, (void *)0x1, (void *)0xdeadbeefull, (void *)UINTPTR_MAX, (void *)compare };
    for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
        SAME("%p", ptrs[i]);
    /* A width pads the whole "0x..." text, as in C. */
    SAME("[%20p]", (void *)0x1234);
    SAME("[%-20p]", (void *)0x1234);
}

TEST(fmt_truncation)
{
    const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 20 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        SAME_N(n, "hello %d world", 42);
        SAME_N(n, "%s", "abcdefghijkl");
        SAME_N(n, "[%8x]", 0xabcu);
        SAME_N(n, "[%-8d]", -17);
        SAME_N(n, "%05d|%c", -3, 'q');
        SAME_N(n, "%lld", (long long)INT64_MIN);
        SAME_N(n, "%%%%%%");
    }
    /* size 0: nothing written, not even with a NULL buffer. */
    CHECK_EQ(fmt_format(NULL, 0, "abc %d", 123), 7, "size 0 with NULL buffer returns the full length");
    char one[2] = { 'Q', 'Q' };
    CHECK_EQ(fmt_format(one, 1, "abc"), 3, "size 1 returns the full length");
    CHECK(one[0] == '\0' && one[1] == 'Q', "size 1 writes only the NUL");
}

TEST(fmt_trailing_percent)
{
    char a[16];
    memset(a, 'Z', sizeof(a));
    CHECK_EQ(fmt_dyn(a, sizeof(a), "abc%"), 3, "a lone %% at the end is dropped");
    CHECK_STREQ(a, "abc", "lone %% at the end");
}

/* Many random values through typed format templates. */
TEST(fmt_random_against_libc)
{
    static const char *const int_fmts[] = { "%d", "%i", "[%5d]", "[%-5d]", "[%05d]", "[%012d]", "[%-12d]", "[%1d]" };
    static const char *const uint_fmts[] = { "%u", "%x", "%X", "[%08x]", "[%-8X]", "[%3x]", "[%011u]", "[%-11u]" };
    static const char *const ll_fmts[] = { "%lld", "[%25lld]", "[%-25lld]", "[%025lld]", "[%3lld]", "%lli" };
    static const char *const ull_fmts[] = { "%llu", "%llx", "%llX", "[%020llx]", "[%-22llu]", "[%1llx]", "[%5llu]" };
    u64 seed = 0x5EEDull;
    int bad = 0, n = 0;
    for (int i = 0; i < 4000; i++) {
        u64 x = test_rand64(&seed);
        /* Vary the magnitude: shift the value right by a random amount. */
        x >>= test_rand64(&seed) % 64;
        char a[BUF], b[BUF];
        size_t size = (i % 7 == 0) ? (size_t)(test_rand64(&seed) % 12) : BUF;
        size_t na;
        int nb;
        const char *f;
        memset(a, 'Z', sizeof(a));
        memset(b, 'Z', sizeof(b));
        switch (i % 4) {
        case 0:
            f = int_fmts[(i / 4) % 8];
            na = fmt_format(a, size, f, (int)x);
            nb = snprintf(b, size, f, (int)x);
            break;
        case 1:
            f = uint_fmts[(i / 4) % 8];
            na = fmt_format(a, size, f, (unsigned)x);
            nb = snprintf(b, size, f, (unsigned)x);
            break;
        case 2:
            f = ll_fmts[(i / 4) % 6];
            x = (i & 8) ? (u64)(-(long long)(x >> 1)) : x;
            na = fmt_format(a, size, f, (long long)x);
            nb = snprintf(b, size, f, (long long)x);
            break;
        default:
            f = ull_fmts[(i / 4) % 7];
            na = fmt_format(a, size, f, (unsigned long long)x);
            nb = snprintf(b, size, f, (unsigned long long)x);
            break;
        }
        n++;
        if ((nb < 0 || na != (size_t)nb || memcmp(a, b, BUF) != 0) && bad++ < 5)
            compare(__FILE__, __LINE__, f, size, a, na, b, nb);
    }
    CHECK(bad == 0, "%d of %d random formats differ from snprintf", bad, n);
}
