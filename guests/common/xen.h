/* xen.h: the Xen PV guest ABI as C types and numbers, for both guest types: PV32 (xen-3.0-x86_32p,
 * compat layout) and PV64 (xen-3.0-x86_64). Written from xen-pv-abi.md §1.2, §1.6-§1.8, §2, §5.1,
 * which summarise Xen's public headers xen.h, arch-x86/xen{,-x86_32,-x86_64}.h, elfnote.h, sched.h,
 * event_channel.h, version.h, features.h and io/console.h (names follow Xen's).
 * Both layouts are spelt with fixed-width types (8-byte fields explicitly 8-aligned, as in the
 * 64-bit ABI) and every offset is checked by a static assert in either build; the unsuffixed names
 * (start_info_t, shared_info_t, vcpu_info_t, xen_ulong_t) select the layout of the ABI being built.
 * The numeric part is also usable from assembly (__ASSEMBLER__).
 */
#ifndef XEN_H
#define XEN_H

/* ---- ELF notes (elfnote.h, xen-pv-abi.md §1.2): owner "Xen" --------------------------------- */
#define XEN_ELFNOTE_INFO                0
#define XEN_ELFNOTE_ENTRY               1
#define XEN_ELFNOTE_HYPERCALL_PAGE      2
#define XEN_ELFNOTE_VIRT_BASE           3
#define XEN_ELFNOTE_PADDR_OFFSET        4
#define XEN_ELFNOTE_XEN_VERSION         5
#define XEN_ELFNOTE_GUEST_OS            6
#define XEN_ELFNOTE_GUEST_VERSION       7
#define XEN_ELFNOTE_LOADER              8
#define XEN_ELFNOTE_PAE_MODE            9
#define XEN_ELFNOTE_FEATURES            10
#define XEN_ELFNOTE_BSD_SYMTAB          11
#define XEN_ELFNOTE_HV_START_LOW        12
#define XEN_ELFNOTE_L1_MFN_VALID        13
#define XEN_ELFNOTE_SUSPEND_CANCEL      14
#define XEN_ELFNOTE_INIT_P2M            15
#define XEN_ELFNOTE_MOD_START_PFN       16
#define XEN_ELFNOTE_SUPPORTED_FEATURES  17

/* ---- hypercall numbers (xen.h __HYPERVISOR_*, xen-pv-abi.md §2.2) --------------------------- */
#define __HYPERVISOR_set_trap_table                 0
#define __HYPERVISOR_mmu_update                     1
#define __HYPERVISOR_set_gdt                        2
#define __HYPERVISOR_stack_switch                   3
#define __HYPERVISOR_set_callbacks                  4
#define __HYPERVISOR_fpu_taskswitch                 5
#define __HYPERVISOR_sched_op_compat                6
#define __HYPERVISOR_platform_op                    7
#define __HYPERVISOR_set_debugreg                   8
#define __HYPERVISOR_get_debugreg                   9
#define __HYPERVISOR_update_descriptor              10
#define __HYPERVISOR_memory_op                      12
#define __HYPERVISOR_multicall                      13
#define __HYPERVISOR_update_va_mapping              14
#define __HYPERVISOR_set_timer_op                   15
#define __HYPERVISOR_event_channel_op_compat        16
#define __HYPERVISOR_xen_version                    17
#define __HYPERVISOR_console_io                     18
#define __HYPERVISOR_physdev_op_compat              19
#define __HYPERVISOR_grant_table_op                 20
#define __HYPERVISOR_vm_assist                      21
#define __HYPERVISOR_update_va_mapping_otherdomain  22
#define __HYPERVISOR_iret                           23
#define __HYPERVISOR_vcpu_op                        24
#define __HYPERVISOR_set_segment_base               25  /* PV64 only */
#define __HYPERVISOR_mmuext_op                      26
#define __HYPERVISOR_xsm_op                         27
#define __HYPERVISOR_nmi_op                         28
#define __HYPERVISOR_sched_op                       29
#define __HYPERVISOR_callback_op                    30
#define __HYPERVISOR_xenoprof_op                    31
#define __HYPERVISOR_event_channel_op               32
#define __HYPERVISOR_physdev_op                     33
#define __HYPERVISOR_hvm_op                         34
#define __HYPERVISOR_sysctl                         35
#define __HYPERVISOR_domctl                         36
#define __HYPERVISOR_kexec_op                       37
#define __HYPERVISOR_tmem_op                        38
#define __HYPERVISOR_argo_op                        39
#define __HYPERVISOR_xenpmu_op                      40
#define __HYPERVISOR_dm_op                          41
#define __HYPERVISOR_hypfs_op                       42
#define __HYPERVISOR_arch_0                         48  /* mca */

