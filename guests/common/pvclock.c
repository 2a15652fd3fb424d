/* pvclock.c: Xen PV time (pvclock.h). The TSC is read with a native rdtsc, as Linux's pvclock
 * does; Xen keeps tsc_timestamp/system_time consistent with it.
 */
#include "pv.h"
#include "pvclock.h"
#include "shared.h"

uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile ("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void pvclock_sample(const volatile vcpu_time_info_t *t, struct pvclock_sample *s)
{
    uint32_t v;
    do {
        v = t->version;
        xen_rmb();
        s->tsc_timestamp = t->tsc_timestamp;
        s->system_time = t->system_time;
        s->mul = t->tsc_to_system_mul;
        s->shift = t->tsc_shift;
        s->flags = t->flags;
        xen_rmb();
    } while ((v & 1) || v != t->version);
    s->version = v;
}

/* (a * mul) >> 32 for a 64-bit a and 32-bit mul, keeping the bits a 96-bit product would. */
static uint64_t mul_shr32(uint64_t a, uint32_t mul)
{
    uint32_t lo = (uint32_t)a, hi = (uint32_t)(a >> 32);
    return (((uint64_t)lo * mul) >> 32) + (uint64_t)hi * mul;
}

uint64_t pvclock_at(const struct pvclock_sample *s, uint64_t tsc)
{
    uint64_t delta = tsc - s->tsc_timestamp;
    if (tsc < s->tsc_timestamp)
        delta = 0;                       /* a TSC read before the record's stamp */
    if (s->shift < 0)
        delta >>= -s->shift;
    else
        delta <<= s->shift;
    return s->system_time + mul_shr32(delta, s->mul);
}

uint64_t xen_system_time(void)
{
    struct pvclock_sample s;
    pvclock_sample(&xen_vcpu->time, &s);
    return pvclock_at(&s, rdtsc());
}
