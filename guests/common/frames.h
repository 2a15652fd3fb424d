/* frames.h: the guest's own view of its pseudo-physical memory after start of day
 * (xen-pv-abi.md §1.4): what the domain builder put where (image, P2M list, start_info, xenstore
 * and console rings, bootstrap page tables, boot stack), and a bump allocator over the frames the
 * builder left free and mapped (from the page after the boot stack to the end of the bootstrap
 * mapping, where pseudo-physical frame n is at VA n * 4096). Frames are never freed.
 */
#ifndef FRAMES_H
#define FRAMES_H

#include "xen.h"

/* Finds the layout from start_info and the bootstrap tables; call once, after console_init. */
void frames_init(const start_info_t *si);

/* A zeroed free frame, mapped writable at its bootstrap VA; NULL when the pool is empty. */
void *frame_alloc(void);

/* Frames left in the pool (free and mapped at start of day). */
unsigned long frames_free(void);

/* Prints the layout, one line per region, lowest frame first, then the free-frame counts. */
void frames_print_layout(void);

#endif /* FRAMES_H */
