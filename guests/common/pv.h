/* pv.h: how a PV guest sees memory at start of day (xen-pv-abi.md §1.3, §1.4, §1.8): ordering
 * barriers for rings shared with a backend, the read-only M2P table Xen maps at
 * MACH2PHYS_VIRT_START (machine frame -> pseudo-physical frame) and the bootstrap mapping
 * (pseudo-physical frame n is at VA GUEST_VIRT_BASE + n * 4096 up to the end of that region).
 * x86 keeps stores in order and loads in order (SDM vol. 3 §9.2.2), so the ring barriers only
 * stop the compiler from reordering.
 */
#ifndef PV_H
#define PV_H

#include "guest.h"
#include "xen.h"

#define barrier()  __asm__ volatile ("" ::: "memory")
#define xen_wmb()  barrier()   /* producer: data before index */
#define xen_rmb()  barrier()   /* consumer: index before data */

/* M2P[mfn]: the pseudo-physical frame Xen recorded for machine frame `mfn`, or INVALID_M2P_ENTRY.
 * The caller must know that `mfn` lies inside the window (frames the domain owns always do). */
static inline xen_ulong_t xen_mfn_to_pfn(xen_ulong_t mfn)
{
    const volatile xen_ulong_t *m2p = (const volatile xen_ulong_t *)MACH2PHYS_VIRT_START;
    return m2p[mfn];
}

/* Virtual address of pseudo-physical frame `pfn` inside the bootstrap mapping. */
static inline void *xen_pfn_to_virt(xen_ulong_t pfn)
{
    return (void *)(GUEST_VIRT_BASE + ((unsigned long)pfn << PAGE_SHIFT));
}

#endif /* PV_H */
