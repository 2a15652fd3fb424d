/* frames.c: start-of-day layout and the frame pool (frames.h). Every region comes from
 * start_info (VAs of start_info, the P2M list and the top-level table; machine frames of the
 * rings, turned into pseudo-physical ones through the M2P) or from the linker (_image_start,
 * _end); the end of the bootstrap mapping is found by walking the tables, not assumed.
 */
#include "frames.h"
#include "guest.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"

extern char _image_start[], _end[];           /* from the linker script */

static xen_ulong_t nr_pages, first_free, next_free, mapped_end;
static xen_ulong_t image_first, image_end, p2m_first, p2m_end, si_pfn, store_pfn, console_pfn;
static xen_ulong_t pt_first, pt_end;

static xen_ulong_t pfn_of(const volatile void *va)
{
    return ((unsigned long)va - GUEST_VIRT_BASE) >> PAGE_SHIFT;
}

void frames_init(const start_info_t *si)
{
    nr_pages = si->nr_pages;
    image_first = pfn_of(_image_start);
    image_end = pfn_of(_end + PAGE_SIZE - 1);
    p2m_first = pfn_of((void *)(unsigned long)si->mfn_list);
    p2m_end = p2m_first + (nr_pages * sizeof(xen_ulong_t) + PAGE_SIZE - 1) / PAGE_SIZE;
    si_pfn = pfn_of(si);
    store_pfn = xen_mfn_to_pfn(si->store_mfn);
    console_pfn = xen_mfn_to_pfn(si->console.domU.mfn);
    pt_first = pfn_of((void *)(unsigned long)si->pt_base);
    pt_end = pt_first + si->nr_pt_frames;
    first_free = pt_end + 1;                  /* the boot stack is the page after the tables */
    mapped_end = first_free;
    while (mapped_end < nr_pages) {
        volatile pte_t *pte = mm_walk((unsigned long)xen_pfn_to_virt(mapped_end), 1);
        if (!pte || !(*pte & _PAGE_PRESENT))
            break;
        mapped_end++;
    }
    next_free = first_free;
}

void *frame_alloc(void)
{
    if (next_free >= mapped_end)
        return 0;
    void *va = xen_pfn_to_virt(next_free++);
    memset(va, 0, PAGE_SIZE);
    return va;
}

unsigned long frames_free(void)
{
    return (unsigned long)(mapped_end - next_free);
}

static void region(xen_ulong_t first, xen_ulong_t end, const char *what)
{
    if (end <= first)
        return;
    printf("  pfn 0x%05lx-0x%05lx  VA 0x%08lx  %5lu page%s  %s\n", (unsigned long)first,
           (unsigned long)end - 1, (unsigned long)xen_pfn_to_virt(first),
           (unsigned long)(end - first), end - first == 1 ? " " : "s", what);
}

void frames_print_layout(void)
{
    printf("memory: %lu pages of 4 KiB (%lu MiB), pseudo-physical frame n at VA n * 4096\n",
           (unsigned long)nr_pages, (unsigned long)nr_pages >> (20 - PAGE_SHIFT));
    region(0, image_first, "RAM below the kernel image (unused)");
    region(image_first, image_end, "kernel image: code, data, bss");
    region(p2m_first, p2m_end, "P2M list (pfn -> machine frame), start_info.mfn_list");
    region(si_pfn, si_pfn + 1, "start_info");
    region(store_pfn, store_pfn + 1, "xenstore ring");
    region(console_pfn, console_pfn + 1, "console ring");
    region(pt_first, pt_end, "bootstrap page tables (start_info.pt_base), read-only");
    region(pt_end, pt_end + 1, "boot stack");
    if (next_free > first_free)
        region(first_free, next_free, "allocated since boot");
    region(next_free, mapped_end, "free, mapped at start of day (the frame pool)");
    region(mapped_end, nr_pages, "free, not mapped at start of day");
    printf("free frames: %lu in the pool, %lu more not mapped, %lu below the image\n",
           frames_free(), (unsigned long)(nr_pages - mapped_end), (unsigned long)image_first);
}
