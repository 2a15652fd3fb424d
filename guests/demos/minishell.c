/* minishell.c: a demo guest that is a tiny interactive operating system on the Xen console. It
 * reads the keyboard from the PV console ring (xen-pv-abi.md §5.1) through a line editor
 * (common/console-in.c: echo, backspace), keeps time with a 10 ms periodic timer (VIRQ_TIMER,
 * vcpu_op set_periodic_timer) and pvclock (§1.7), and sleeps in sched_op(SCHEDOP_block) until an
 * event arrives (a key or a tick) instead of spinning. Commands: help, mem (memory size, layout,
 * free frames), pt ADDR (walks its own page tables), ticks, echo TEXT, reboot and halt
 * (sched_op SCHEDOP_shutdown with SHUTDOWN_reboot / SHUTDOWN_poweroff).
 */
#include "console.h"
#include "console-in.h"
#include "demo.h"
#include "evtchn.h"
#include "frames.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "ptwalk.h"
#include "pvclock.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xen-event.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PROMPT     "mini$ "
#define TICK_NS    10000000ULL              /* 10 ms, HZ = 100 */

static volatile unsigned long ticks, key_events;
static unsigned long sleeps;
static uint32_t timer_port;

static void on_timer(uint32_t port) { (void)port; ticks++; }
static void on_key(uint32_t port) { (void)port; key_events++; }

/* ---- commands ------------------------------------------------------------------------------- */
static void cmd_help(const char *args);
static void cmd_mem(const char *args) { (void)args; frames_print_layout(); }

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex with or without 0x; at most as many digits as an address has. Returns 0 if well formed. */
static int parse_address(const char *s, unsigned long *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    unsigned long v = 0;
    unsigned int digits = 0;
    for (; *s; s++, digits++) {
        int d = hex_digit(*s);
        if (d < 0 || digits == 2 * sizeof(unsigned long))
            return -1;
        v = (v << 4) | (unsigned long)d;
    }
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

static void cmd_pt(const char *args)
{
    unsigned long va;
    if (!*args) {
        printf("pt: give a virtual address, e.g. pt 0x%lx\n", (unsigned long)&ticks);
        return;
    }
    if (parse_address(args, &va)) {
        printf("pt: \"%s\" is not an address (hex digits, 0x optional, at most %u of them)\n", args,
               (unsigned int)(2 * sizeof(unsigned long)));
        return;
    }
#if defined(__x86_64__)
    unsigned long high = va >> 47;          /* bits 63-47: all 0 or all 1 in a canonical address */
    if (high != 0 && high != 0x1ffff) {
        printf("pt: 0x%lx is not canonical: bits 63-47 must all equal bit 47\n", va);
        return;
    }
#endif
    xen_ulong_t top = pt_boot_top();
    printf("pt 0x%lx: %u-level walk from the top-level table at machine frame 0x%lx\n", va,
           PT_LEVELS, (unsigned long)top);
    struct pt_walk w;
    pt_walk(top, va, &w);
    pt_print(&w);
}

static void cmd_ticks(const char *args)
{
    (void)args;
    char a[24], b[24];
    uint64_t ns = xen_system_time(), ms = ns;
    u64_divmod(&ms, 1000000);
    uint64_t s = ms;
    uint32_t frac = u64_divmod(&s, 1000);
    printf("ticks: %lu timer ticks (VIRQ_TIMER from a 10 ms periodic timer), %lu key events\n",
           ticks, key_events);
    printf("uptime: %s.%03u s (pvclock system time: %s ns)\n", u64_dec(a, s), (unsigned int)frac,
           u64_dec(b, ns));
    printf("slept %lu times in sched_op(SCHEDOP_block), waking for each event\n", sleeps);
}

static void cmd_echo(const char *args) { printf("%s\n", args); }

static void cmd_reboot(const char *args)
{
    (void)args;
    printf("reboot: asking Xen to restart the domain (sched_op SCHEDOP_shutdown, SHUTDOWN_reboot)\n");
    console_flush(1000);
    xen_shutdown(SHUTDOWN_reboot);
}

static void cmd_halt(const char *args)
{
    (void)args;
    printf("halt: powering off (sched_op SCHEDOP_shutdown, SHUTDOWN_poweroff)\n");
    console_flush(1000);
    xen_shutdown(SHUTDOWN_poweroff);
}

static const struct command {
    const char *name, *usage, *about;
    void (*run)(const char *args);
} commands[] = {
    { "help", "help", "this list", cmd_help },
    { "mem", "mem", "memory size, where everything is, free frames", cmd_mem },
    { "pt", "pt ADDR", "walk the page tables for a virtual address", cmd_pt },
    { "ticks", "ticks", "timer ticks and uptime", cmd_ticks },
    { "echo", "echo TEXT", "print TEXT", cmd_echo },
    { "reboot", "reboot", "restart the domain", cmd_reboot },
    { "halt", "halt", "power the domain off", cmd_halt },
};
#define NR_COMMANDS (sizeof commands / sizeof commands[0])

static void cmd_help(const char *args)
{
    (void)args;
    printf("commands:\n");
    for (unsigned int i = 0; i < NR_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i].usage, commands[i].about);
}

