/* bench.c: command-line parsing and the result lines of the benchmark guests (bench.h).
 * The count is parsed by hand: decimal digits only, at most 4294967295; anything else is refused
 * with a FAILURE line naming the text, so a typo never silently measures zero operations.
 */
#include "bench.h"
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"

static const char *bench_name = "?";

/* Value of "iters=" in the command line: 0 if absent, -1 (as *bad = 1) if malformed. */
static uint32_t parse_iters(const char *cmd, int *bad)
{
    *bad = 0;
    for (const char *p = cmd; *p; p++) {
        if ((p != cmd && p[-1] != ' ') || strncmp(p, "iters=", 6) != 0)
            continue;
        p += 6;
        uint32_t v = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            uint32_t d = (uint32_t)(*p - '0');
            if (v > (0xffffffffu - d) / 10) {
                *bad = 1;
                return 0;
            }
            v = v * 10 + d;
        }
        if (!digits || (*p && *p != ' '))
            *bad = 1;
        return v;
    }
    return 0;
}

uint32_t bench_begin(start_info_t *si, const char *name)
{
    bench_name = name;
    console_init(si);
    printf("xenwasm bench %s (" GUEST_TYPE ")\n", name);
    int bad;
    uint32_t iters = parse_iters(si->cmd_line, &bad);
    if (bad) {
        char msg[96];
        snprintf(msg, sizeof msg, "bad command line \"%.40s\": want iters=<whole number>", si->cmd_line);
        bench_end(0, 0, msg);
    }
    return iters;
}

void bench_end(uint32_t ops, uint32_t result, const char *failure)
{
    printf("bench %s: ops %u result 0x%08x\n", bench_name, (unsigned int)ops, (unsigned int)result);
    if (failure)
        printf("Bench result: FAILURE: %s\n", failure);
    else
        printf("Bench result: SUCCESS\n");
    console_flush(1000);
    xen_shutdown(failure ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}
