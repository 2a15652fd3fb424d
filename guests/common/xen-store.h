/* xen-store.h: the xenstore wire protocol and shared ring a domU uses to talk to xenstored
 * (io/xs_wire.h; xen-pv-abi.md §5.2): message header, message types, the ring page layout.
 * Indices are free-running u32s; slot = index & (XENSTORE_RING_SIZE - 1); a message is the
 * 16-byte header followed by `len` payload bytes and may wrap around the ring.
 */
#ifndef XEN_STORE_H
#define XEN_STORE_H

#include "xen.h"

enum xsd_sockmsg_type {
    XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4, XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_INTRODUCE = 8, XS_RELEASE = 9,
    XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13, XS_SET_PERMS = 14,
    XS_WATCH_EVENT = 15, XS_ERROR = 16, XS_IS_DOMAIN_INTRODUCED = 17, XS_RESUME = 18,
    XS_SET_TARGET = 19, XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
};

struct xsd_sockmsg {                /* 16 B, then len payload bytes */
    uint32_t type;                  /* XS_* */
    uint32_t req_id;                /* echoed in the reply; 0 in watch events */
    uint32_t tx_id;                 /* transaction, 0 = none */
    uint32_t len;                   /* payload bytes */
};
XEN_SIZE_CHECK(struct xsd_sockmsg, 16);
#define XENSTORE_PAYLOAD_MAX  4096

#define XENSTORE_RING_SIZE  1024
typedef uint32_t XENSTORE_RING_IDX;
struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];   /* guest -> xenstored */
    char rsp[XENSTORE_RING_SIZE];   /* xenstored -> guest: replies and watch events */
    XENSTORE_RING_IDX req_cons, req_prod;
    XENSTORE_RING_IDX rsp_cons, rsp_prod;
    uint32_t server_features;
    uint32_t connection;            /* 0 connected, 1 reconnect in progress */
    uint32_t error;
    uint32_t evtchn_port;
};
XEN_ABI_CHECK(struct xenstore_domain_interface, rsp, 1024);
XEN_ABI_CHECK(struct xenstore_domain_interface, req_cons, 2048);
XEN_ABI_CHECK(struct xenstore_domain_interface, req_prod, 2052);
XEN_ABI_CHECK(struct xenstore_domain_interface, rsp_cons, 2056);
XEN_ABI_CHECK(struct xenstore_domain_interface, rsp_prod, 2060);
XEN_ABI_CHECK(struct xenstore_domain_interface, server_features, 2064);
XEN_ABI_CHECK(struct xenstore_domain_interface, connection, 2068);
XEN_ABI_CHECK(struct xenstore_domain_interface, error, 2072);
XEN_ABI_CHECK(struct xenstore_domain_interface, evtchn_port, 2076);

#endif /* XEN_STORE_H */
