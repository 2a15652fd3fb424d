/* console-in.c: console ring input and the line editor (console-in.h). The consumer side keeps
 * the ring's invariant: it never moves in_cons past in_prod, reads in_prod before the bytes it
 * covers, and publishes in_cons after it has read them.
 */
#include "console.h"
#include "console-in.h"
#include "hypercall.h"
#include "pv.h"

#define IN_SIZE  sizeof(((struct xencons_interface *)0)->in)

long console_read(char *buf, size_t max)
{
    volatile struct xencons_interface *ring = console_ring();
    if (!ring)
        return 0;
    XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
    xen_rmb();                               /* the index before the bytes it covers */
    if (prod - cons > IN_SIZE)
        return -1;
    size_t n = 0;
    while (cons != prod && n < max)
        buf[n++] = ring->in[cons++ & (IN_SIZE - 1)];
    if (n == 0)
        return 0;
    xen_rmb();                               /* done reading before the space is handed back */
    ring->in_cons = cons;
    xen_evtchn_send(console_evtchn());       /* the backend may have more waiting */
    return (long)n;
}

void line_reset(struct line_editor *e)
{
    e->len = 0;
    e->esc = 0;
    e->text[0] = 0;
}

int line_feed(struct line_editor *e, char c)
{
    if (e->esc) {                            /* ESC [ <parameters> <final byte 0x40-0x7e> */
        if (e->esc == 1)
            e->esc = c == '[' ? 2 : 0;
        else if (c >= 0x40 && c <= 0x7e)
            e->esc = 0;
        return 0;
    }
    if (c == '\r' || c == '\n') {
        e->text[e->len] = 0;
        console_write("\n", 1);
        return 1;
    }
    if (c == 0x08 || c == 0x7f) {
        if (e->len) {
            e->len--;
            console_write("\b \b", 3);       /* back, blank it out, back again */
        }
    } else if (c == 0x1b) {
        e->esc = 1;
    } else if ((unsigned char)c >= 0x20 && e->len < LINE_MAX_CHARS) {
        e->text[e->len++] = c;
        console_write(&c, 1);                /* echo */
    }
    return 0;
}
