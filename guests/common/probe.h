/* probe.h: touching something that may fault, on purpose, from guest-kernel mode (the demo labs).
 * A probe runs one instruction inside a guarded range; if it traps, the #PF or #GP handler calls
 * probe_fixup, which records the vector, error code and CR2 (vcpu_info.arch.cr2, xen-pv-abi.md
 * §1.7, §3.4) and resumes after the instruction, so the lab can report what the CPU and Xen did.
 * Invariant: at most one probe is armed at a time, and only while its instruction runs.
 */
#ifndef PROBE_H
#define PROBE_H

#include "trap.h"

struct probe_fault {
    unsigned int vector;          /* TRAP_page_fault, TRAP_gp_fault, ... */
    unsigned long error_code;
    unsigned long cr2;            /* #PF only */
    unsigned long ip;             /* the probed instruction */
};

/* The last fault a probe took (valid when the probe returned 1). */
extern struct probe_fault probe_last;

/* Each returns 1 if the instruction trapped (see probe_last), 0 if it completed. */
int probe_read(const volatile void *va, unsigned long *value);   /* mov (va), reg */
int probe_write(volatile void *va, unsigned long value);         /* mov reg, (va) */
int probe_cli(void);                                             /* cli */
int probe_read_cr3(unsigned long *value);                        /* mov %cr3, reg */

/* For trap handlers: if r is a fault of the armed probe, records it, moves r->ip past the
 * instruction and returns 1; otherwise returns 0 and changes nothing. */
int probe_fixup(struct trap_regs *r);

/* A handler for #PF and #GP that accepts only probe faults (anything else: trap_unexpected). */
void probe_trap(struct trap_regs *r);

#endif /* PROBE_H */
