/* guest.h: build-time facts shared by every demo guest's C and assembly: the guest type, where
 * the image sits in the guest's virtual address space, and the page size.
 * Follows xen-pv-abi.md §1.3/§1.4: pseudo-physical frame n is at VA GUEST_VIRT_BASE + n * 4096 for
 * the whole bootstrap region. GUEST_LOAD_VA must match the `. =` line of common/pv32.ld and pv64.ld.
 * Included from .c and .S files, so it holds only preprocessor definitions.
 */
#ifndef GUEST_H
#define GUEST_H

#if defined(__x86_64__)
# define GUEST_TYPE      "pv64"          /* xen-3.0-x86_64: kernel at CPL 3, hypercalls by syscall */
#elif defined(__i386__)
# define GUEST_TYPE      "pv32"          /* xen-3.0-x86_32p: kernel in ring 1, hypercalls by int $0x82 */
#else
# error "demo guests are built for x86 only (gcc -m32 or -m64)"
#endif

/* VIRT_BASE 0: pseudo-physical address == virtual address, as in the test-microkernel row of
 * xen-pv-abi.md §1.4. The image is linked (and therefore loaded) at 1 MiB; the builder fills the
 * first MiB with ordinary RAM pages. PADDR_OFFSET equals VIRT_BASE because the linker scripts
 * keep p_paddr == p_vaddr. */
#define GUEST_VIRT_BASE     0x0
#define GUEST_PADDR_OFFSET  GUEST_VIRT_BASE
#define GUEST_LOAD_VA       0x100000

#define PAGE_SHIFT          12
#define PAGE_SIZE           4096

#endif /* GUEST_H */