#define XEN_HYPERCALL_STUB_SIZE   32    /* stub n of the hypercall page is at page + n * 32 */

/* ---- errors: hypercalls return -XEN_Exxx (xen-pv-abi.md §2.1) ------------------------------- */
#define XEN_EPERM       1
#define XEN_ENOENT      2
#define XEN_ESRCH       3
#define XEN_EINTR       4
#define XEN_EIO         5
#define XEN_E2BIG       7
#define XEN_EAGAIN      11
#define XEN_ENOMEM      12
#define XEN_EACCES      13
#define XEN_EFAULT      14
#define XEN_EBUSY       16
#define XEN_EEXIST      17
#define XEN_ENODEV      19
#define XEN_EINVAL      22
#define XEN_ENOSPC      28
#define XEN_ERANGE      34
#define XEN_ENOSYS      38
#define XEN_ETIME       62
#define XEN_EOPNOTSUPP  95

/* ---- sched_op (sched.h) --------------------------------------------------------------------- */
#define SCHEDOP_yield            0
#define SCHEDOP_block            1
#define SCHEDOP_shutdown         2
#define SCHEDOP_poll             3
#define SCHEDOP_remote_shutdown  4
#define SCHEDOP_shutdown_code    5
#define SCHEDOP_watchdog         6
#define SCHEDOP_pin_override     7

#define SHUTDOWN_poweroff    0
#define SHUTDOWN_reboot      1
#define SHUTDOWN_suspend     2
#define SHUTDOWN_crash       3
#define SHUTDOWN_watchdog    4
#define SHUTDOWN_soft_reset  5

/* ---- event_channel_op (event_channel.h) ----------------------------------------------------- */
#define EVTCHNOP_bind_interdomain  0
#define EVTCHNOP_bind_virq         1
#define EVTCHNOP_bind_pirq         2
#define EVTCHNOP_close             3
#define EVTCHNOP_send              4
#define EVTCHNOP_status            5
#define EVTCHNOP_alloc_unbound     6
#define EVTCHNOP_bind_ipi          7
#define EVTCHNOP_bind_vcpu         8
#define EVTCHNOP_unmask            9
#define EVTCHNOP_reset             10
#define EVTCHNOP_init_control      11
#define EVTCHNOP_expand_array      12
#define EVTCHNOP_set_priority      13

#define VIRQ_TIMER     0
#define VIRQ_DEBUG     1
#define VIRQ_CONSOLE   2
#define VIRQ_DOM_EXC   3

#define DOMID_SELF     0x7FF0

/* ---- console_io (xen.h) --------------------------------------------------------------------- */
#define CONSOLEIO_write  0
#define CONSOLEIO_read   1

/* ---- xen_version (version.h) ---------------------------------------------------------------- */
#define XENVER_version              0
#define XENVER_extraversion         1
#define XENVER_compile_info         2
#define XENVER_capabilities         3
#define XENVER_changeset            4
#define XENVER_platform_parameters  5
#define XENVER_get_features         6
#define XENVER_pagesize             7
#define XENVER_guest_handle         8
#define XENVER_commandline          9

/* ---- XENVER_get_features submap 0 bits (features.h) ----------------------------------------- */
#define XENFEAT_writable_page_tables        0
#define XENFEAT_writable_descriptor_tables  1
#define XENFEAT_auto_translated_physmap     2
#define XENFEAT_supervisor_mode_kernel      3
#define XENFEAT_pae_pgdir_above_4gb         4
#define XENFEAT_mmu_pt_update_preserve_ad   5
#define XENFEAT_highmem_assist              6
#define XENFEAT_gnttab_map_avail_bits       7
#define XENFEAT_hvm_callback_vector         8
#define XENFEAT_hvm_safe_pvclock            9
#define XENFEAT_hvm_pirqs                   10
#define XENFEAT_dom0                        11
#define XENFEAT_grant_map_identity          12
#define XENFEAT_memory_op_vnode_supported   13
#define XENFEAT_ARM_SMCCC_supported         14
#define XENFEAT_linux_rsdp_unrestricted     15
#define XENFEAT_not_direct_mapped           16
#define XENFEAT_direct_mapped               17
#define XENFEAT_runstate_phys_area          18
#define XENFEAT_vcpu_time_phys_area         19
#define XENFEAT_dm_msix_all_writes          20

