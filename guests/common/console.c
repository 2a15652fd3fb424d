/* console.c: the guest side of Xen's PV console (io/console.h, xen-pv-abi.md §5.1) plus
 * console_io(CONSOLEIO_write) to the hypervisor console.
 * Ring protocol: we are the only producer of out[]; bytes go in at out_prod & 2047, then (after a
 * compiler barrier; x86 keeps stores in order) out_prod is advanced and the backend is notified
 * with EVTCHNOP_send on console.domU.evtchn. Invariant: out_prod - out_cons <= sizeof(out); a
 * backend that breaks it gets the ring switched off with a message on console_io.
 */
#include "console.h"
#include "hypercall.h"
#include "libc.h"
#include "pv.h"

#define RING_SIZE  sizeof(((struct xencons_interface *)0)->out)
_Static_assert((RING_SIZE & (RING_SIZE - 1)) == 0, "ring size must be a power of two");

static volatile struct xencons_interface *ring;   /* NULL: no ring, console_io only */
static uint32_t ring_port;
static xen_ulong_t ring_pfn;                       /* meaningful only while ring != NULL */

static void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hv_printf(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)n, buf);
}

void console_init(const start_info_t *si)
{
    ring = 0;
    ring_pfn = INVALID_M2P_ENTRY;
    ring_port = 0;
    if (si->flags & SIF_INITDOMAIN)
        return;                       /* dom0: console.dom0 describes VGA; no ring */

    xen_ulong_t mfn = si->console.domU.mfn;
    if (si->console.domU.evtchn == 0) {
        hv_printf("console: start_info has no console event channel; ring not used\n");
        return;
    }
    xen_ulong_t pfn = xen_mfn_to_pfn(mfn);
    if (pfn >= si->nr_pages) {
        hv_printf("console: M2P[0x%lx] = 0x%lx is not a frame of this domain; ring not used\n",
                  (unsigned long)mfn, (unsigned long)pfn);
        return;
    }
    ring_port = si->console.domU.evtchn;
    ring_pfn = pfn;
    ring = xen_pfn_to_virt(pfn);
}

static void ring_publish(XENCONS_RING_IDX prod)
{
    xen_wmb();                        /* the bytes before the index that makes them visible */
    ring->out_prod = prod;
    xen_evtchn_send(ring_port);
}

/* Puts one byte at *prod, waiting (publishing what we have and yielding) while the ring is full.
 * Returns 0 if the ring was found broken and switched off. */
static int ring_put(XENCONS_RING_IDX *prod, char c)
{
    for (;;) {
        XENCONS_RING_IDX used = *prod - ring->out_cons;
        if (used < RING_SIZE)
            break;
        if (used > RING_SIZE) {
            hv_printf("console: backend moved out_cons to 0x%x past out_prod 0x%x; ring off\n",
                      (unsigned int)ring->out_cons, (unsigned int)*prod);
            ring = 0;
            return 0;
        }
        ring_publish(*prod);
        xen_yield();
    }
    ring->out[*prod & (RING_SIZE - 1)] = c;
    (*prod)++;
    return 1;
}

static void ring_write(const char *s, size_t n)
{
    XENCONS_RING_IDX prod = ring->out_prod;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && !ring_put(&prod, '\r'))
            return;
        if (!ring_put(&prod, s[i]))
            return;
    }
    ring_publish(prod);
}

void console_write(const char *s, size_t n)
{
    if (n == 0)
        return;
    HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)n, s);   /* -EPERM on release Xen */
    if (ring)
        ring_write(s, n);
}

int console_flush(unsigned int max_yields)
{
    for (unsigned int i = 0; ring; i++) {
        if (ring->out_cons == ring->out_prod)
            return 1;
        if (i == max_yields)
            return 0;
        xen_yield();
    }
    return 1;
}

volatile struct xencons_interface *console_ring(void) { return ring; }
uint32_t console_evtchn(void) { return ring_port; }
xen_ulong_t console_ring_pfn(void) { return ring_pfn; }
