/* hcall-bench.c: a demo guest that measures what crossing into the hypervisor costs, for learners:
 * null hypercalls (xen_version), event-channel round trips (send, upcall, iret) and page-table
 * updates (mmu_update), each timed with the guest's own clock (pvclock, xen-pv-abi.md §1.7) and
 * printed per operation in nanoseconds and in "instruction-times": the time one plain guest
 * instruction takes, calibrated on a loop of known length. The loops are the benchmark guests'
 * (bench/op-*.c). Built with XEN_COUNT_HYPERCALLS (hypercall.h), so the guest counts every
 * hypercall it makes; its last line, "hypercalls issued: N", includes that line's own console
 * output and the shutdown after it, so N must equal the hypervisor's count of this domain's
 * hypercalls. Command line: iters=<n> runs each loop exactly n times; otherwise each runs for at
 * least ms=<t> milliseconds of guest time (default 100).
 */
#include "cmdline.h"
#include "console.h"
#include "demo.h"
#include "evtchn.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "ops.h"
#include "pvclock.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

unsigned long xen_hypercalls_issued;         /* incremented by every hypercall (hypercall.h) */

#define DEFAULT_MS   100
#define CAL_PASSES   100000u                 /* passes of the calibration loop per batch */

static uint32_t fixed_iters;                 /* iters=<n>; 0: run for min_ns instead */
static uint64_t min_ns;
static uint64_t cal_ns, cal_instructions;    /* the calibration: this many instructions took ... */
static uint64_t clock_step;                  /* how far guest time jumps when it moves */

#define MIN_STEPS    10                      /* a timing must span this many clock steps */

/* n / d for 64-bit values without libgcc (PV32): both scaled down until d fits 32 bits. */
static uint64_t div64(uint64_t n, uint64_t d)
{
    while (d >> 32) {
        d >>= 1;
        n >>= 1;
    }
    if (d == 0)
        return 0;
    u64_divmod(&n, (uint32_t)d);
    return n;
}

/* "123.4" from a value in tenths. */
static const char *tenths(char *buf, uint64_t x10)
{
    char whole[24];
    uint32_t frac = u64_divmod(&x10, 10);
    snprintf(buf, 32, "%s.%u", u64_dec(whole, x10), (unsigned int)frac);
    return buf;
}

/* The calibration loop: `passes` iterations of dec + jnz, 2 instructions each. */
static void spin(uint32_t passes)
{
    __asm__ volatile ("1:\n\tdec %0\n\tjnz 1b" : "+r"(passes) : : "cc");
}

/* Guest time may advance in steps (an emulator updates it between slices of instructions):
 * the size of a step, the smallest of a few consecutive ones (the first slices of a run may be
 * slow ones, while code is still being compiled). */
static void measure_clock_step(void)
{
    uint64_t t = xen_system_time(), next;
    clock_step = ~0ULL;
    while ((next = xen_system_time()) == t)
        ;
    for (unsigned int i = 0; i < 4; i++) {
        t = next;
        while ((next = xen_system_time()) == t)
            ;
        if (next - t < clock_step)
            clock_step = next - t;
    }
    char a[24];
    printf("  the clock moves in steps of about %s ns here, so every timing spans at least %u steps\n",
           u64_dec(a, clock_step), MIN_STEPS);
    if (min_ns < MIN_STEPS * clock_step)
        min_ns = MIN_STEPS * clock_step;
}

static void calibrate(void)
{
    /* An untimed first round: caches (and an emulator's compiler) warm up before we time. */
    uint64_t t0 = xen_system_time(), t = t0, passes = 0;
    do
        spin(CAL_PASSES);
    while (xen_system_time() - t0 < min_ns);
    t0 = t = xen_system_time();
    do {
        spin(CAL_PASSES);
        passes += CAL_PASSES;
        t = xen_system_time();
    } while (t - t0 < min_ns);
    cal_ns = t - t0;
    cal_instructions = 2 * passes;
    char a[32], b[24], c[24];
    printf("  calibration: %s passes of a 2-instruction loop (dec, jnz) took %s ns:\n"
           "  one plain guest instruction takes %s ns on this machine and clock\n",
           u64_dec(b, passes), u64_dec(c, cal_ns), tenths(a, div64(cal_ns * 10, cal_instructions)));
}

