/* op-null.c: the null-hypercall loop (ops.h): xen_version(XENVER_version, NULL), xen-pv-abi.md
 * §2.3. Nothing here prints: the callers decide how to report.
 */
#include "hypercall.h"
#include "ops.h"

static long version;

const char *op_null_init(void)
{
    version = HYPERVISOR_xen_version(XENVER_version, 0);
    return version <= 0 ? "xen_version(XENVER_version) failed" : 0;
}

uint32_t op_null_run(uint32_t n)
{
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += HYPERVISOR_xen_version(XENVER_version, 0) != version;
    return wrong;
}
