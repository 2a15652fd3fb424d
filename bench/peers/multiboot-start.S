/* multiboot-start.S: entry of the benchmark kernel for v86 and QEMU (Multiboot specification
 * 0.6.96 §3.1: the header in the first 8 KiB, 32-bit aligned; §3.2: entered in 32-bit protected
 * mode, flat segments, paging and interrupts off, EAX = 0x2BADB002, EBX = the multiboot info).
 * Flags 0: the loaders read our ELF program headers; we ask for nothing (the command line comes
 * anyway when present). Contract with C: mb_main(magic, info) on our own 16 KiB stack, never
 * returns.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.text
	.globl	_start
	.type	_start, @function
_start:
	cli
	cld
	movl	$stack_top, %esp
	xorl	%ebp, %ebp
	subl	$8, %esp		/* 8 + 2 * 4 pushed = 16: i386 SysV alignment at the call */
	pushl	%ebx
	pushl	%eax
	call	mb_main
1:	cli
	hlt
	jmp	1b
	.size	_start, . - _start

	.section .bss
	.balign	16
stack:	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