/* ---- start_info.flags (xen.h SIF_*) --------------------------------------------------------- */
#define SIF_PRIVILEGED        0x1
#define SIF_INITDOMAIN        0x2
#define SIF_MULTIBOOT_MOD     0x4
#define SIF_MOD_START_PFN     0x8
#define SIF_VIRT_P2M_4TOOLS   0x10

/* ---- flat selectors Xen provides in its reserved GDT page (xen-pv-abi.md §3.3) -------------- */
#define FLAT_RING1_CS_X86_32   0xe019   /* PV32 kernel code, DPL 1 */
#define FLAT_RING1_DS_X86_32   0xe021   /* PV32 kernel data/stack, DPL 1 */
#define FLAT_RING3_CS_X86_32   0xe02b
#define FLAT_RING3_DS_X86_32   0xe033
#define FLAT_KERNEL_CS_X86_64  0xe033   /* PV64 kernel and user 64-bit code, DPL 3 */
#define FLAT_KERNEL_SS_X86_64  0xe02b
#define FLAT_RING3_CS32_X86_64 0xe023

/* ---- M2P window: read-only machine-to-pseudo-physical table (xen-pv-abi.md §1.8) ------------ */
#define MACH2PHYS_VIRT_START_X86_32  0xF5800000UL          /* 4-byte entries */
#define MACH2PHYS_VIRT_START_X86_64  0xFFFF800000000000UL  /* 8-byte entries */

#ifndef __ASSEMBLER__

#include <stdint.h>

typedef uint64_t xen_u64a_t __attribute__((aligned(8)));   /* an 8-aligned u64 even under -m32 */

/* sched_op(SCHEDOP_poll) argument (public/sched.h): a guest handle to the ports, their count, an
 * absolute timeout in ns (0: none). The handle is a pointer of the guest's own width. */
struct sched_poll {
    uint32_t *ports;
    unsigned int nr_ports;
    uint64_t timeout;
};
#if defined(__x86_64__)
_Static_assert(__builtin_offsetof(struct sched_poll, timeout) == 16, "sched_poll layout (PV64)");
#else
_Static_assert(__builtin_offsetof(struct sched_poll, timeout) == 8, "sched_poll layout (PV32)");
#endif

