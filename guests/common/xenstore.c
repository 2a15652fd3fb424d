/* xenstore.c: xenstore ring client (xenstore.h). Producer side of req[]: copy bytes at
 * req_prod & 1023 while req_prod - req_cons < 1024, barrier, publish req_prod, notify. Consumer
 * side of rsp[]: read at rsp_cons & 1023 up to rsp_prod, then publish rsp_cons and notify (the
 * daemon may be waiting for space). Invariants checked on every read of the peer's index:
 * prod - cons never exceeds the ring size, or the ring is reported broken.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "pv.h"
#include "xenstore.h"

#define RING_MASK  (XENSTORE_RING_SIZE - 1)
#define MAX_QUEUED_WATCHES 4

static volatile struct xenstore_domain_interface *ring;
static uint32_t port;
static uint32_t next_req_id = 1;

struct watch_event { char path[128]; char token[32]; };
static struct watch_event queued[MAX_QUEUED_WATCHES];
static unsigned int nr_queued;

static void store_event(uint32_t p) { (void)p; /* wake-up only: the loops re-check the ring */ }

long xs_init(const start_info_t *si)
{
    xen_ulong_t pfn = xen_mfn_to_pfn(si->store_mfn);
    if (si->store_evtchn == 0 || pfn >= si->nr_pages) {
        printf("xenstore: store_mfn 0x%lx (M2P 0x%lx) / evtchn %u not usable\n",
               (unsigned long)si->store_mfn, (unsigned long)pfn, (unsigned int)si->store_evtchn);
        return -XEN_EINVAL;
    }
    ring = xen_pfn_to_virt(pfn);
    port = si->store_evtchn;
    evtchn_set_handler(port, store_event);
    evtchn_unmask(port);
    return 0;
}

/* Waits (events masked, blocking) until cond holds; the store port wakes us. */
#define WAIT_UNTIL(cond) do { events_disable(); while (!(cond)) evtchn_block(); } while (0)

static int ring_broken(const char *what, uint32_t prod, uint32_t cons)
{
    printf("xenstore: %s ring indices broken (prod 0x%x, cons 0x%x)\n", what, (unsigned int)prod,
           (unsigned int)cons);
    return -1;
}

static int write_bytes(const char *data, size_t len)
{
    while (len) {
        uint32_t prod = ring->req_prod;
        uint32_t used = prod - ring->req_cons;
        if (used > XENSTORE_RING_SIZE)
            return ring_broken("request", prod, ring->req_cons);
        if (used == XENSTORE_RING_SIZE) {
            xen_evtchn_send(port);
            WAIT_UNTIL(ring->req_prod - ring->req_cons < XENSTORE_RING_SIZE);
            continue;
        }
        size_t chunk = XENSTORE_RING_SIZE - used;
        if (chunk > len)
            chunk = len;
        for (size_t i = 0; i < chunk; i++)
            ring->req[(prod + i) & RING_MASK] = data[i];
        xen_wmb();
        ring->req_prod = prod + (uint32_t)chunk;
        data += chunk;
        len -= chunk;
    }
    return 0;
}

static int read_bytes(char *data, size_t len)
{
    while (len) {
        uint32_t cons = ring->rsp_cons;
        WAIT_UNTIL(ring->rsp_prod != cons);
        uint32_t prod = ring->rsp_prod;
        xen_rmb();
        if (prod - cons > XENSTORE_RING_SIZE)
            return ring_broken("response", prod, cons);
        size_t avail = prod - cons;
        if (avail > len)
            avail = len;
        for (size_t i = 0; i < avail; i++)
            data[i] = ring->rsp[(cons + i) & RING_MASK];
        xen_rmb();
        ring->rsp_cons = cons + (uint32_t)avail;
        xen_evtchn_send(port);
        data += avail;
        len -= avail;
    }
    return 0;
}

static void queue_watch(const char *body, uint32_t len)
{
    if (nr_queued == MAX_QUEUED_WATCHES) {
        printf("xenstore: watch event queue full; event dropped\n");
        return;
    }
    struct watch_event *e = &queued[nr_queued++];
    /* payload: "path\0token\0" */
    size_t plen = strnlen(body, len);
    const char *token = body + plen + (plen < len);
    size_t tlen = strnlen(token, len - (size_t)(token - body));
    snprintf(e->path, sizeof e->path, "%.*s", (int)plen, body);
    snprintf(e->token, sizeof e->token, "%.*s", (int)tlen, token);
}

