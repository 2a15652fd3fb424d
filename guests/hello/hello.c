/* hello.c: the smallest demo guest: boots as a Xen PV domU (PV32 or PV64 from the same source),
 * prints what the domain builder handed it in start_info (xen-pv-abi.md §1.6), asks Xen for its
 * version and feature bitmap (xen_version, §2.3), and powers the domain off (sched_op shutdown).
 * It registers no traps and never touches page tables: the hypercalls it makes are console_io,
 * event_channel_op(send), xen_version(version, get_features) and sched_op(yield, shutdown).
 * guests/README.md lists its exact output.
 */
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "xen.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

static const char *const feature_names[32] = {
    [XENFEAT_writable_page_tables]       = "writable_page_tables",
    [XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
    [XENFEAT_auto_translated_physmap]    = "auto_translated_physmap",
    [XENFEAT_supervisor_mode_kernel]     = "supervisor_mode_kernel",
    [XENFEAT_pae_pgdir_above_4gb]        = "pae_pgdir_above_4gb",
    [XENFEAT_mmu_pt_update_preserve_ad]  = "mmu_pt_update_preserve_ad",
    [XENFEAT_highmem_assist]             = "highmem_assist",
    [XENFEAT_gnttab_map_avail_bits]      = "gnttab_map_avail_bits",
    [XENFEAT_hvm_callback_vector]        = "hvm_callback_vector",
    [XENFEAT_hvm_safe_pvclock]           = "hvm_safe_pvclock",
    [XENFEAT_hvm_pirqs]                  = "hvm_pirqs",
    [XENFEAT_dom0]                       = "dom0",
    [XENFEAT_grant_map_identity]         = "grant_map_identity",
    [XENFEAT_memory_op_vnode_supported]  = "memory_op_vnode_supported",
    [XENFEAT_ARM_SMCCC_supported]        = "ARM_SMCCC_supported",
    [XENFEAT_linux_rsdp_unrestricted]    = "linux_rsdp_unrestricted",
    [XENFEAT_not_direct_mapped]          = "not_direct_mapped",
    [XENFEAT_direct_mapped]              = "direct_mapped",
    [XENFEAT_runstate_phys_area]         = "runstate_phys_area",
    [XENFEAT_vcpu_time_phys_area]        = "vcpu_time_phys_area",
    [XENFEAT_dm_msix_all_writes]         = "dm_msix_all_writes",
};

static void print_hypercall_mechanism(void)
{
#if defined(XEN_HYPERCALL_RAW)
    printf("hypercalls: " XEN_HYPERCALL_MECHANISM " (no hypercall page)\n");
#else
    printf("hypercalls: hypercall page at %p\n", (void *)hypercall_page);
#endif
}

static void print_start_info(const start_info_t *si)
{
    int magic_len = (int)strnlen(si->magic, sizeof si->magic);
    printf("start_info at %p:\n", (const void *)si);
    printf("  magic         %.*s\n", magic_len, si->magic);
    if (strncmp(si->magic, XEN_START_INFO_MAGIC, sizeof si->magic) != 0)
        printf("  (expected %s for this guest type)\n", XEN_START_INFO_MAGIC);
    printf("  nr_pages      %lu (%lu MiB)\n", (unsigned long)si->nr_pages,
           (unsigned long)si->nr_pages >> (20 - PAGE_SHIFT));
    printf("  flags         0x%x\n", (unsigned int)si->flags);
    printf("  shared_info   0x%lx (machine address)\n", (unsigned long)si->shared_info);
    printf("  console       mfn 0x%lx, evtchn %u\n", (unsigned long)si->console.domU.mfn,
           (unsigned int)si->console.domU.evtchn);
    printf("  store         mfn 0x%lx, evtchn %u\n", (unsigned long)si->store_mfn,
           (unsigned int)si->store_evtchn);
    printf("  pt_base       0x%lx\n", (unsigned long)si->pt_base);
    printf("  nr_pt_frames  %lu\n", (unsigned long)si->nr_pt_frames);
    printf("  mfn_list      0x%lx\n", (unsigned long)si->mfn_list);
    printf("  cmd_line      \"%.*s\"\n", (int)strnlen(si->cmd_line, sizeof si->cmd_line),
           si->cmd_line);

    volatile struct xencons_interface *ring = console_ring();
    if (ring)
        printf("console ring: pfn 0x%lx at %p (M2P of mfn 0x%lx)\n",
               (unsigned long)console_ring_pfn(), (void *)ring,
               (unsigned long)si->console.domU.mfn);
    else
        printf("console ring: none (output through console_io only)\n");
}

static void print_xen_version(void)
{
    long v = HYPERVISOR_xen_version(XENVER_version, 0);
    if (v < 0)
        printf("Xen version: xen_version(XENVER_version) failed with %ld\n", v);
    else
        printf("Xen %lu.%lu\n", (unsigned long)v >> 16, (unsigned long)v & 0xffff);
}

static void print_features(void)
{
    xen_feature_info_t fi = { .submap_idx = 0, .submap = 0 };
    long rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    if (rc < 0) {
        printf("features: xen_version(XENVER_get_features) failed with %ld\n", rc);
        return;
    }
    printf("features: 0x%08x\n", (unsigned int)fi.submap);
    for (unsigned int bit = 0; bit < 32; bit++)
        if (fi.submap & (1u << bit))
            printf("  bit %2u %s\n", bit, feature_names[bit] ? feature_names[bit] : "(unknown)");
}

void guest_main(start_info_t *si)
{
    console_init(si);
    printf("xenwasm hello: a Xen PV guest is running (" GUEST_TYPE ")\n");
    print_hypercall_mechanism();
    print_start_info(si);
    print_xen_version();
    print_features();
    printf("hello: powering off\n");
    console_flush(1000);     /* let the backend take the last line before the domain goes away */
    xen_shutdown(SHUTDOWN_poweroff);
}
