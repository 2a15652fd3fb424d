/* demo.c: narration and the end of a demo guest's run (demo.h). Output goes through console.c
 * (console_io and the PV console ring). The text of a failed check names what was seen and what
 * was expected, so an ERROR line explains itself without the source at hand.
 */
#include "console.h"
#include "demo.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "test.h"
#include "xen-trap.h"

static const char *demo_name = "demo";

static __attribute__((noreturn)) void fail_with(const char *msg)
{
    printf("%s: ERROR: %s\n", demo_name, msg);
    console_flush(1000);
    xen_shutdown(SHUTDOWN_crash);
}

void demo_begin(const char *name, const char *title)
{
    demo_name = name;
    test_abort_hook = fail_with;
    printf("xenwasm %s (" GUEST_TYPE ")\n", title);
}

void demo_check(int ok, const char *want, const char *fmt, ...)
{
    char msg[400];
    FORMAT_VARGS(msg, fmt);
    if (ok) {
        printf("  %s\n", msg);
        return;
    }
    char err[480];
    snprintf(err, sizeof err, "%s (expected %s)", msg, want);
    fail_with(err);
}

void demo_ok(long rc, const char *what)
{
    if (rc == 0)
        demo_check(1, "", "%s", what);
    else
        demo_check(0, "0", "%s: the hypercall returned %ld", what, rc);
}

void demo_fail(const char *fmt, ...)
{
    char msg[200];
    FORMAT_VARGS(msg, fmt);
    fail_with(msg);
}

void demo_complete(void)
{
    printf("%s complete\n", demo_name);
    console_flush(1000);     /* let the backend take the last line before the domain goes */
    xen_shutdown(SHUTDOWN_poweroff);
}

void demo_section(const char *fmt, ...)
{
    char msg[160];
    FORMAT_VARGS(msg, fmt);
    printf("\n== %s ==\n", msg);
}

const char *demo_pf_bits(char *buf, unsigned long ec)
{
    snprintf(buf, 48, "%s, %s, %s mode", ec & PFEC_present ? "present" : "not present",
             ec & PFEC_write ? "write" : "read", ec & PFEC_user ? "user" : "kernel");
    return buf;
}
