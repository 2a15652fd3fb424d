/* native.c: the native reference points, as a static Linux program without a C library, built for
 * i386 (the i686 code of the PV32 guest) and x86-64 (the code of the PV64 guest):
 *   native int <n>       the integer workload (guests/bench/workload.c), n passes
 *   native getppid <n>   n getppid system calls (i386 `int $0x80`, x86-64 `syscall`), the
 *                        reference for the hypercall path
 * Each prints "bench <what>: ops <n> result 0x<hex> time <s>.<9 digits>", where time is
 * CLOCK_MONOTONIC around the loop only (clock_gettime system calls, not the vDSO).
 */
#include <stdint.h>
#include "libc.h"
#include "workload.h"

int native_main(int argc, char **argv);

#if defined(__x86_64__)
# define NR_write          1
# define NR_getppid        110
# define NR_clock_gettime  228
static long sys3(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile ("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#else
# define NR_write          4
# define NR_getppid        64
# define NR_clock_gettime  403        /* clock_gettime64: 64-bit tv_sec on i386 */
static long sys3(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile ("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
#endif

#define CLOCK_MONOTONIC 1
struct timespec64 { int64_t sec; int64_t nsec; };   /* the layout of both calls above */

void console_write(const char *s, size_t n)
{
    while (n) {
        long w = sys3(NR_write, 1, (long)s, (long)n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static struct timespec64 now(void)
{
    struct timespec64 t = { 0, 0 };
    sys3(NR_clock_gettime, CLOCK_MONOTONIC, (long)&t, 0);
    return t;
}

static int parse_count(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        uint32_t d = (uint32_t)(*s - '0');
        if (v > (0xffffffffu - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static void report(const char *what, uint32_t n, uint32_t result, struct timespec64 a, struct timespec64 b)
{
    int64_t sec = b.sec - a.sec, nsec = b.nsec - a.nsec;
    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    }
    printf("bench %s: ops %u result 0x%08x time %u.%09u\n", what, (unsigned int)n, (unsigned int)result,
           (unsigned int)sec, (unsigned int)nsec);
}

int native_main(int argc, char **argv)
{
    uint32_t n;
    if (argc != 3 || !parse_count(argv[2], &n)) {
        printf("usage: native int|getppid <count>\n");
        return 2;
    }
    if (!strncmp(argv[1], "int", 4)) {
        workload_run(WORKLOAD_PERIOD, WORKLOAD_SEED);    /* warm-up, untimed, as on every target */
        struct timespec64 a = now();
        uint32_t h = workload_run(n, WORKLOAD_SEED);
        struct timespec64 b = now();
        report("int", n, h, a, b);
        return 0;
    }
    if (!strncmp(argv[1], "getppid", 8)) {
        long want = sys3(NR_getppid, 0, 0, 0);
        uint32_t wrong = 0;
        struct timespec64 a = now();
        for (uint32_t i = 0; i < n; i++)
            wrong += sys3(NR_getppid, 0, 0, 0) != want;
        struct timespec64 b = now();
        report("getppid", n, wrong, a, b);
        return wrong != 0;
    }
    printf("native: unknown benchmark %s (int or getppid)\n", argv[1]);
    return 2;
}
