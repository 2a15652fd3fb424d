/* native-start.S: entry of the native benchmark program, a static Linux executable without a C
 * library, for i386 and x86-64 (System V ABI: at _start the stack holds argc, then argv[]).
 * Contract with C: native_main(argc, argv) returns the exit status, given to exit_group.
 */
	.text
	.globl	_start
	.type	_start, @function
_start:
#if defined(__x86_64__)
	xorl	%ebp, %ebp
	movq	(%rsp), %rdi		/* argc */
	leaq	8(%rsp), %rsi		/* argv */
	andq	$-16, %rsp
	call	native_main
	movl	%eax, %edi
	movl	$231, %eax		/* exit_group */
	syscall
#else
	xorl	%ebp, %ebp
	movl	(%esp), %eax		/* argc */
	leal	4(%esp), %edx		/* argv */
	andl	$-16, %esp
	subl	$8, %esp
	pushl	%edx
	pushl	%eax
	call	native_main
	movl	%eax, %ebx
	movl	$252, %eax		/* exit_group */
	int	$0x80
#endif
	hlt
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
