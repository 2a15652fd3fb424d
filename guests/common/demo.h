/* demo.h: the narration contract of the demo guests (guests/README.md, "Demo guests"). A demo tells
 * a learner what it does, but every sentence about the system's behaviour is printed only after
 * the guest checked it: demo_check prints the observation when the expectation held, and otherwise
 * ends the run with "<demo>: ERROR: <observation> (expected <what>)" and SHUTDOWN_crash. A demo that
 * gets to the end prints "<demo> complete" and powers off. An unexpected trap (trap.c) also ends the
 * run with an ERROR line, through test_abort_hook.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>
#include "xen.h"

/* Prints "xenwasm <title> (pv32|pv64)" and routes aborts to demo_fail; call after console_init. */
void demo_begin(const char *name, const char *title);

/* If ok: prints "  " + the formatted observation. Else: ERROR line with `want`, then crash. */
void demo_check(int ok, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A hypercall that must succeed: prints "  <what>" if rc == 0, else the ERROR line with rc. */
void demo_ok(long rc, const char *what);

/* "<demo>: ERROR: <message>", console flush, SHUTDOWN_crash. */
__attribute__((noreturn, format(printf, 1, 2))) void demo_fail(const char *fmt, ...);

/* "<demo> complete", console flush, SHUTDOWN_poweroff. */
__attribute__((noreturn)) void demo_complete(void);

/* A section heading: a blank line, then "== <text> ==". */
void demo_section(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Text of the #PF error-code bits for learners: "present, write, user mode" (buf >= 48 bytes). */
const char *demo_pf_bits(char *buf, unsigned long error_code);

#endif /* DEMO_H */
