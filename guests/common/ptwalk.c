/* ptwalk.c: the page-table walk and its printout (ptwalk.h). Access rights combine over the
 * levels as the SDM says: a page is writable only if RW is set at every level, user-accessible
 * only if US is set at every level. PV64 entries carry the bits Xen adds (§4.1): US forced on,
 * bit 52 (_PAGE_GUEST_KERNEL) on kernel-only pages, G on user pages.
 */
#include "guest.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "ptwalk.h"
#include "test.h"

#define PTE_NX            (1ULL << 63)
#define PTE_GUEST_KERNEL  (1ULL << 52)     /* Xen's mark on PV64 kernel-only L1 entries */
#define PTE_AVAIL_MASK    0xe00ULL          /* bits 9-11: free for the guest kernel */

static const char *const level_name[5] = { "", "L1", "L2", "L3", "L4" };

int pt_xen_area(unsigned long va)
{
#if defined(__x86_64__)
    unsigned int slot = (unsigned int)(va >> 39) & 511;
    return slot >= 256 && slot <= 271;
#else
    return va >= MACH2PHYS_VIRT_START;
#endif
}

xen_ulong_t pt_boot_top(void)
{
    return mm_virt_to_mfn((void *)(unsigned long)xen_start_info->pt_base);
}

void pt_walk(xen_ulong_t top_mfn, unsigned long va, struct pt_walk *w)
{
    memset(w, 0, sizeof *w);
    w->va = va;
    xen_ulong_t mfn = top_mfn;
    for (unsigned int level = PT_LEVELS; level >= 1; level--) {
        const volatile pte_t *table = mm_mfn_to_virt(mfn);
        if (!table) {
            w->foreign = 1;
            return;
        }
        unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
        unsigned int index = (unsigned int)((uint64_t)va >> shift) & (PTES_PER_TABLE - 1);
        if (PT_LEVELS == 3 && level == 3)
            index &= 3;                     /* PAE: 4 entries, VA bits 31-30 */
        struct pt_step *s = &w->step[w->steps++];
        s->level = level;
        s->index = index;
        s->entry = table[index];
        s->table_mfn = mfn;
        if (!(s->entry & _PAGE_PRESENT))
            return;
        mfn = (xen_ulong_t)((s->entry & PTE_FRAME_MASK) >> PAGE_SHIFT);
    }
    w->mapped = 1;
    w->machine = ((uint64_t)mfn << PAGE_SHIFT) | (va & (PAGE_SIZE - 1));
}

const char *pt_flags(char *buf, pte_t e, unsigned int level)
{
    if (!(e & _PAGE_PRESENT)) {
        snprintf(buf, 64, "not present");
        return buf;
    }
    int pv32_l3 = PT_LEVELS == 3 && level == 3;     /* PAE PDPTEs have no RW/US/A/D bits */
    snprintf(buf, 64, "P%s%s%s%s%s%s%s%s",
             pv32_l3 ? "" : e & _PAGE_RW ? " RW" : " RO",
             pv32_l3 ? "" : e & _PAGE_USER ? " US" : " S",
             e & _PAGE_ACCESSED ? " A" : "", e & _PAGE_DIRTY ? " D" : "",
             e & _PAGE_GLOBAL ? " G" : "", e & PTE_NX ? " NX" : "",
             e & PTE_AVAIL_MASK ? " AVL" : "", e & PTE_GUEST_KERNEL ? " Xen:kernel-only" : "");
    return buf;
}

static void frame_text(char *buf, xen_ulong_t mfn)
{
    xen_ulong_t pfn = xen_mfn_to_pfn(mfn);
    if (pfn < xen_start_info->nr_pages)
        snprintf(buf, 48, "mfn 0x%lx (pfn 0x%lx)", (unsigned long)mfn, (unsigned long)pfn);
    else
        snprintf(buf, 48, "mfn 0x%lx (not ours)", (unsigned long)mfn);
}

void pt_print(const struct pt_walk *w)
{
    char flags[64], frame[48], e[24];
    int rw = 1, us = 1;
    for (unsigned int i = 0; i < w->steps; i++) {
        const struct pt_step *s = &w->step[i];
        int present = (s->entry & _PAGE_PRESENT) != 0;
        frame_text(frame, (xen_ulong_t)((s->entry & PTE_FRAME_MASK) >> PAGE_SHIFT));
        printf("  %s[%3u] = %s  %s%s%s\n", level_name[s->level], s->index, u64_hex(e, s->entry),
               pt_flags(flags, s->entry, s->level), present ? (s->level == 1 ? " -> page " : " -> table ") : "",
               present ? frame : "");
        if (!(PT_LEVELS == 3 && s->level == 3)) {
            rw &= (s->entry & _PAGE_RW) != 0;
            us &= (s->entry & _PAGE_USER) != 0;
        }
    }
    if (w->foreign) {
        printf("  the next table is not one of this domain's frames (Xen's own): the walk stops\n");
        return;
    }
    if (!w->mapped) {
        printf("  => 0x%lx is not mapped by these tables\n", w->va);
        if (pt_xen_area(w->va))
            printf("  (%s belongs to Xen: it maps its own area there, the M2P table included, "
                   "whatever the guest's entries say)\n",
                   PT_LEVELS == 4 ? "L4 slots 256-271" : "VA 0xf5800000 and up");
        return;
    }
    const char *who = us ? "user-accessible" : "kernel only (US clear)";
#if defined(__x86_64__)
    /* A PV64 kernel runs in ring 3: Xen sets US everywhere and marks kernel pages with bit 52;
     * only a separate user top-level table (MMUEXT_NEW_USER_BASEPTR) keeps user mode out. */
    if (w->step[w->steps - 1].entry & PTE_GUEST_KERNEL)
        who = "a kernel page (US forced on by Xen, bit 52 marks it kernel-only)";
#endif
    printf("  => 0x%lx is machine address %s: %s, %s\n", w->va, u64_hex(e, w->machine),
           rw ? "writable" : "read-only", who);
}
