/* bench.c: command-line parsing and the result lines of the benchmark guests (bench.h).
 * The count is parsed by common/cmdline.c: decimal digits only, at most 4294967295; anything else
 * is refused with a FAILURE line naming the text, so a typo never silently measures zero operations.
 */
#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"

static const char *bench_name = "?";

uint32_t bench_begin(start_info_t *si, const char *name)
{
    bench_name = name;
    console_init(si);
    printf("xenwasm bench %s (" GUEST_TYPE ")\n", name);
    uint32_t iters = 0;
    if (cmdline_u32(si->cmd_line, "iters", &iters) < 0) {
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