#define XEN_ABI_CHECK(type, field, off) \
    _Static_assert(__builtin_offsetof(type, field) == (off), #type "." #field " is at " #off)
#define XEN_SIZE_CHECK(type, size) \
    _Static_assert(sizeof(type) == (size), "sizeof(" #type ") is " #size)

/* ---- start_info_t (xen-pv-abi.md §1.6) ------------------------------------------------------ */
typedef struct start_info_x86_64 {
    char       magic[32];          /* "xen-3.0-x86_64" */
    xen_u64a_t nr_pages;
    xen_u64a_t shared_info;        /* machine address of the shared_info page */
    uint32_t   flags;              /* SIF_* */
    xen_u64a_t store_mfn;
    uint32_t   store_evtchn;
    union {
        struct { xen_u64a_t mfn; uint32_t evtchn; } domU;
        struct { uint32_t info_off; uint32_t info_size; } dom0;
    } console;
    xen_u64a_t pt_base;            /* VA of the bootstrap top-level page table */
    xen_u64a_t nr_pt_frames;
    xen_u64a_t mfn_list;           /* VA of the P2M list */
    xen_u64a_t mod_start;
    xen_u64a_t mod_len;
    char       cmd_line[1024];
    xen_u64a_t first_p2m_pfn;
    xen_u64a_t nr_p2m_frames;
} start_info_x86_64_t;

typedef struct start_info_x86_32 {
    char     magic[32];            /* "xen-3.0-x86_32p" */
    uint32_t nr_pages;
    uint32_t shared_info;
    uint32_t flags;
    uint32_t store_mfn;
    uint32_t store_evtchn;
    union {
        struct { uint32_t mfn; uint32_t evtchn; } domU;
        struct { uint32_t info_off; uint32_t info_size; } dom0;
    } console;
    uint32_t pt_base;
    uint32_t nr_pt_frames;
    uint32_t mfn_list;
    uint32_t mod_start;
    uint32_t mod_len;
    char     cmd_line[1024];
    uint32_t first_p2m_pfn;
    uint32_t nr_p2m_frames;
} start_info_x86_32_t;

XEN_ABI_CHECK(start_info_x86_64_t, nr_pages, 32);
XEN_ABI_CHECK(start_info_x86_64_t, shared_info, 40);
XEN_ABI_CHECK(start_info_x86_64_t, flags, 48);
XEN_ABI_CHECK(start_info_x86_64_t, store_mfn, 56);
XEN_ABI_CHECK(start_info_x86_64_t, store_evtchn, 64);
XEN_ABI_CHECK(start_info_x86_64_t, console.domU.mfn, 72);
XEN_ABI_CHECK(start_info_x86_64_t, console.domU.evtchn, 80);
XEN_ABI_CHECK(start_info_x86_64_t, console.dom0.info_size, 76);
XEN_ABI_CHECK(start_info_x86_64_t, pt_base, 88);
XEN_ABI_CHECK(start_info_x86_64_t, nr_pt_frames, 96);
XEN_ABI_CHECK(start_info_x86_64_t, mfn_list, 104);
XEN_ABI_CHECK(start_info_x86_64_t, mod_start, 112);
XEN_ABI_CHECK(start_info_x86_64_t, mod_len, 120);
XEN_ABI_CHECK(start_info_x86_64_t, cmd_line, 128);
XEN_ABI_CHECK(start_info_x86_64_t, first_p2m_pfn, 1152);
XEN_ABI_CHECK(start_info_x86_64_t, nr_p2m_frames, 1160);
XEN_SIZE_CHECK(start_info_x86_64_t, 1168);

XEN_ABI_CHECK(start_info_x86_32_t, nr_pages, 32);
XEN_ABI_CHECK(start_info_x86_32_t, shared_info, 36);
XEN_ABI_CHECK(start_info_x86_32_t, flags, 40);
XEN_ABI_CHECK(start_info_x86_32_t, store_mfn, 44);
XEN_ABI_CHECK(start_info_x86_32_t, store_evtchn, 48);
XEN_ABI_CHECK(start_info_x86_32_t, console.domU.mfn, 52);
XEN_ABI_CHECK(start_info_x86_32_t, console.domU.evtchn, 56);
XEN_ABI_CHECK(start_info_x86_32_t, pt_base, 60);
XEN_ABI_CHECK(start_info_x86_32_t, nr_pt_frames, 64);
XEN_ABI_CHECK(start_info_x86_32_t, mfn_list, 68);
XEN_ABI_CHECK(start_info_x86_32_t, mod_start, 72);
XEN_ABI_CHECK(start_info_x86_32_t, mod_len, 76);
XEN_ABI_CHECK(start_info_x86_32_t, cmd_line, 80);
XEN_ABI_CHECK(start_info_x86_32_t, first_p2m_pfn, 1104);
XEN_ABI_CHECK(start_info_x86_32_t, nr_p2m_frames, 1108);
XEN_SIZE_CHECK(start_info_x86_32_t, 1112);

/* ---- vcpu_time_info / vcpu_info (xen-pv-abi.md §1.7) ---------------------------------------- */
typedef struct vcpu_time_info {       /* same layout in both ABIs */
    uint32_t   version;               /* odd while Xen updates the record */
    uint32_t   pad0;
    xen_u64a_t tsc_timestamp;
    xen_u64a_t system_time;           /* ns since domain boot at tsc_timestamp */
    uint32_t   tsc_to_system_mul;
    int8_t     tsc_shift;
    uint8_t    flags;
    uint8_t    pad1[2];
} vcpu_time_info_t;
XEN_ABI_CHECK(vcpu_time_info_t, tsc_timestamp, 8);
XEN_ABI_CHECK(vcpu_time_info_t, system_time, 16);
XEN_ABI_CHECK(vcpu_time_info_t, tsc_to_system_mul, 24);
XEN_ABI_CHECK(vcpu_time_info_t, tsc_shift, 28);
XEN_ABI_CHECK(vcpu_time_info_t, flags, 29);
XEN_SIZE_CHECK(vcpu_time_info_t, 32);

typedef struct vcpu_info_x86_64 {
    uint8_t          evtchn_upcall_pending;
    uint8_t          evtchn_upcall_mask;     /* 1 = events disabled (the PV "interrupt flag") */
    xen_u64a_t       evtchn_pending_sel;
    xen_u64a_t       cr2;                    /* arch.cr2 */
    xen_u64a_t       arch_pad;
    vcpu_time_info_t time;
} vcpu_info_x86_64_t;
XEN_ABI_CHECK(vcpu_info_x86_64_t, evtchn_upcall_mask, 1);
XEN_ABI_CHECK(vcpu_info_x86_64_t, evtchn_pending_sel, 8);
XEN_ABI_CHECK(vcpu_info_x86_64_t, cr2, 16);
XEN_ABI_CHECK(vcpu_info_x86_64_t, time, 32);
XEN_SIZE_CHECK(vcpu_info_x86_64_t, 64);

typedef struct vcpu_info_x86_32 {
    uint8_t          evtchn_upcall_pending;
    uint8_t          evtchn_upcall_mask;
    uint32_t         evtchn_pending_sel;
    uint32_t         cr2;                    /* arch.cr2 */
    uint32_t         arch_pad[5];
    vcpu_time_info_t time;
} vcpu_info_x86_32_t;
XEN_ABI_CHECK(vcpu_info_x86_32_t, evtchn_pending_sel, 4);
XEN_ABI_CHECK(vcpu_info_x86_32_t, cr2, 8);
XEN_ABI_CHECK(vcpu_info_x86_32_t, time, 32);
XEN_SIZE_CHECK(vcpu_info_x86_32_t, 64);

#define XEN_LEGACY_MAX_VCPUS 32

/* ---- shared_info_t (xen-pv-abi.md §1.7) ----------------------------------------------------- */
typedef struct shared_info_x86_64 {
    vcpu_info_x86_64_t vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_u64a_t evtchn_pending[64];          /* 4096 ports, bit n = port n */
    xen_u64a_t evtchn_mask[64];
    uint32_t   wc_version;
    uint32_t   wc_sec;
    uint32_t   wc_nsec;
    uint32_t   wc_sec_hi;
    struct {
        xen_u64a_t max_pfn;
        xen_u64a_t pfn_to_mfn_frame_list_list;
        xen_u64a_t nmi_reason;
        xen_u64a_t p2m_cr3;
        xen_u64a_t p2m_vaddr;
        xen_u64a_t p2m_generation;
    } arch;
} shared_info_x86_64_t;
XEN_ABI_CHECK(shared_info_x86_64_t, evtchn_pending, 2048);
XEN_ABI_CHECK(shared_info_x86_64_t, evtchn_mask, 2560);
XEN_ABI_CHECK(shared_info_x86_64_t, wc_version, 3072);
XEN_ABI_CHECK(shared_info_x86_64_t, wc_sec, 3076);
XEN_ABI_CHECK(shared_info_x86_64_t, wc_nsec, 3080);
XEN_ABI_CHECK(shared_info_x86_64_t, wc_sec_hi, 3084);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.max_pfn, 3088);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.pfn_to_mfn_frame_list_list, 3096);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.nmi_reason, 3104);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.p2m_cr3, 3112);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.p2m_vaddr, 3120);
XEN_ABI_CHECK(shared_info_x86_64_t, arch.p2m_generation, 3128);
XEN_SIZE_CHECK(shared_info_x86_64_t, 3136);

