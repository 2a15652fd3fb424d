/* hypercall-page.S: the page-aligned page inside the image that XEN_ELFNOTE_HYPERCALL_PAGE names.
 * The domain builder overwrites it with 128 stubs of 32 bytes (stub n at hypercall_page + n*32,
 * xen-pv-abi.md §2.1) before the guest runs. Until then it holds ud2 everywhere (0f 0b), so a
 * call into a page nobody filled raises #UD, which with no trap table crashes the domain at a
 * recognisable address instead of running zeros. Left out of XEN_HYPERCALL_RAW builds.
 */
	.section .text.hypercall_page, "ax", @progbits
	.balign	4096
	.globl	hypercall_page
	.type	hypercall_page, @function
hypercall_page:
	.fill	2048, 2, 0x0b0f
	.size	hypercall_page, 4096

	.section .note.GNU-stack, "", @progbits
