/* xen-grant.h: the grant-table part of the Xen ABI a PV guest uses to share its pages: version 1
 * entries, GNTTABOP_set_version/get_version/query_size/setup_table and the GNTST status codes
 * (grant_table.h; xen-pv-abi.md §2.3). A domain publishes grants by writing entries into the
 * shared frames setup_table returns and mapping them with ordinary PTEs.
 */
#ifndef XEN_GRANT_H
#define XEN_GRANT_H

#include "xen.h"

#define GNTTABOP_setup_table   2
#define GNTTABOP_query_size    6
#define GNTTABOP_set_version   8
#define GNTTABOP_get_version   10

#define GNTST_okay             0
#define GNTST_general_error    (-1)
#define GNTST_bad_domain       (-2)
#define GNTST_bad_virt_addr    (-5)
#define GNTST_permission_denied (-8)

/* References 0..7 are reserved for the toolstack (console, xenstore); guests start at 8. */
#define GNTTAB_NR_RESERVED_ENTRIES  8

typedef struct grant_entry_v1 {      /* 8 B */
    uint16_t flags;                  /* GTF_*: written last when granting, first when revoking */
    uint16_t domid;                  /* domain allowed to use the grant */
    uint32_t frame;                  /* MFN (PV) of the granted page */
} grant_entry_v1_t;
XEN_SIZE_CHECK(grant_entry_v1_t, 8);
#define GTF_invalid          0
#define GTF_permit_access    1
#define GTF_accept_transfer  2
#define GTF_readonly         (1u << 2)
#define GTF_reading          (1u << 3)
#define GTF_writing          (1u << 4)

struct gnttab_setup_table {          /* 24 B PV64 (frame_list @16), 16 B PV32 (@12) */
    uint16_t      dom;               /* DOMID_SELF */
    uint32_t      nr_frames;
    int16_t       status;            /* out: GNTST_* */
    unsigned long frame_list;        /* guest pointer to xen_ulong_t[nr_frames] (out: MFNs) */
};
XEN_ABI_CHECK(struct gnttab_setup_table, nr_frames, 4);
XEN_ABI_CHECK(struct gnttab_setup_table, status, 8);
#if defined(__x86_64__)
XEN_ABI_CHECK(struct gnttab_setup_table, frame_list, 16);
XEN_SIZE_CHECK(struct gnttab_setup_table, 24);
#else
XEN_ABI_CHECK(struct gnttab_setup_table, frame_list, 12);
XEN_SIZE_CHECK(struct gnttab_setup_table, 16);
#endif

struct gnttab_query_size {           /* 16 B */
    uint16_t dom;
    uint32_t nr_frames;              /* out */
    uint32_t max_nr_frames;          /* out */
    int16_t  status;                 /* out */
};
XEN_ABI_CHECK(struct gnttab_query_size, nr_frames, 4);
XEN_ABI_CHECK(struct gnttab_query_size, max_nr_frames, 8);
XEN_ABI_CHECK(struct gnttab_query_size, status, 12);
XEN_SIZE_CHECK(struct gnttab_query_size, 16);

struct gnttab_set_version { uint32_t version; };
struct gnttab_get_version { uint16_t dom; uint16_t pad; uint32_t version; /* out */ };
XEN_ABI_CHECK(struct gnttab_get_version, version, 4);

#endif /* XEN_GRANT_H */
