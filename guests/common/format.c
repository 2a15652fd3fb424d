/* format.c: printf-style formatting for the guests: vsnprintf into a buffer, and printf/vprintf,
 * which format into a small static buffer handed to console_write() whenever it fills.
 * Conversions: %d %i %u %x %X %p %c %s %%; flags '-' and '0'; width; precision for %s; '*' for
 * either; modifiers l and z (h, hh and ll are not supported: ll would need libgcc on PV32).
 * Unknown conversions are copied through verbatim so a mistake shows in the output.
 */
#include "console.h"
#include "libc.h"

struct fmt_out {
    char  *buf;
    size_t cap;          /* bytes usable in buf */
    size_t len;          /* bytes in buf now */
    size_t total;        /* bytes produced so far, including any dropped or flushed */
    int    to_console;   /* 1: flush buf to the console when full; 0: drop what does not fit */
};

static void out_char(struct fmt_out *o, char c)
{
    if (o->len == o->cap) {
        if (!o->to_console) {
            o->total++;
            return;
        }
        console_write(o->buf, o->len);
        o->len = 0;
    }
    o->buf[o->len++] = c;
    o->total++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_str(struct fmt_out *o, const char *s, int width, int prec, int left)
{
    if (!s)
        s = "(null)";
    int n = (int)strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec);
    if (!left)
        out_pad(o, ' ', width - n);
    for (int i = 0; i < n; i++)
        out_char(o, s[i]);
    if (left)
        out_pad(o, ' ', width - n);
}

static void out_num(struct fmt_out *o, unsigned long v, unsigned int base, int neg,
                    int width, int zero, int left, int upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[3 * sizeof(long)];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);

    int plen = (int)strlen(prefix) + (neg ? 1 : 0);
    int pad = width - n - plen;
    if (!left && !zero)
        out_pad(o, ' ', pad);
    if (neg)
        out_char(o, '-');
    while (*prefix)
        out_char(o, *prefix++);
    if (!left && zero)
        out_pad(o, '0', pad);
    while (n)
        out_char(o, tmp[--n]);
    if (left)
        out_pad(o, ' ', pad);
}

static void format(struct fmt_out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(o, *fmt);
            continue;
        }
        const char *start = fmt++;
        int left = 0, zero = 0, width = 0, prec = -1, is_long = 0;

        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                zero = 1;
            else
                break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        if (*fmt == 'l' || *fmt == 'z') {   /* size_t and long have the same width here */
            is_long = 1;
            fmt++;
        }

        switch (*fmt) {
        case 'd':
        case 'i': {
            long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long mag = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
            out_num(o, mag, 10, v < 0, width, zero, left, 0, "");
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            out_num(o, v, *fmt == 'u' ? 10 : 16, 0, width, zero, left, *fmt == 'X', "");
            break;
        }
        case 'p':
            out_num(o, (unsigned long)va_arg(ap, void *), 16, 0, width, zero, left, 0, "0x");
            break;
        case 'c':
            if (!left)
                out_pad(o, ' ', width - 1);
            out_char(o, (char)va_arg(ap, int));
            if (left)
                out_pad(o, ' ', width - 1);
            break;
        case 's':
            out_str(o, va_arg(ap, const char *), width, prec, left);
            break;
        case '%':
            out_char(o, '%');
            break;
        default:                            /* unknown: copy the directive through */
            for (; start <= fmt && *start; start++)
                out_char(o, *start);
            if (!*fmt)
                return;
            break;
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    struct fmt_out o = { size ? buf : &dummy, size ? size - 1 : 0, 0, 0, 0 };
    format(&o, fmt, ap);
    o.buf[o.len] = '\0';
    return (int)o.total;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static char printf_buf[256];   /* one vCPU, no event handlers: no reentrancy to guard against */

int vprintf(const char *fmt, va_list ap)
{
    struct fmt_out o = { printf_buf, sizeof printf_buf, 0, 0, 1 };
    format(&o, fmt, ap);
    if (o.len)
        console_write(o.buf, o.len);
    return (int)o.total;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
