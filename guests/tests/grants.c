/* grants.c: test guest for the grant table (xen-pv-abi.md §2.3, grant_table.h), in the order Linux
 * sets it up: GNTTABOP_set_version {1} (and get_version), GNTTABOP_query_size, GNTTABOP_setup_table
 * for one frame, a PTE mapping of the returned frame (update_va_mapping, as a PV guest must), then
 * a v1 grant entry written into it (frame and domid first, flags last) and revoked. Also the
 * refusals: setup_table with a count other than 1 (-EINVAL) and with more frames than the
 * maximum (status GNTST_general_error), both as Xen's common/grant_table.c answers them.
 * With "grant-host" on the command line, a page is then really shared with the host's backend
 * (dom0): ref 10 writable and ref 11 read-only, each over a page with known text. The guest prints
 * the refs, waits (yielding) until it sees the host's mappings in the entries (GTF_reading, and
 * GTF_writing for ref 10 only), then until both are unmapped, and checks the reply the host wrote
 * into the writable page. test/integration/grants.test.ts plays the host.
 */
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xen-grant.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
static grant_entry_v1_t grant_va[PAGE_SIZE / sizeof(grant_entry_v1_t)] PAGE_ALIGNED;
static char shared_page[PAGE_SIZE] PAGE_ALIGNED;       /* the page we grant */
static char host_rw_page[PAGE_SIZE] PAGE_ALIGNED;      /* shared with the host, writable */
static char host_ro_page[PAGE_SIZE] PAGE_ALIGNED;      /* shared with the host, read-only */

#define TEST_REF      GNTTAB_NR_RESERVED_ENTRIES    /* first reference a guest may use */
#define BACKEND_DOMID 0                             /* dom0: the backend side */

#define HOST_RW_REF      (TEST_REF + 2)
#define HOST_RO_REF      (TEST_REF + 3)
#define HOST_WAIT_YIELDS 1000
#define GUEST_TEXT       "hello dom0, this is the guest's page"
#define GUEST_RO_TEXT    "read-only text for dom0"
#define HOST_REPLY_AT    2048                      /* where the host writes its reply */
#define HOST_REPLY       "hello domU, dom0 read your page"

