/* ptwalk.h: walking the guest's own page tables for one virtual address, level by level, as the
 * MMU does (Intel SDM vol. 3 §4.4 PAE paging, §4.5 4-level paging), and printing each entry for
 * a learner. PV tables hold machine frame numbers (direct paging, xen-pv-abi.md §4.1); each table
 * found on the way is read through its bootstrap VA (M2P, then pfn * 4096). PV32: L3 (4 entries,
 * VA bits 31-30), L2, L1; PV64: L4, L3, L2, L1. Large pages never occur (Xen refuses PSE).
 */
#ifndef PTWALK_H
#define PTWALK_H

#include "xen.h"
#include "xen-mm.h"

#if defined(__x86_64__)
# define PT_LEVELS 4
#else
# define PT_LEVELS 3
#endif

struct pt_step {
    unsigned int level;          /* PT_LEVELS ... 1 */
    unsigned int index;
    pte_t entry;
    xen_ulong_t table_mfn;       /* the table this entry sits in */
};

struct pt_walk {
    unsigned long va;
    unsigned int steps;          /* entries read, 1 ... PT_LEVELS */
    struct pt_step step[PT_LEVELS];
    int mapped;                  /* every entry present: the VA translates */
    int foreign;                 /* stopped at a table that is not one of our frames (Xen's) */
    uint64_t machine;            /* machine address of va (when mapped) */
};

/* Walks va from the top-level table at top_mfn (a frame of this domain). */
void pt_walk(xen_ulong_t top_mfn, unsigned long va, struct pt_walk *w);
/* The bootstrap top-level table (start_info.pt_base). */
xen_ulong_t pt_boot_top(void);

/* The VA lies in the part of the address space Xen reserves for itself (xen-pv-abi.md §3.1,
 * §4.1): PV64 L4 slots 256-271, PV32 0xF5800000 and up. */
int pt_xen_area(unsigned long va);

/* Prints the walk: one line per level, then what the translation allows. */
void pt_print(const struct pt_walk *w);

/* "P RW US A D" ... for an entry (buf >= 64 bytes). */
const char *pt_flags(char *buf, pte_t e, unsigned int level);

#endif /* PTWALK_H */
