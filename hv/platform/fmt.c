#include "fmt.h"

struct sink {
    char *buf;
    size_t size, len;
};

static void put(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void put_padded(struct sink *s, const char *text, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(s, pad);
    /* With zero padding a sign must come before the zeros, handled by caller. */
    for (size_t i = 0; i < n; i++)
        put(s, text[i]);
    if (left)
        while (fill-- > 0)
            put(s, ' ');
}

/* prefix ("-" for a negative number, "0x" for %p) goes before zero padding
 * and after space padding, as printf does. */
static void put_number(struct sink *s, u64 v, const char *prefix, unsigned base, bool upper, int width, bool left,
                       char pad)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t n = 0, p = 0;

    do {
        tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
        v /= base;
    } while (v);
    while (prefix[p])
        p++;
    if (pad == '0') {
        for (size_t i = 0; i < p; i++)
            put(s, prefix[i]);
        width -= (int)p;
    } else {
        while (p)
            tmp[sizeof(tmp) - 1 - n++] = prefix[--p];
    }
    put_padded(s, tmp + sizeof(tmp) - n, n, width, left, pad);
}

size_t fmt_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&s, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        int width = 0, longs = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        if (left)
            pad = ' ';
        switch (*fmt) {
        case 'd':
        case 'i': {
            s64 v = longs ? va_arg(ap, long long) : va_arg(ap, int);
            put_number(&s, v < 0 ? 0 - (u64)v : (u64)v, v < 0 ? "-" : "", 10, false, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            u64 v = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            put_number(&s, v, "", *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, pad);
            break;
        }
        case 'p': {
            u64 v = (u64)(uintptr_t)va_arg(ap, void *);
            put_number(&s, v, "0x", 16, false, width, left, pad);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(&s, &c, 1, width, left, ' ');
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            size_t n = 0;
            if (!str)
                str = "(null)";
            while (str[n])
                n++;
            put_padded(&s, str, n, width, left, ' ');
            break;
        }
        case '%':
            put(&s, '%');
            break;
        case '\0':
            fmt--; /* a lone '%' at the end: stop cleanly */
            break;
        default: /* unknown conversion: show it rather than guess */
            put(&s, '%');
            put(&s, *fmt);
            break;
        }
    }
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return s.len;
}

size_t fmt_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
