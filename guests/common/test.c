/* test.c: check bookkeeping and the final result line of the test guests (test.h). The first
 * failed check's text becomes the FAILURE reason; every check is also printed as it happens, so a
 * console log reads as the list of what was verified. Output goes through console.c (console_io
 * and the PV console ring), which the host test reads.
 */
#include <stdarg.h>
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "test.h"

static unsigned int checks, failures;
static char first_failure[128];

void test_begin(const char *name)
{
    printf("xenwasm test %s (" GUEST_TYPE ")\n", name);
}

int check(int ok, const char *fmt, ...)
{
    char msg[160];
    FORMAT_VARGS(msg, fmt);
    checks++;
    if (!ok) {
        if (failures++ == 0)
            snprintf(first_failure, sizeof first_failure, "%s", msg);
    }
    printf("  %s %s\n", ok ? "ok  " : "FAIL", msg);
    return ok;
}

int check_rc(long got, long want, const char *what)
{
    if (got == want)
        return check(1, "%s = %ld", what, got);
    return check(0, "%s = %ld, want %ld", what, got, want);
}

unsigned int test_failures(void) { return failures; }

static __attribute__((noreturn)) void finish(int ok, const char *reason, unsigned int shutdown)
{
    if (ok)
        printf("Test result: SUCCESS\n");
    else
        printf("Test result: FAILURE: %s\n", reason);
    console_flush(1000);     /* let the backend take the result line before the domain goes */
    xen_shutdown(ok ? shutdown : SHUTDOWN_crash);
}

void test_finish(void)
{
    test_finish_shutdown(SHUTDOWN_poweroff);
}

void test_finish_shutdown(unsigned int reason)
{
    printf("%u checks, %u failed\n", checks, failures);
    finish(failures == 0, first_failure, reason);
}

void (*test_abort_hook)(const char *msg);

void test_abort(const char *fmt, ...)
{
    char msg[128];
    FORMAT_VARGS(msg, fmt);
    if (test_abort_hook)
        test_abort_hook(msg);
    printf("%u checks, %u failed; aborted\n", checks, failures);
    finish(0, msg, SHUTDOWN_crash);
}

uint32_t u64_divmod(uint64_t *n, uint32_t d)
{
#if defined(__x86_64__)
    uint32_t r = (uint32_t)(*n % d);
    *n /= d;
    return r;
#else
    /* Long division in two 32-bit steps; the second `divl` cannot overflow because its high
     * half (the first remainder) is below d. */
    uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
    uint32_t qhi = hi / d, r = hi % d, qlo;
    __asm__ ("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    *n = ((uint64_t)qhi << 32) | qlo;
    return r;
#endif
}

const char *u64_dec(char *buf, uint64_t v)
{
    char tmp[21];
    int n = 0;
    do
        tmp[n++] = (char)('0' + u64_divmod(&v, 10));
    while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

const char *u64_hex(char *buf, uint64_t v)
{
    uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
    if (hi)
        snprintf(buf, 21, "0x%x%08x", (unsigned int)hi, (unsigned int)lo);
    else
        snprintf(buf, 21, "0x%x", (unsigned int)lo);
    return buf;
}