/* Runs batch(n) until iters=<n> operations were done or min_ns have passed; reports the rate. */
static void measure(const char *what, uint32_t (*batch)(uint32_t), uint32_t batch_size,
                    uint32_t calls_per_op)
{
    unsigned long calls0 = xen_hypercalls_issued;
    uint64_t t0 = xen_system_time(), t = t0, ops = 0, bad = 0;
    if (fixed_iters) {
        bad = batch(fixed_iters);
        ops = fixed_iters;
        t = xen_system_time();
    } else {
        do {
            bad += batch(batch_size);
            ops += batch_size;
            t = xen_system_time();
        } while (t - t0 < min_ns);
    }
    unsigned long calls = xen_hypercalls_issued - calls0;
    if (bad)
        demo_fail("%s: %lu of the operations misbehaved", what, (unsigned long)bad);
    uint64_t ns = t - t0;
    char n[24], d[24], per[32], itimes[32], rate[24];
    u64_dec(n, ops);
    u64_dec(d, ns);
    if (ns < MIN_STEPS * clock_step) {
        printf("  %s operations in %s ns: too short to time (fewer than %u clock steps); give a "
               "larger iters=<n>, or ms=<n> instead\n", n, d, MIN_STEPS);
    } else {
        uint64_t per_x10 = div64(ns * 10, ops);
        tenths(per, per_x10);
        tenths(itimes, div64(per_x10 * cal_instructions, cal_ns));   /* (ns/op) / (ns/insn) */
        u64_dec(rate, div64(ops * 1000000000ULL, ns));
        printf("  %s operations in %s ns: %s ns each = %s instruction-times; %s per second\n",
               n, d, per, itimes, rate);
    }
    demo_check(calls == ops * calls_per_op, "the hypercall count to match",
               "%lu hypercalls counted by the guest: %u per operation", calls,
               (unsigned int)calls_per_op);
}

static uint32_t pt_batch(uint32_t n)
{
    long rc;
    uint32_t wrong = op_pt_run(n, &rc);
    if (rc)
        demo_fail("mmu_update failed with %ld", rc);
    return wrong;
}

void guest_main(start_info_t *si)
{
    console_init(si);
    demo_begin("hypercall bench", "hypercall bench: what crossing into Xen costs");
    printf("A hypercall leaves the guest kernel for the hypervisor and comes back. How long does\n"
           "that take, compared with an ordinary instruction?\n");
    uint32_t ms = DEFAULT_MS;
    if (cmdline_u32(si->cmd_line, "iters", &fixed_iters) < 0 || cmdline_u32(si->cmd_line, "ms", &ms) < 0 ||
        ms == 0)
        demo_fail("bad command line \"%.60s\": want iters=<n> and/or ms=<n> (whole numbers, ms > 0)",
                  si->cmd_line);
    min_ns = (uint64_t)ms * 1000000;
    if (shared_info_map(si) || trap_init() || evtchn_init())
        demo_fail("cannot map shared_info or register the trap table and event callback");
    printf("  time comes from pvclock (vcpu_time_info in shared_info), read with rdtsc\n");
    measure_clock_step();
    char a[24];
    if (fixed_iters)
        printf("  each loop runs %u times (iters=%u)\n", (unsigned int)fixed_iters,
               (unsigned int)fixed_iters);
    else
        printf("  each loop runs for at least %s ms of guest time (asked: ms=%u; or give iters=<n>)\n",
               u64_dec(a, div64(min_ns, 1000000)), (unsigned int)ms);
    calibrate();

    const char *failed = op_null_init();
    if (failed)
        demo_fail("%s", failed);
    demo_section("null hypercall: xen_version(XENVER_version, NULL)");
#if defined(__x86_64__)
    printf("  the cheapest call: into Xen, read one number, back (syscall from guest-kernel mode)\n");
#else
    printf("  the cheapest call: into Xen, read one number, back (int $0x82 from ring 1)\n");
#endif
    measure("null hypercall", op_null_run, 1000, 1);

    demo_section("event round trip: send, upcall, send, iret");
    failed = op_event_init();
    if (failed)
        demo_fail("%s", failed);
    printf("  send on port A -> Xen marks B pending and bounces us to the event callback -> the\n"
           "  handler sends on B -> A pending, handled in the same upcall -> iret hypercall back\n");
    measure("event round trip", op_event_run, 200, 3);
    op_event_stop();

    demo_section("page-table update: mmu_update, then a read through the new mapping");
    failed = op_pt_init();
    if (failed)
        demo_fail("%s", failed);
    printf("  Xen validates the new entry (a frame we own), writes it, flushes the old translation\n");
    measure("page-table update", pt_batch, 500, 1);
    long rc = op_pt_restore();
    if (rc)
        demo_fail("cannot restore the window's mapping (mmu_update %ld)", rc);

    printf("\nhypercall bench complete\n");
    /* The last line counts itself: with the ring drained, printing it is one console_io and one
     * event send; the shutdown after it is one sched_op. */
    int drained = console_flush(1000);
    unsigned long total = xen_hypercalls_issued + 3;
    printf("hypercalls issued: %lu (every hypercall this guest made, counted by the guest, "
           "including this line's console_io and event send and the shutdown that follows%s)\n",
           total, drained ? "" : "; approximate: the console did not drain");
    xen_shutdown(SHUTDOWN_poweroff);
}
