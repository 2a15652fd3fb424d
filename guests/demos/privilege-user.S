/* privilege-user.S: the user programs of the privilege lab, position-independent code that the
 * kernel copies into a page of its own and runs in ring 3 (privilege-lab.c). Each entry is one
 * "process": hello (two system calls), hlt (a privileged instruction), hypercall (xen_version,
 * number 17, the way a kernel would call it), peek (reads the word whose address the kernel left
 * on top of the stack and reports it). System calls: PV64 `syscall` (RDI, RSI), PV32 `int $0x80`
 * (EBX, ECX); numbers in privilege-lab.h. A process that is killed never gets past its fault.
 * One body for both types: the macros below hide the instructions and registers that differ.
 */
#include "privilege-lab.h"

#define XENVER_HYPERCALL 17

#if defined(__x86_64__)
# define RET    %rax           /* system-call and hypercall result */
# define ARG1   %rdi           /* first system-call argument */
# define ARG1D  %edi
# define ARG2D  %esi
# define SP     %rsp
# define TMP    %rbx
.macro SYSTEM_CALL nr:req
	movl	$\nr, %eax
	syscall
.endm
.macro HYPERCALL_INSN		/* what the hypercall page's stub would run */
	syscall
.endm
.macro ADDRESS_OF sym:req, reg:req
	leaq	\sym(%rip), \reg
.endm
#else
# define RET    %eax
# define ARG1   %ebx
# define ARG1D  %ebx
# define ARG2D  %ecx
# define SP     %esp
# define TMP    %ebx
.macro SYSTEM_CALL nr:req
	movl	$\nr, %eax
	int	$0x80
.endm
.macro HYPERCALL_INSN
	int	$0x82
.endm
.macro ADDRESS_OF sym:req, reg:req	/* no EIP-relative addressing in 32-bit code */
	call	1f
1:	popl	\reg
	addl	$(\sym - 1b), \reg
.endm
#endif

.macro EXIT_0
	xorl	ARG1D, ARG1D
	SYSTEM_CALL SYS_EXIT
	ud2
.endm

	.section .rodata, "a", @progbits
	.balign	16
	.globl	user_prog_start, user_prog_end
	.globl	user_hello, user_hlt, user_hypercall, user_peek
user_prog_start:

user_hello:
	ADDRESS_OF hello_msg, ARG1
	movl	$(hello_end - hello_msg), ARG2D
	SYSTEM_CALL SYS_WRITE
	EXIT_0

user_hlt:
	hlt
	ud2

user_hypercall:
	xorl	ARG1D, ARG1D
	xorl	ARG2D, ARG2D
	movl	$XENVER_HYPERCALL, %eax
	HYPERCALL_INSN
	mov	RET, ARG1		/* whatever came back (if we are still alive) */
	SYSTEM_CALL SYS_REPORT
	EXIT_0

user_peek:
	mov	(SP), TMP
	mov	(TMP), ARG1		/* the read the kernel may forbid */
	SYSTEM_CALL SYS_REPORT
	EXIT_0

hello_msg:
	.ascii	"hello from user mode"
hello_end:
user_prog_end:

	.section .note.GNU-stack, "", @progbits
