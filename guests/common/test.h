/* test.h: the reporting contract of the test guests (guests/README.md, "Test guests"): each check
 * prints one line, "  ok   <what>" or "  FAIL <what>", and the run ends with exactly one line
 * "Test result: SUCCESS" or "Test result: FAILURE: <first failed check>", after which the domain
 * powers off (SHUTDOWN_poweroff) or, on failure, crashes (SHUTDOWN_crash).
 * Also 64-bit number formatting, which the shared printf lacks (no %ll: no libgcc on PV32).
 */
#ifndef TEST_H
#define TEST_H

#include <stdint.h>
#include "xen.h"

/* Prints "xenwasm test <name> (pv32|pv64)"; call once, after console_init. */
void test_begin(const char *name);

/* Records one check; returns ok so callers can stop a dependent sequence. */
int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* check(got == want, "<what> = <got>") with the expected value in the message on failure. */
int check_rc(long got, long want, const char *what);

/* Ends the run: the result line, console flush, shutdown. */
__attribute__((noreturn)) void test_finish(void);
/* The same, but a successful run shuts down with `reason` (SHUTDOWN_reboot, ...), not poweroff. */
__attribute__((noreturn)) void test_finish_shutdown(unsigned int reason);

/* Ends the run at once with FAILURE: <message> (unexpected trap, broken prerequisite). */
__attribute__((noreturn, format(printf, 1, 2))) void test_abort(const char *fmt, ...);
/* Guests that are not tests (the demo guests, common/demo.c) set this hook: test_abort, and so an
 * unexpected trap (trap.c), then hands it the message instead of printing a test result. */
extern void (*test_abort_hook)(const char *msg);

unsigned int test_failures(void);

/* n / d with the remainder, without libgcc's 64-bit division (PV32 uses `divl` twice). */
uint32_t u64_divmod(uint64_t *n, uint32_t d);
/* Decimal and hex text of a 64-bit value into buf (at least 21 bytes); returns buf. */
const char *u64_dec(char *buf, uint64_t v);
const char *u64_hex(char *buf, uint64_t v);

#endif /* TEST_H */
