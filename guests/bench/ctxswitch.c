/* ctxswitch.c: address-space switches, `iters` times, among SPACES address spaces, the way a PV
 * kernel switches processes: mmuext_op(MMUEXT_NEW_BASEPTR) to another pinned top-level table
 * (xen-pv-abi.md §2.3, §4.1), then work in it: a read through a private window (a VA that each
 * space maps to its own page, so a switch that did not happen shows) and a store into each of
 * `touch` pages (command line touch=<n>, default TOUCH_PAGES, at most MAX_TOUCH: a process's working
 * set after a switch) that every space maps at the same addresses. Each space is a copy of the bootstrap tables down to the L2
 * that maps VA 0, with its own L1 in a free slot of that L2 (PV32 also has its own slot-3 L2,
 * which Xen's PAE rules forbid sharing); all are made read-only and pinned before the loop.
 * The result is the number of window reads that saw another space's page.
 */
#include "bench.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "cmdline.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define SPACES       4                     /* a power of two */
#define TOUCH_PAGES  8                     /* the default working set after a switch */
#define MAX_TOUCH    64
#define WINDOW_MAGIC 0x5a5a0000u
#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))

#if defined(__x86_64__)
# define PIN_TOP MMUEXT_PIN_L4_TABLE
static pte_t l3[SPACES][PTES_PER_TABLE] PAGE_ALIGNED;
#else
# define PIN_TOP MMUEXT_PIN_L3_TABLE
static pte_t l2_hi[SPACES][PTES_PER_TABLE] PAGE_ALIGNED;   /* the slot-3 L2 of each space */
#endif
static pte_t top[SPACES][PTES_PER_TABLE] PAGE_ALIGNED;
static pte_t l2[SPACES][PTES_PER_TABLE] PAGE_ALIGNED;
static pte_t l1[SPACES][PTES_PER_TABLE] PAGE_ALIGNED;
static uint32_t private_page[SPACES][PAGE_SIZE / 4] PAGE_ALIGNED;
static uint32_t shared_pages[MAX_TOUCH][PAGE_SIZE / 4] PAGE_ALIGNED;

static pte_t with_frame(pte_t entry, const void *table)
{
    return (entry & ~PTE_FRAME_MASK) | ((pte_t)mm_virt_to_mfn(table) << PAGE_SHIFT);
}

static void copy_table(pte_t *dst, const volatile pte_t *src)
{
    for (unsigned int i = 0; i < PTES_PER_TABLE; i++)
        dst[i] = src[i];
}

#if defined(__i386__)
static const volatile pte_t *table_at(pte_t entry)
{
    return mm_mfn_to_virt((xen_ulong_t)((entry & PTE_FRAME_MASK) >> PAGE_SHIFT));
}
#endif

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "ctxswitch");
    uint32_t touch = TOUCH_PAGES;
    if (cmdline_u32(si->cmd_line, "touch", &touch) < 0 || touch > MAX_TOUCH)
        bench_end(0, 0, "bad command line: want touch=<0..64>");
    const volatile pte_t *boot_top = (const volatile pte_t *)(unsigned long)si->pt_base;
    const volatile pte_t *boot_l2 = mm_walk(0, 2);   /* entry 0 = the start of the table */
    if (!boot_l2)
        bench_end(0, 0, "no L2 maps VA 0");
    unsigned int slot = 2;
    while (slot < PTES_PER_TABLE && (boot_l2[slot] & _PAGE_PRESENT))
        slot++;
    if (slot == PTES_PER_TABLE)
        bench_end(0, 0, "no free L2 slot for the private window");
    volatile uint32_t *window = (volatile uint32_t *)((unsigned long)slot << 21);

    xen_ulong_t top_mfn[SPACES];
    for (unsigned int s = 0; s < SPACES; s++) {
        private_page[s][0] = WINDOW_MAGIC + s;
        for (unsigned int i = 0; i < PTES_PER_TABLE; i++)
            l1[s][i] = 0;
        l1[s][0] = ((pte_t)mm_virt_to_mfn(private_page[s]) << PAGE_SHIFT) | PTE_KERNEL_RW;
        copy_table(l2[s], boot_l2);
        l2[s][slot] = ((pte_t)mm_virt_to_mfn(l1[s]) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
        copy_table(top[s], boot_top);
#if defined(__x86_64__)
        copy_table(l3[s], mm_walk(0, 3));
        l3[s][0] = with_frame(l3[s][0], l2[s]);
        top[s][0] = with_frame(top[s][0], l3[s]);
        const void *tables[] = { l1[s], l2[s], l3[s], top[s] };
#else
        copy_table(l2_hi[s], table_at(boot_top[3]));
        top[s][0] = with_frame(top[s][0], l2[s]);
        top[s][3] = with_frame(top[s][3], l2_hi[s]);
        const void *tables[] = { l1[s], l2[s], l2_hi[s], top[s] };
#endif
        for (unsigned int t = 0; t < sizeof tables / sizeof tables[0]; t++)
            if (mm_set_readonly(tables[t]))
                bench_end(0, 0, "update_va_mapping: cannot make a copied page table read-only");
        top_mfn[s] = mm_virt_to_mfn(top[s]);
        if (mm_mmuext(PIN_TOP, top_mfn[s], 0))
            bench_end(0, 0, "mmuext_op: cannot pin a copied top-level table");
    }
    xen_ulong_t boot_mfn = mm_virt_to_mfn(boot_top);

    uint32_t wrong = 0;
    long rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned int s = i & (SPACES - 1);
        rc = mm_mmuext(MMUEXT_NEW_BASEPTR, top_mfn[s], 0);
        if (rc)
            break;
        wrong += *window != WINDOW_MAGIC + s;
        /* One word of each page, at an offset that moves with i: a write per page, little else. */
        volatile uint32_t *q = &shared_pages[0][(i * 16) & (PAGE_SIZE / 4 - 1)];
        for (unsigned int p = 0; p < touch; p++, q += PAGE_SIZE / 4)
            *q += i;
    }
    long back = mm_mmuext(MMUEXT_NEW_BASEPTR, boot_mfn, 0);
    bench_end(n, wrong, rc ? "mmuext_op(NEW_BASEPTR) failed" :
                        back ? "cannot switch back to the bootstrap tables" :
                        wrong ? "a window read saw another address space" : 0);
}
