/* notes.S: the Xen ELF notes that tell the domain builder how to load a demo guest
 * (elfnote.h, xen-pv-abi.md §1.1-§1.2). Each note: namesz, descsz, type, "Xen\0", desc, all
 * 4-byte padded; the section sits in the text PT_LOAD and is also covered by the PT_NOTE header
 * (see pv32.ld / pv64.ld). Numbers are 8 bytes on PV64, 4 on PV32 (both widths are accepted).
 * GUEST_OS_NAME comes from build.mjs (-DGUEST_OS_NAME='"xenwasm-hello"').
 */
#include "guest.h"
#include "xen.h"

#ifndef GUEST_OS_NAME
# error "build.mjs passes GUEST_OS_NAME"
#endif

#if defined(__x86_64__)
# define NOTE_ULONG .quad
#else
# define NOTE_ULONG .long
#endif

.macro xen_note_begin type:req
	.balign	4
	.long	2f - 1f			/* namesz, including the NUL */
	.long	4f - 3f			/* descsz */
	.long	\type
1:	.asciz	"Xen"
2:	.balign	4
3:
.endm
.macro xen_note_end
4:	.balign	4
.endm
.macro xen_note_str type:req, value:req
	xen_note_begin \type
	.asciz	"\value"
	xen_note_end
.endm
.macro xen_note_num type:req, value:req
	xen_note_begin \type
	NOTE_ULONG \value
	xen_note_end
.endm

	.section .note.Xen, "a", @note
	xen_note_str	XEN_ELFNOTE_GUEST_OS, GUEST_OS_NAME
	xen_note_str	XEN_ELFNOTE_XEN_VERSION, "xen-3.0"
	xen_note_str	XEN_ELFNOTE_LOADER, "generic"
	xen_note_num	XEN_ELFNOTE_VIRT_BASE, GUEST_VIRT_BASE
	xen_note_num	XEN_ELFNOTE_PADDR_OFFSET, GUEST_PADDR_OFFSET
	xen_note_num	XEN_ELFNOTE_ENTRY, _start
#if !defined(XEN_HYPERCALL_RAW)
	xen_note_num	XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page
#endif
#if defined(__i386__)
	/* 64-bit Xen runs 32-bit guests only with PAE paging (xen-pv-abi.md §0 fact 10). The guest
	 * never reads CR3, so the extended-CR3 format that pae_pgdir_above_4gb implies is fine. */
	xen_note_str	XEN_ELFNOTE_PAE_MODE, "yes"
	xen_note_str	XEN_ELFNOTE_FEATURES, "pae_pgdir_above_4gb"
#endif

	.section .note.GNU-stack, "", @progbits