/* Reads the next message, whatever its type. */
static int read_one(struct xs_reply *reply, uint32_t *req_id)
{
    struct xsd_sockmsg hdr;
    if (read_bytes((char *)&hdr, sizeof hdr))
        return -1;
    if (hdr.len > XENSTORE_PAYLOAD_MAX) {
        printf("xenstore: message of %u bytes exceeds the %u-byte limit\n",
               (unsigned int)hdr.len, XENSTORE_PAYLOAD_MAX);
        return -1;
    }
    if (read_bytes(reply->body, hdr.len))
        return -1;
    reply->body[hdr.len] = 0;
    reply->type = hdr.type;
    reply->tx_id = hdr.tx_id;
    reply->len = hdr.len;
    *req_id = hdr.req_id;
    return 0;
}

/* Reads up to the next reply; watch events on the way are queued. */
static int read_reply(struct xs_reply *reply, uint32_t *req_id)
{
    for (;;) {
        if (read_one(reply, req_id))
            return -1;
        if (reply->type != XS_WATCH_EVENT)
            return 0;
        queue_watch(reply->body, reply->len);
    }
}

int xs_request(uint32_t type, uint32_t tx_id, const struct xs_part *parts, unsigned int n,
               struct xs_reply *reply)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = next_req_id++, .tx_id = tx_id, .len = 0 };
    reply->type = XS_ERROR;               /* until a reply arrives: nothing from a previous one */
    reply->len = 0;
    reply->body[0] = 0;
    for (unsigned int i = 0; i < n; i++)
        hdr.len += (uint32_t)parts[i].len;
    if (write_bytes((const char *)&hdr, sizeof hdr))
        return -1;
    for (unsigned int i = 0; i < n; i++)
        if (write_bytes(parts[i].data, parts[i].len))
            return -1;
    xen_evtchn_send(port);
    uint32_t id;
    if (read_reply(reply, &id))
        return -1;
    if (id != hdr.req_id) {
        printf("xenstore: reply has req_id %u, request had %u\n", (unsigned int)id,
               (unsigned int)hdr.req_id);
        return -1;
    }
    return 0;
}

/* One request whose payload is the given strings, each with its NUL except a WRITE's value. */
static int simple(uint32_t type, uint32_t tx, const char *a, const char *b, int b_nul,
                  struct xs_reply *reply)
{
    struct xs_part parts[2] = { { a, strlen(a) + 1 }, { b, b ? strlen(b) + (b_nul ? 1 : 0) : 0 } };
    if (xs_request(type, tx, parts, b ? 2 : 1, reply))
        return -1;
    return reply->type == type ? 0 : -1;
}

int xs_read(uint32_t tx, const char *path, struct xs_reply *r)
{
    return simple(XS_READ, tx, path, 0, 0, r);
}

int xs_directory(uint32_t tx, const char *path, struct xs_reply *r)
{
    return simple(XS_DIRECTORY, tx, path, 0, 0, r);
}

int xs_rm(uint32_t tx, const char *path, struct xs_reply *r)
{
    return simple(XS_RM, tx, path, 0, 0, r);
}

int xs_write(uint32_t tx, const char *path, const char *value, struct xs_reply *r)
{
    return simple(XS_WRITE, tx, path, value, 0, r);   /* the value has no NUL on the wire */
}

int xs_watch(const char *path, const char *token, struct xs_reply *r)
{
    return simple(XS_WATCH, 0, path, token, 1, r);
}

int xs_unwatch(const char *path, const char *token, struct xs_reply *r)
{
    return simple(XS_UNWATCH, 0, path, token, 1, r);
}

int xs_transaction_start(uint32_t *tx, struct xs_reply *r)
{
    *tx = 0;
    if (simple(XS_TRANSACTION_START, 0, "", 0, 0, r))
        return -1;
    uint32_t id = 0;
    for (const char *p = r->body; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        id = id * 10 + (uint32_t)(*p - '0');
    }
    *tx = id;
    return 0;
}

int xs_transaction_end(uint32_t tx, int commit, struct xs_reply *r)
{
    return simple(XS_TRANSACTION_END, tx, commit ? "T" : "F", 0, 0, r);
}

unsigned int xs_watch_events_queued(void) { return nr_queued; }

int xs_wait_watch(char *path, size_t path_size, char *token, size_t token_size)
{
    static struct xs_reply msg;           /* large: keep it off the stack */
    while (nr_queued == 0) {
        uint32_t id;
        if (read_one(&msg, &id))
            return -1;
        if (msg.type != XS_WATCH_EVENT) {
            printf("xenstore: unexpected message (type %u, req_id %u) while waiting for a watch\n",
                   (unsigned int)msg.type, (unsigned int)id);
            return -1;
        }
        queue_watch(msg.body, msg.len);
    }
    snprintf(path, path_size, "%s", queued[0].path);
    snprintf(token, token_size, "%s", queued[0].token);
    nr_queued--;
    memmove(&queued[0], &queued[1], nr_queued * sizeof queued[0]);
    return 0;
}
