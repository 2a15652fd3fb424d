/* shutdown.c: test guest for the two ways a domain is told to stop (xen-pv-abi.md §2.3 sched_op,
 * §5.2 control/): the toolstack's request through xenstore, as `xl shutdown` / `xl reboot` write
 * control/shutdown, and the domain watchdog, sched_op(SCHEDOP_watchdog {id, timeout}).
 * First the watchdog calls as Xen's domain_watchdog answers them: id 0 creates (ids 1 and 2, then
 * -ENOSPC), id n with a timeout re-arms, with timeout 0 frees (then -EINVAL), ids above 2 -EINVAL.
 * Then, like Linux's xenbus shutdown handler: control/feature-poweroff and feature-reboot = "1",
 * WATCH control/shutdown, and on every event READ it: "poweroff" or "reboot" is acknowledged by
 * writing "" and obeyed with SCHEDOP_shutdown (poweroff / reboot); an empty or missing node means
 * "no request yet". With "watchdog" on the command line it instead arms a 1 s watchdog and blocks
 * without petting it, so Xen shuts the domain down with SHUTDOWN_watchdog.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xenstore.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

struct sched_watchdog { uint32_t id; uint32_t timeout; };   /* sched.h: 8 B both ABIs */
XEN_SIZE_CHECK(struct sched_watchdog, 8);

#define TOKEN "xenwasm-shutdown"

static struct xs_reply r;        /* 4 KiB payload: not on the stack */

static long watchdog(uint32_t id, uint32_t timeout)
{
    struct sched_watchdog wd = { .id = id, .timeout = timeout };
    return HYPERVISOR_sched_op(SCHEDOP_watchdog, &wd);
}

/* Whether the command line has `word` as one of its space-separated words. */
static int cmdline_has(const start_info_t *si, const char *word)
{
    size_t n = strlen(word);
    const char *p = (const char *)si->cmd_line;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = 0;
        while (p[len] && p[len] != ' ')
            len++;
        if (len == n && memcmp(p, word, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

static void watchdog_calls(void)
{
    check_rc(watchdog(0, 30), 1, "SCHEDOP_watchdog {0, 30 s}: new watchdog id");
    check_rc(watchdog(0, 30), 2, "SCHEDOP_watchdog {0, 30 s}: second id");
    check_rc(watchdog(0, 30), -XEN_ENOSPC, "SCHEDOP_watchdog {0, 30 s}: a third");
    check_rc(watchdog(1, 60), 0, "SCHEDOP_watchdog {1, 60 s}: re-armed");
    check_rc(watchdog(2, 0), 0, "SCHEDOP_watchdog {2, 0}: freed");
    check_rc(watchdog(2, 0), -XEN_EINVAL, "SCHEDOP_watchdog {2, 0} again");
    check_rc(watchdog(3, 10), -XEN_EINVAL, "SCHEDOP_watchdog {3, 10 s}: no such id");
    check_rc(watchdog(1, 0), 0, "SCHEDOP_watchdog {1, 0}: freed");
}

static __attribute__((noreturn)) void let_watchdog_fire(void)
{
    long id = watchdog(0, 1);
    if (!check(id == 1, "SCHEDOP_watchdog {0, 1 s}: id %ld", id))
        test_finish();
    printf("watchdog: armed for 1 s and never petted; blocking until Xen shuts the domain down\n");
    console_flush(1000);
    events_disable();
    for (;;)
        evtchn_block();
}

static int reply_ok(uint32_t type)
{
    return r.type == type && r.len == 3 && memcmp(r.body, "OK", 3) == 0;
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("shutdown");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for events");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    watchdog_calls();
    if (cmdline_has(si, "watchdog"))
        let_watchdog_fire();

    if (!check_rc(xs_init(si), 0, "xenstore ring mapped, store event channel unmasked"))
        test_abort("no xenstore ring");
    xs_write(0, "control/feature-poweroff", "1", &r);
    check(reply_ok(XS_WRITE), "WRITE control/feature-poweroff 1");
    xs_write(0, "control/feature-reboot", "1", &r);
    check(reply_ok(XS_WRITE), "WRITE control/feature-reboot 1");
    xs_watch("control/shutdown", TOKEN, &r);
    check(reply_ok(XS_WATCH), "WATCH control/shutdown");
    if (test_failures())
        test_finish();

    printf("waiting for a shutdown request (xenstore control/shutdown)\n");
    for (;;) {
        char path[64], token[32];
        if (xs_wait_watch(path, sizeof path, token, sizeof token))
            test_abort("the xenstore ring broke while waiting for control/shutdown");
        xs_read(0, "control/shutdown", &r);
        if (r.type == XS_ERROR || r.len == 0)
            continue;                          /* no request (yet): the event of the WATCH itself */
        char request[16];
        snprintf(request, sizeof request, "%.*s", (int)(r.len < 15 ? r.len : 15), r.body);
        unsigned int reason;
        if (strncmp(request, "poweroff", sizeof request) == 0)
            reason = SHUTDOWN_poweroff;
        else if (strncmp(request, "reboot", sizeof request) == 0)
            reason = SHUTDOWN_reboot;
        else {
            printf("control/shutdown: \"%s\" is not supported here; still waiting\n", request);
            continue;
        }
        xs_write(0, "control/shutdown", "", &r);  /* acknowledge, as Linux does */
        check(reply_ok(XS_WRITE), "control/shutdown = \"%s\" read and acknowledged", request);
        printf("shutdown: %s requested through xenstore\n", request);
        test_finish_shutdown(reason);
    }
}
