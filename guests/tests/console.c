/* console.c: test guest for console input (xen-pv-abi.md §5.1): reads the `in` half of the PV
 * console ring until a whole line (ended by CR or LF) has arrived, echoing each byte, then prints
 * "console input: <line>". It waits with sched_op(block) on the console event channel, which
 * the toolstack allocated before boot (interdomain, nothing to bind): the port is unmasked in
 * shared_info's evtchn_mask and events are enabled through the vcpu_info mask byte. The host test
 * types the line once it sees the prompt "console: type a line and press Enter".
 * Backspace (0x08 or 0x7f) removes the last character, as on a terminal in cooked mode.
 */
#include "console.h"
#include "console-in.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xen-event.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

static volatile unsigned int console_events;
static void on_console(uint32_t port) { (void)port; console_events++; }

static struct line_editor line;
static unsigned int bytes_read, wakeups;

/* Takes what the backend produced (console_read advances in_cons and notifies the backend);
 * returns 1 once a line is complete. Bytes after the line end are not needed here. */
static int take_input(void)
{
    char buf[64];
    long n = console_read(buf, sizeof buf);
    if (n < 0)
        test_abort("console ring: in_prod is more than the ring's size past in_cons");
    for (long i = 0; i < n; i++) {
        bytes_read++;
        if (line_feed(&line, buf[i]))
            return 1;
    }
    return 0;
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("console");
    volatile struct xencons_interface *ring = console_ring();
    uint32_t port = console_evtchn();
    if (!check(ring != 0 && port != 0, "console ring at %p, event channel %u", (void *)ring,
               (unsigned int)port))
        test_abort("no console ring to read from");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for events");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    evtchn_set_handler(port, on_console);
    evtchn_unmask(port);
    check(!evtchn_is_masked(port), "console port %u unmasked in shared_info", (unsigned int)port);
    check(ring->connection == 0, "console ring connected (connection byte %u)",
          (unsigned int)ring->connection);

    /* Nothing but input should wake us: stop the 10 ms tick Xen arms by default (not bound
     * here, so it raises nothing, but a hypervisor may still step time through it). */
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0,
             "vcpu_op(stop_periodic_timer)");
    printf("console: type a line and press Enter\n");
    line_reset(&line);
    events_disable();
    while (!take_input()) {
        evtchn_block();                      /* enables events while asleep */
        wakeups++;
    }
    printf("console input: %s\n", line.text);
    check(bytes_read > line.len, "read %u bytes (%u kept) after %u wake-ups, %u console events",
          bytes_read, line.len, wakeups, console_events);
    test_finish();
}