/* Whether the command line has `word` as one of its space-separated words. */
static int cmdline_has(const start_info_t *si, const char *word)
{
    size_t n = strlen(word);
    const char *p = (const char *)si->cmd_line;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = 0;
        while (p[len] && p[len] != ' ')
            len++;
        if (len == n && memcmp(p, word, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

static void grant(volatile grant_entry_v1_t *e, const void *page, unsigned int flags)
{
    e->domid = BACKEND_DOMID;
    e->frame = (uint32_t)mm_virt_to_mfn(page);
    xen_wmb();
    e->flags = (uint16_t)flags;
}

/* Yields until cond(rw, ro) holds for the two entries; returns the yields it took, or -1. */
static int wait_entries(volatile grant_entry_v1_t *rw, volatile grant_entry_v1_t *ro,
                        int (*cond)(unsigned int, unsigned int))
{
    for (int i = 0; i < HOST_WAIT_YIELDS; i++) {
        if (cond(rw->flags, ro->flags))
            return i;
        xen_yield();
    }
    return -1;
}

static int both_mapped(unsigned int rw, unsigned int ro)
{
    return (rw & GTF_writing) && (ro & GTF_reading);
}

static int both_unmapped(unsigned int rw, unsigned int ro)
{
    return !((rw | ro) & (GTF_reading | GTF_writing));
}

/* The host's backend maps our pages: the round trip test/integration/grants.test.ts drives. */
static void share_with_host(volatile grant_entry_v1_t *table)
{
    volatile grant_entry_v1_t *rw = &table[HOST_RW_REF], *ro = &table[HOST_RO_REF];
    memset(host_rw_page, 0, sizeof host_rw_page);
    memcpy(host_rw_page, GUEST_TEXT, sizeof GUEST_TEXT);
    memcpy(host_ro_page, GUEST_RO_TEXT, sizeof GUEST_RO_TEXT);
    grant(rw, host_rw_page, GTF_permit_access);
    grant(ro, host_ro_page, GTF_permit_access | GTF_readonly);
    printf("grants: ref %u (writable, frame 0x%x) and ref %u (read-only, frame 0x%x) granted to d%u; "
           "waiting for the host to map them\n", HOST_RW_REF, (unsigned int)rw->frame, HOST_RO_REF,
           (unsigned int)ro->frame, BACKEND_DOMID);
    int n = wait_entries(rw, ro, both_mapped);
    if (!check(n >= 0, "the host mapped both grants (after %d yields)", n))
        return;
    check(rw->flags == (GTF_permit_access | GTF_reading | GTF_writing),
          "ref %u while mapped writable: flags 0x%x = permit_access | reading | writing", HOST_RW_REF,
          (unsigned int)rw->flags);
    check(ro->flags == (GTF_permit_access | GTF_readonly | GTF_reading),
          "ref %u while mapped read-only: flags 0x%x = permit_access | readonly | reading",
          HOST_RO_REF, (unsigned int)ro->flags);
    printf("grants: both mapped by the host; waiting for it to unmap them\n");
    n = wait_entries(rw, ro, both_unmapped);
    if (!check(n >= 0, "the host unmapped both grants (after %d yields)", n))
        return;
    check(memcmp(host_rw_page + HOST_REPLY_AT, HOST_REPLY, sizeof HOST_REPLY) == 0,
          "the host's reply in the writable page: \"%.40s\"", host_rw_page + HOST_REPLY_AT);
    check(memcmp(host_ro_page, GUEST_RO_TEXT, sizeof GUEST_RO_TEXT) == 0,
          "the read-only page is unchanged");
    rw->flags = GTF_invalid;
    ro->flags = GTF_invalid;
    xen_wmb();
    check(rw->flags == GTF_invalid && ro->flags == GTF_invalid, "both grants revoked after the unmap");
}

static long query_size(struct gnttab_query_size *q)
{
    memset(q, 0, sizeof *q);
    q->dom = DOMID_SELF;
    return HYPERVISOR_grant_table_op(GNTTABOP_query_size, q, 1);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("grants");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("update_va_mapping does not work");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");

    struct gnttab_set_version sv = { .version = 1 };
    check_rc(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), 0,
             "GNTTABOP_set_version {1}");
    struct gnttab_get_version gv = { .dom = DOMID_SELF, .pad = 0, .version = 0 };
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1);
    check(rc == 0 && gv.version == 1, "GNTTABOP_get_version: rc %ld, version %u", rc,
          (unsigned int)gv.version);

    struct gnttab_query_size q;
    rc = query_size(&q);
    check(rc == 0 && q.status == GNTST_okay && q.max_nr_frames >= 1 &&
              q.nr_frames <= q.max_nr_frames,
          "GNTTABOP_query_size: rc %ld, status %d, %u of at most %u frames", rc, (int)q.status,
          (unsigned int)q.nr_frames, (unsigned int)q.max_nr_frames);
    uint32_t max_frames = q.max_nr_frames;

    xen_ulong_t frames[2] = { 0, 0 };
    struct gnttab_setup_table st;
    memset(&st, 0, sizeof st);
    st.dom = DOMID_SELF;
    st.nr_frames = 1;
    st.frame_list = (unsigned long)frames;
    check_rc(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 2), -XEN_EINVAL,
             "GNTTABOP_setup_table with count 2");
    st.nr_frames = max_frames + 1;
    st.status = 0;
    rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
    check(rc == 0 && st.status == GNTST_general_error,
          "GNTTABOP_setup_table for %u frames (above the maximum): rc %ld, status %d",
          (unsigned int)st.nr_frames, rc, (int)st.status);

    st.nr_frames = 1;
    st.status = 1;                                    /* must be overwritten */
    frames[0] = 0;
    rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
    if (!check(rc == 0 && st.status == GNTST_okay && frames[0] != 0,
               "GNTTABOP_setup_table {1 frame}: rc %ld, status %d, frame mfn 0x%lx", rc,
               (int)st.status, (unsigned long)frames[0]))
        test_finish();
    rc = query_size(&q);
    check(rc == 0 && q.nr_frames >= 1, "GNTTABOP_query_size now: %u frame(s)",
          (unsigned int)q.nr_frames);

    /* The frame belongs to Xen and is shared with us: map it writable over a page of ours. */
    rc = mm_map(grant_va, frames[0], PTE_KERNEL_RW);
    if (!check_rc(rc, 0, "update_va_mapping: grant frame mapped writable"))
        test_finish();
    volatile grant_entry_v1_t *e = &grant_va[TEST_REF];
    check(e->flags == GTF_invalid, "grant entry %u starts unused (flags 0x%x)", TEST_REF,
          (unsigned int)e->flags);

    uint32_t frame = (uint32_t)mm_virt_to_mfn(shared_page);
    e->domid = BACKEND_DOMID;
    e->frame = frame;
    xen_wmb();                                        /* entry complete before it is valid */
    e->flags = GTF_permit_access;
    check(e->flags == GTF_permit_access && e->domid == BACKEND_DOMID && e->frame == frame,
          "grant ref %u: permit_access to d%u for frame 0x%x reads back", TEST_REF,
          (unsigned int)e->domid, (unsigned int)e->frame);

    /* Read-only grant of the same page in the next entry, then revoke both. */
    volatile grant_entry_v1_t *ro = &grant_va[TEST_REF + 1];
    ro->domid = BACKEND_DOMID;
    ro->frame = frame;
    xen_wmb();
    ro->flags = GTF_permit_access | GTF_readonly;
    check(ro->flags == (GTF_permit_access | GTF_readonly), "grant ref %u: read-only grant",
          TEST_REF + 1);
    e->flags = GTF_invalid;
    ro->flags = GTF_invalid;
    xen_wmb();
    check(e->flags == GTF_invalid && ro->flags == GTF_invalid &&
              !(e->flags & (GTF_reading | GTF_writing)),
          "grants revoked (nobody had them mapped: no reading/writing bits)");

    /* The same frame again from setup_table: the table did not move. */
    xen_ulong_t again = 0;
    st.frame_list = (unsigned long)&again;
    rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
    check(rc == 0 && st.status == GNTST_okay && again == frames[0],
          "GNTTABOP_setup_table again returns the same frame 0x%lx", (unsigned long)again);
    if (cmdline_has(si, "grant-host"))
        share_with_host(grant_va);
    else
        printf("grants: no \"grant-host\" on the command line: pages are not shared with the host\n");
    test_finish();
}
