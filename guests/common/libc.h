/* libc.h: the few C library routines a freestanding guest needs (gcc may emit calls to memcpy,
 * memset, memmove and memcmp by itself, even with -ffreestanding), plus string helpers and the
 * printf family, which write to the console (common/console.c).
 * Semantics follow ISO C; the printf family understands %d %i %u %x %X %p %c %s %% with the
 * flags '-' and '0', a width, a precision for %s (both may be '*'), and the l and z modifiers.
 */
#ifndef LIBC_H
#define LIBC_H

#include <stdarg.h>
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strncmp(const char *a, const char *b, size_t n);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* In a variadic function whose last named parameter is fmt: formats the arguments into the char
 * array buf (truncating to its size). */
#define FORMAT_VARGS(buf, fmt) do {                                                            \
        va_list ap_;                                                                          \
        va_start(ap_, fmt);                                                                   \
        vsnprintf(buf, sizeof buf, fmt, ap_);                                                 \
        va_end(ap_);                                                                          \
    } while (0)

#endif /* LIBC_H */