typedef struct shared_info_x86_32 {
    vcpu_info_x86_32_t vcpu_info[XEN_LEGACY_MAX_VCPUS];
    uint32_t evtchn_pending[32];            /* 1024 ports */
    uint32_t evtchn_mask[32];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    struct {
        uint32_t max_pfn;
        uint32_t pfn_to_mfn_frame_list_list;
        uint32_t nmi_reason;
        uint32_t p2m_cr3;
        uint32_t p2m_vaddr;
        uint32_t p2m_generation;
        uint32_t wc_sec_hi;                 /* PV32 keeps the upper seconds inside arch */
    } arch;
} shared_info_x86_32_t;
XEN_ABI_CHECK(shared_info_x86_32_t, evtchn_pending, 2048);
XEN_ABI_CHECK(shared_info_x86_32_t, evtchn_mask, 2176);
XEN_ABI_CHECK(shared_info_x86_32_t, wc_version, 2304);
XEN_ABI_CHECK(shared_info_x86_32_t, wc_sec, 2308);
XEN_ABI_CHECK(shared_info_x86_32_t, wc_nsec, 2312);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.max_pfn, 2316);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.pfn_to_mfn_frame_list_list, 2320);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.nmi_reason, 2324);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.p2m_cr3, 2328);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.p2m_vaddr, 2332);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.p2m_generation, 2336);
XEN_ABI_CHECK(shared_info_x86_32_t, arch.wc_sec_hi, 2340);
XEN_SIZE_CHECK(shared_info_x86_32_t, 2344);

