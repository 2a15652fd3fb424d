/* console.c: test guest for console input (xen-pv-abi.md §5.1): reads the `in` half of the PV
 * console ring until a whole line (ended by CR or LF) has arrived, echoing each byte, then prints
 * "console input: <line>". It waits with sched_op(block) on the console event channel, which
 * the toolstack allocated before boot (interdomain, nothing to bind): the port is unmasked in
 * shared_info's evtchn_mask and events are enabled through the vcpu_info mask byte. The host test
 * types the line once it sees the prompt "console: type a line and press Enter".
 * Backspace (0x08 or 0x7f) removes the last character, as on a terminal in cooked mode.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xen-event.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define IN_SIZE  sizeof(((struct xencons_interface *)0)->in)
#define LINE_MAX 200

static volatile unsigned int console_events;
static void on_console(uint32_t port) { (void)port; console_events++; }

static char line[LINE_MAX + 1];
static unsigned int line_len;
static unsigned int bytes_read, wakeups;

/* Takes what the backend produced; returns 1 once a line is complete. */
static int take_input(volatile struct xencons_interface *ring, uint32_t port)
{
    XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
    xen_rmb();
    if (prod - cons > IN_SIZE)
        test_abort("console ring: in_prod 0x%x is %u bytes past in_cons 0x%x", (unsigned int)prod,
                   (unsigned int)(prod - cons), (unsigned int)cons);
    int done = 0;
    while (cons != prod && !done) {
        char c = ring->in[cons++ & (IN_SIZE - 1)];
        bytes_read++;
        if (c == '\r' || c == '\n') {
            done = 1;
        } else if (c == 0x08 || c == 0x7f) {
            if (line_len) {
                line_len--;
                console_write("\b \b", 3);
            }
        } else if (line_len < LINE_MAX) {
            line[line_len++] = c;
            console_write(&c, 1);            /* echo */
        }
    }
    xen_rmb();
    ring->in_cons = cons;                    /* free the space ... */
    xen_evtchn_send(port);                   /* ... and tell the backend */
    return done;
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
    events_disable();
    while (!take_input(ring, port)) {
        evtchn_block();                      /* enables events while asleep */
        wakeups++;
    }
    line[line_len] = 0;
    printf("\n");
    printf("console input: %s\n", line);
    check(bytes_read > line_len, "read %u bytes (%u kept) after %u wake-ups, %u console events",
          bytes_read, line_len, wakeups, console_events);
    test_finish();
}