/* Splits "  name  rest of line  " and runs the command. */
static void run_line(char *line)
{
    while (*line == ' ')
        line++;
    size_t len = strlen(line);
    while (len && line[len - 1] == ' ')
        line[--len] = 0;
    if (!len)
        return;
    char *args = line;
    while (*args && *args != ' ')
        args++;
    size_t name_len = (size_t)(args - line);
    while (*args == ' ')
        args++;
    for (unsigned int i = 0; i < NR_COMMANDS; i++)
        if (strlen(commands[i].name) == name_len && strncmp(commands[i].name, line, name_len) == 0) {
            commands[i].run(args);
            return;
        }
    printf("%.*s: unknown command (type help)\n", (int)name_len, line);
}

/* ---- start of day and the main loop --------------------------------------------------------- */
static void setup(start_info_t *si)
{
    if (!console_ring() || !console_evtchn())
        demo_fail("no console ring to read the keyboard from");
    if (shared_info_map(si))
        demo_fail("cannot map shared_info (update_va_mapping)");
    if (trap_init() || evtchn_init())
        demo_fail("cannot register the trap table and the event callback");
    frames_init(si);
    evtchn_set_handler(console_evtchn(), on_key);
    evtchn_unmask(console_evtchn());
    long port = evtchn_bind_virq(VIRQ_TIMER, 0);
    if (port <= 0)
        demo_fail("event_channel_op(bind_virq, VIRQ_TIMER) failed with %ld", port);
    timer_port = (uint32_t)port;
    evtchn_set_handler(timer_port, on_timer);
    evtchn_unmask(timer_port);
    struct vcpu_set_periodic_timer pt = { .period_ns = TICK_NS };
    long rc = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt);
    if (rc)
        demo_fail("vcpu_op(set_periodic_timer, 10 ms) failed with %ld", rc);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    demo_begin("mini shell", "mini shell: a tiny OS on the Xen console");
    setup(si);
    printf("Keys arrive through the console ring, ticks through VIRQ_TIMER; between events the\n"
           "shell sleeps in sched_op(SCHEDOP_block). Type help for the commands.\n");
    static struct line_editor line;
    line_reset(&line);
    console_write(PROMPT, sizeof PROMPT - 1);
    events_disable();
    for (;;) {
        char buf[64];
        long n = console_read(buf, sizeof buf);
        if (n < 0)
            demo_fail("console ring: in_prod is more than the ring's size past in_cons");
        if (n == 0) {
            sleeps++;
            evtchn_block();                   /* events on while asleep, off again after */
            continue;
        }
        for (long i = 0; i < n; i++) {
            if (!line_feed(&line, buf[i]))
                continue;
            run_line(line.text);
            line_reset(&line);
            console_write(PROMPT, sizeof PROMPT - 1);
        }
    }
}
