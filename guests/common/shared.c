/* shared.c: mapping the shared_info page (shared.h). The page of .bss it is mapped over keeps its
 * own frame in the P2M but is no longer reachable; that frame is simply not used again.
 */
#include "guest.h"
#include "hypercall.h"
#include "shared.h"
#include "xen-mm.h"

volatile shared_info_t *xen_shared_info;
volatile vcpu_info_t *xen_vcpu;

static char shared_info_va[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

long shared_info_map(const start_info_t *si)
{
    pte_t pte = ((pte_t)si->shared_info & PTE_FRAME_MASK) | _PAGE_PRESENT | _PAGE_RW |
                _PAGE_ACCESSED | _PAGE_DIRTY;
    long rc = HYPERVISOR_update_va_mapping((unsigned long)shared_info_va, pte, UVMF_INVLPG);
    if (rc)
        return rc;
    xen_shared_info = (volatile shared_info_t *)shared_info_va;
    xen_vcpu = &xen_shared_info->vcpu_info[0];
    return 0;
}

void shared_set_vcpu_info(volatile vcpu_info_t *v)
{
    xen_vcpu = v;
}
