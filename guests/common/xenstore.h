/* xenstore.h: a small synchronous xenstore client over the shared ring (xen-pv-abi.md §5.2):
 * one request at a time, each reply matched by req_id; WATCH_EVENT messages that arrive in
 * between are queued for xs_wait_watch. Waits with sched_op(block) on the store event channel,
 * so evtchn_init() must have run. Paths without a leading '/' are relative to the domain's home.
 */
#ifndef XENSTORE_H
#define XENSTORE_H

#include <stddef.h>
#include "xen-store.h"

/* Maps the ring (start_info.store_mfn through the M2P) and unmasks store_evtchn. 0 or -errno. */
long xs_init(const start_info_t *si);

struct xs_reply {
    uint32_t type;                   /* the request's type, or XS_ERROR */
    uint32_t tx_id;
    uint32_t len;                    /* payload bytes (body[len] is a NUL we add) */
    char     body[XENSTORE_PAYLOAD_MAX + 1];
};

/* Sends type/tx_id with the payload made of the parts (each copied with its terminating NUL if
 * `nul` says so) and waits for the reply. Returns 0, or -1 if the ring broke (message printed). */
struct xs_part { const char *data; size_t len; };
int xs_request(uint32_t type, uint32_t tx_id, const struct xs_part *parts, unsigned int n,
               struct xs_reply *reply);

/* Convenience forms; each returns 0 when the reply has the request's type, else -1 (an ERROR
 * reply leaves the errno name in reply->body). */
int xs_read(uint32_t tx, const char *path, struct xs_reply *reply);
int xs_write(uint32_t tx, const char *path, const char *value, struct xs_reply *reply);
int xs_directory(uint32_t tx, const char *path, struct xs_reply *reply);
int xs_rm(uint32_t tx, const char *path, struct xs_reply *reply);
int xs_watch(const char *path, const char *token, struct xs_reply *reply);
int xs_unwatch(const char *path, const char *token, struct xs_reply *reply);
int xs_transaction_start(uint32_t *tx, struct xs_reply *reply);
int xs_transaction_end(uint32_t tx, int commit, struct xs_reply *reply);

/* The oldest queued watch event, waiting for one if none is queued: copies "path" and "token".
 * Returns 0, or -1 if the ring broke or a message other than a watch event arrived. */
int xs_wait_watch(char *path, size_t path_size, char *token, size_t token_size);
unsigned int xs_watch_events_queued(void);

#endif /* XENSTORE_H */
