/* start-pv32.S: entry point of a PV32 (xen-3.0-x86_32p) demo guest.
 * Xen starts the vCPU in ring 1 (CS 0xe019, SS/DS/ES/FS/GS 0xe021) with ESP at the top of the
 * boot-stack page the builder made, ESI = VA of start_info, EFLAGS = 0x200 and events masked
 * (xen-pv-abi.md §1.5). No trap handlers are registered, so any exception crashes the domain.
 * Contract with C: guest_main(start_info_t *) is called on the builder's stack and never returns.
 */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	cld
	movl	%esi, xen_start_info	/* keep start_info for later (the C code may clobber ESI) */
	xorl	%ebp, %ebp		/* end of the frame-pointer chain */
	subl	$12, %esp		/* 12 + 4 pushed = 16: i386 SysV stack alignment at the call */
	pushl	%esi
	call	guest_main
	ud2				/* guest_main returned: crash the domain visibly */
	.size	_start, . - _start

	.section .bss
	.balign	4
	.globl	xen_start_info
	.type	xen_start_info, @object
xen_start_info:
	.skip	4
	.size	xen_start_info, 4

	.section .note.GNU-stack, "", @progbits
