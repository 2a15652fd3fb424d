/* pvclock.h: guest time from vcpu_time_info (xen-pv-abi.md §1.7): read the record like a seqlock
 * (version odd = update in progress, re-read if it changed), then
 * ns = system_time + ((tsc - tsc_timestamp) << tsc_shift (>> if negative)) * mul >> 32.
 * The 64x32-bit product is done in 32-bit halves, so PV32 needs no libgcc.
 */
#ifndef PVCLOCK_H
#define PVCLOCK_H

#include "xen.h"

struct pvclock_sample {
    uint32_t version;        /* the (even) version the values were read under */
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t mul;
    int8_t   shift;
    uint8_t  flags;
};

uint64_t rdtsc(void);
/* Consistent copy of the record. */
void pvclock_sample(const volatile vcpu_time_info_t *t, struct pvclock_sample *s);
/* Nanoseconds since domain boot at TSC value tsc. */
uint64_t pvclock_at(const struct pvclock_sample *s, uint64_t tsc);
/* Now, from xen_vcpu->time (shared.h). */
uint64_t xen_system_time(void);

#endif /* PVCLOCK_H */