/* ---- the layout of the ABI being compiled --------------------------------------------------- */
#if defined(__x86_64__)
typedef uint64_t             xen_ulong_t;
typedef start_info_x86_64_t  start_info_t;
typedef vcpu_info_x86_64_t   vcpu_info_t;
typedef shared_info_x86_64_t shared_info_t;
# define XEN_START_INFO_MAGIC  "xen-3.0-x86_64"
# define MACH2PHYS_VIRT_START  MACH2PHYS_VIRT_START_X86_64
#else
typedef uint32_t             xen_ulong_t;
typedef start_info_x86_32_t  start_info_t;
typedef vcpu_info_x86_32_t   vcpu_info_t;
typedef shared_info_x86_32_t shared_info_t;
# define XEN_START_INFO_MAGIC  "xen-3.0-x86_32p"
# define MACH2PHYS_VIRT_START  MACH2PHYS_VIRT_START_X86_32
#endif
_Static_assert(sizeof(xen_ulong_t) == sizeof(unsigned long), "xen_ulong_t is the guest's long");

#define INVALID_M2P_ENTRY  (~(xen_ulong_t)0)

/* ---- argument structures (same layout in both ABIs unless noted) ---------------------------- */
struct sched_shutdown { uint32_t reason; };                 /* SHUTDOWN_* */

struct evtchn_send { uint32_t port; };
struct evtchn_close { uint32_t port; };
struct evtchn_unmask { uint32_t port; };
struct evtchn_bind_virq { uint32_t virq; uint32_t vcpu; uint32_t port; /* out */ };
struct evtchn_alloc_unbound { uint16_t dom; uint16_t remote_dom; uint32_t port; /* out */ };
struct evtchn_bind_interdomain {
    uint16_t remote_dom; uint32_t remote_port; uint32_t local_port; /* out */
};
XEN_ABI_CHECK(struct evtchn_bind_interdomain, remote_port, 4);
XEN_ABI_CHECK(struct evtchn_bind_interdomain, local_port, 8);
XEN_ABI_CHECK(struct evtchn_alloc_unbound, port, 4);

typedef struct xen_feature_info {
    uint32_t submap_idx;   /* in: 0 */
    uint32_t submap;       /* out: 32 XENFEAT_* bits */
} xen_feature_info_t;

typedef struct trap_info {   /* set_trap_table entry: 16 B PV64, 8 B PV32 */
    uint8_t       vector;
    uint8_t       flags;     /* bits 0-1 DPL for `int n`, bit 2 mask events on entry */
    uint16_t      cs;
    unsigned long address;   /* 0 terminates the table */
} trap_info_t;
XEN_SIZE_CHECK(trap_info_t, 2 * sizeof(unsigned long));

typedef struct mmu_update {  /* 16 B in both ABIs */
    xen_u64a_t ptr;          /* machine address of the PTE | MMU_* in bits 0-1 */
    xen_u64a_t val;
} mmu_update_t;
XEN_SIZE_CHECK(mmu_update_t, 16);

typedef struct multicall_entry {    /* 64 B PV64, 32 B PV32 */
    unsigned long op;
    unsigned long result;
    unsigned long args[6];
} multicall_entry_t;
XEN_SIZE_CHECK(multicall_entry_t, 8 * sizeof(unsigned long));

/* ---- PV console ring (io/console.h xencons_interface, xen-pv-abi.md §5.1) ------------------- */
typedef uint32_t XENCONS_RING_IDX;   /* free-running; slot = index & (size - 1) */
struct xencons_interface {
    char in[1024];                   /* backend -> guest */
    char out[2048];                  /* guest -> backend */
    XENCONS_RING_IDX in_cons, in_prod;
    XENCONS_RING_IDX out_cons, out_prod;
    uint8_t connection;              /* 0 connected, 1 disconnected (newer backends) */
};
XEN_ABI_CHECK(struct xencons_interface, out, 1024);
XEN_ABI_CHECK(struct xencons_interface, in_cons, 3072);
XEN_ABI_CHECK(struct xencons_interface, in_prod, 3076);
XEN_ABI_CHECK(struct xencons_interface, out_cons, 3080);
XEN_ABI_CHECK(struct xencons_interface, out_prod, 3084);
XEN_ABI_CHECK(struct xencons_interface, connection, 3088);

#endif /* !__ASSEMBLER__ */
#endif /* XEN_H */
