/* shared.h: the shared_info page (xen-pv-abi.md §1.7). start_info gives only its machine address;
 * shared_info_map() maps it over a page of our .bss with update_va_mapping, like Linux's
 * set_fixmap(FIX_PARAVIRT_BOOTMAP). xen_vcpu points at vCPU 0's vcpu_info: first the legacy slot
 * in shared_info, later wherever VCPUOP_register_vcpu_info moved it (shared_set_vcpu_info).
 */
#ifndef SHARED_H
#define SHARED_H

#include "xen.h"

extern volatile shared_info_t *xen_shared_info;   /* NULL until shared_info_map succeeds */
extern volatile vcpu_info_t *xen_vcpu;            /* NULL until shared_info_map succeeds */

/* Returns the update_va_mapping result (0 on success). */
long shared_info_map(const start_info_t *si);
void shared_set_vcpu_info(volatile vcpu_info_t *v);

#endif /* SHARED_H */
