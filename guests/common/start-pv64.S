/* start-pv64.S: entry point of a PV64 (xen-3.0-x86_64) demo guest.
 * Xen starts the vCPU in guest-kernel mode at CPL 3 (CS 0xe033, SS 0xe02b, null data selectors)
 * with RSP at the top of the boot-stack page the builder made (16-byte aligned), RSI = VA of
 * start_info, RFLAGS = 0x200 and events masked (xen-pv-abi.md §1.5). No trap handlers are
 * registered, so any exception crashes the domain. The code never uses a red zone (-mno-red-zone):
 * Xen builds bounce frames directly below the interrupted RSP.
 * Contract with C: guest_main(start_info_t *) is called on the builder's stack and never returns.
 */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	cld
	movq	%rsi, xen_start_info(%rip)	/* keep start_info for later */
	xorl	%ebp, %ebp			/* end of the frame-pointer chain */
	movq	%rsi, %rdi			/* RSP is 16-aligned here, as the SysV ABI wants */
	call	guest_main
	ud2					/* guest_main returned: crash the domain visibly */
	.size	_start, . - _start

	.section .bss
	.balign	8
	.globl	xen_start_info
	.type	xen_start_info, @object
xen_start_info:
	.skip	8
	.size	xen_start_info, 8

	.section .note.GNU-stack, "", @progbits
