/* xenstore.c: test guest for xenstore over the shared ring (xen-pv-abi.md §5.2, io/xs_wire.h):
 * READ domid, WRITE a key under the domain's data/ directory and READ it back, DIRECTORY, an
 * ERROR reply (ENOENT), WATCH with its immediate event and an event for a later write (event
 * paths relative, as xenstored reports them for relative watches), UNWATCH, a transaction whose
 * write is invisible outside it until TRANSACTION_END commits it, and RM. Requests wait with
 * sched_op(block) on start_info.store_evtchn. Keys live under data/, the part of its home
 * (/local/domain/<domid>/data) a domU may write, as xl sets it up.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "shared.h"
#include "test.h"
#include "trap.h"
#include "xenstore.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define KEY        "data/xenwasm-test"
#define VALUE      "hello xenstore"
#define WATCHED    "data/xenwasm-watch"
#define TOKEN      "xenwasm-token"
#define TX_KEY     "data/xenwasm-tx"

static struct xs_reply r;        /* 4 KiB payload: not on the stack */

/* A value reply: exactly these bytes, no NUL on the wire. */
static int reply_is(uint32_t type, const char *body)
{
    return r.type == type && r.len == strlen(body) && memcmp(r.body, body, r.len) == 0;
}

/* An acknowledgement: "OK\0", three bytes. */
static int reply_ok(uint32_t type)
{
    return r.type == type && r.len == 3 && memcmp(r.body, "OK", 3) == 0;
}

static int is_error(const char *name)
{
    return r.type == XS_ERROR && strncmp(r.body, name, strlen(name) + 1) == 0;
}

static const char *reply_text(void)
{
    static char text[80];
    snprintf(text, sizeof text, "%s\"%.*s\"", r.type == XS_ERROR ? "ERROR " : "",
             (int)(r.len < 60 ? r.len : 60), r.body);
    return text;
}

/* Whether the DIRECTORY reply (names, each NUL-terminated) lists `name`. */
static int directory_has(const char *name)
{
    for (uint32_t off = 0; off < r.len;) {
        size_t n = strnlen(r.body + off, r.len - off);
        if (n == strlen(name) && memcmp(r.body + off, name, n) == 0)
            return 1;
        off += (uint32_t)n + 1;
    }
    return 0;
}

static void expect_watch(const char *want_path, const char *what)
{
    char path[128], token[32];
    int rc = xs_wait_watch(path, sizeof path, token, sizeof token);
    check(rc == 0 && strncmp(path, want_path, sizeof path) == 0 &&
              strncmp(token, TOKEN, sizeof token) == 0,
          "WATCH_EVENT %s: path \"%s\" token \"%s\"", what, rc ? "(none)" : path,
          rc ? "" : token);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("xenstore");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for events");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    if (!check_rc(xs_init(si), 0, "xenstore ring mapped, store event channel unmasked"))
        test_abort("no xenstore ring");

    xs_read(0, "domid", &r);
    unsigned int domid = 0, digits = 0;
    for (uint32_t i = 0; i < r.len && r.body[i] >= '0' && r.body[i] <= '9'; i++, digits++)
        domid = domid * 10 + (unsigned int)(r.body[i] - '0');
    check(r.type == XS_READ && digits == r.len && digits > 0,
          "READ domid -> %s (domain %u)", reply_text(), domid);

    xs_write(0, KEY, VALUE, &r);
    check(reply_ok(XS_WRITE), "WRITE " KEY " \"" VALUE "\" -> %s", reply_text());
    xs_read(0, KEY, &r);
    check(reply_is(XS_READ, VALUE), "READ " KEY " -> %s", reply_text());
    xs_directory(0, "data", &r);
    check(r.type == XS_DIRECTORY && directory_has("xenwasm-test"),
          "DIRECTORY data lists xenwasm-test (%u bytes)", (unsigned int)r.len);
    xs_read(0, "data/xenwasm-missing", &r);
    check(is_error("ENOENT"), "READ data/xenwasm-missing -> %s", reply_text());

    xs_watch(WATCHED, TOKEN, &r);
    check(reply_ok(XS_WATCH), "WATCH " WATCHED " " TOKEN " -> %s", reply_text());
    expect_watch(WATCHED, "fired on registration");
    xs_write(0, WATCHED, "1", &r);
    check(reply_ok(XS_WRITE), "WRITE " WATCHED " -> %s", reply_text());
    expect_watch(WATCHED, "for the write");
    xs_write(0, WATCHED "/child", "2", &r);
    check(reply_ok(XS_WRITE), "WRITE " WATCHED "/child -> %s", reply_text());
    expect_watch(WATCHED "/child", "for a write below the watched node");
    xs_unwatch(WATCHED, TOKEN, &r);
    check(reply_ok(XS_UNWATCH), "UNWATCH -> %s", reply_text());
    xs_write(0, WATCHED, "3", &r);
    xs_read(0, WATCHED, &r);
    check(reply_is(XS_READ, "3") && xs_watch_events_queued() == 0,
          "no event after UNWATCH (%u queued)", xs_watch_events_queued());

    uint32_t tx = 0;
    int rc = xs_transaction_start(&tx, &r);
    check(rc == 0 && tx != 0, "TRANSACTION_START -> id %u", (unsigned int)tx);
    xs_write(tx, TX_KEY, "in-tx", &r);
    check(reply_ok(XS_WRITE) && r.tx_id == tx, "WRITE " TX_KEY " in transaction %u -> %s",
          (unsigned int)tx, reply_text());
    xs_read(tx, TX_KEY, &r);
    check(reply_is(XS_READ, "in-tx"), "READ " TX_KEY " inside the transaction -> %s",
          reply_text());
    xs_read(0, TX_KEY, &r);
    check(is_error("ENOENT"), "READ " TX_KEY " outside it -> %s (not yet visible)",
          reply_text());
    xs_transaction_end(tx, 1, &r);
    check(reply_ok(XS_TRANSACTION_END), "TRANSACTION_END T -> %s", reply_text());
    xs_read(0, TX_KEY, &r);
    check(reply_is(XS_READ, "in-tx"), "READ " TX_KEY " after the commit -> %s", reply_text());

    xs_rm(0, KEY, &r);
    check(reply_ok(XS_RM), "RM " KEY " -> %s", reply_text());
    xs_read(0, KEY, &r);
    check(is_error("ENOENT"), "READ " KEY " after RM -> %s", reply_text());
    xs_rm(0, TX_KEY, &r);
    xs_rm(0, WATCHED, &r);
    check(reply_ok(XS_RM), "RM " WATCHED " (with its child) -> %s", reply_text());
    test_finish();
}
