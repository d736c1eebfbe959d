/*
 * fuzz_fmt: the root-mode printf formatter (hv/platform/fmt.c) against the C
 * library's snprintf, on random formats made only of what fmt.h supports:
 * %s %c %d %i %u %x %X %p %%, flags '-' and '0' (any number, any order),
 * widths 0..999 and lengths l/ll/z on the integer conversions.
 *
 * fuzz-sources: hv/platform/fmt.c
 * fuzz-max-len: 512
 *
 * Up to 6 conversions per format, literal text between them, any buffer
 * size 0..BUF; both formatters write into buffers pre-filled with 'Z', and
 * the return values and the whole buffers must be identical (so a write
 * past `size` or a missing NUL shows up). Every argument is passed as a
 * 64-bit slot, which is how the x86-64 ABI passes int, long long, char and
 * pointers through "...": both formatters read the same bits.
 * Left out on purpose (documented differences or outside fmt.h's promise):
 * %p of a NULL pointer (glibc prints "(nil)", fmt "0x0"), precision, the
 * '+', ' ', '#' flags, length modifiers on %c %s %p, widths >= 1000.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "hv/platform/fmt.h"

#define BUF 8192
#define MAX_CONV 6
#define FMT_MAX 1024

static char fmt_out[BUF], libc_out[BUF];
static char strings[MAX_CONV][48];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    char format[FMT_MAX];
    size_t fl = 0;
    uint64_t arg[MAX_CONV] = { 0 };
    int nargs = 0;

    size_t buf_size = fin_u16(&f) % (BUF + 1);
    while (!fin_done(&f) && fl < FMT_MAX - 40) {
        uint8_t op = fin_u8(&f);
        if (op < 96 || nargs == MAX_CONV) {
            /* A literal byte: anything but '%' and NUL. */
            char c = (char)fin_u8(&f);
            format[fl++] = (c == '%' || c == '\0') ? 'L' : c;
            continue;
        }
        format[fl++] = '%';
        uint8_t flags = fin_u8(&f);
        for (int i = 0; i < (flags & 3); i++) /* 0..3 flag characters */
            format[fl++] = (flags >> (2 + i)) & 1 ? '-' : '0';
        if (flags & 0x20) {
            unsigned width = fin_u16(&f) % 1000;
            fl += (size_t)snprintf(format + fl, 4, "%u", width);
            /* a width written as "05" would be the '0' flag plus 5: fine, same for both */
        }
        static const char convs[] = "diuxXpcs%";
        char conv = convs[op % 9];
        if (strchr("diuxX", conv)) {
            static const char *const lens[] = { "", "l", "ll", "z" };
            const char *l = lens[fin_u8(&f) % 4];
            memcpy(format + fl, l, strlen(l));
            fl += strlen(l);
        }
        format[fl++] = conv;
        switch (conv) {
        case '%':
            break;
        case 's': {
            uint8_t n = fin_u8(&f);
            if (n == 0xFF) {
                arg[nargs++] = 0; /* NULL: both print "(null)" */
                break;
            }
            n %= sizeof(strings[0]);
            char *s = strings[nargs];
            for (uint8_t i = 0; i < n; i++) {
                char c = (char)fin_u8(&f);
                s[i] = c ? c : 'n';
            }
            s[n] = '\0';
            arg[nargs++] = (uint64_t)(uintptr_t)s;
            break;
        }
        case 'p': {
            uint64_t v = fin_edgy_u64(&f);
            arg[nargs++] = v ? v : 1;
            break;
        }
        default:
            arg[nargs++] = fin_edgy_u64(&f);
            break;
        }
    }
    format[fl] = '\0';

    memset(fmt_out, 'Z', sizeof(fmt_out));
    memset(libc_out, 'Z', sizeof(libc_out));
    size_t n_fmt = fmt_format(fmt_out, buf_size, format, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5]);
    int n_libc = snprintf(libc_out, buf_size, format, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5]);
    FUZZ_CHECK(n_libc >= 0 && n_fmt == (size_t)n_libc, "format \"%s\" size %zu: fmt returned %zu, snprintf %d", format,
               buf_size, n_fmt, n_libc);
    FUZZ_CHECK(memcmp(fmt_out, libc_out, BUF) == 0, "format \"%s\" size %zu: fmt \"%.200s\", snprintf \"%.200s\"",
               format, buf_size, fmt_out, libc_out);
    return 0;
}
