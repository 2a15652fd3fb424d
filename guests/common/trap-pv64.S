/* trap-pv64.S: PV64 entry stubs for exceptions, software interrupts, the event upcall and the
 * syscall callback, and the iret-hypercall exits (xen-pv-abi.md §3.5, §3.7).
 * Entry: Xen's bounce frame at RSP is {RCX, R11, [error code], RIP, CS, RFLAGS, RSP, SS}, 16-byte
 * aligned at its top. Each stub pops RCX and R11 (restoring the interrupted values), pushes a 0
 * error code when the vector has none and the vector number, then trap_common saves the other
 * registers into a struct trap_regs (trap.h) and calls trap_dispatch(regs) with RSP 16-aligned.
 * Exit: the error-code slot becomes the iret frame's flags word (0: Xen restores RCX and R11 from
 * the words the iret stub pushes), then the iret hypercall, which never returns.
 */
#include "xen.h"
#include "xen-trap.h"

/* Images built with XEN_COUNT_HYPERCALLS count this hypercall too (hypercall.h). */
.macro COUNT_HYPERCALL
#if defined(XEN_COUNT_HYPERCALLS)
	incq	xen_hypercalls_issued(%rip)
#endif
.endm

#if defined(XEN_HYPERCALL_RAW)
/* What Linux >= 6.1.121 does: push RCX, R11, RAX itself and `syscall` with EAX = 23. */
.macro HYPERCALL_IRET
	COUNT_HYPERCALL
	pushq	%rcx
	pushq	%r11
	pushq	%rax
	movl	$__HYPERVISOR_iret, %eax
	syscall
.endm
#else
/* Stub 23 of the hypercall page pushes RCX, R11, RAX and issues the hypercall. */
.macro HYPERCALL_IRET
	COUNT_HYPERCALL
	jmp	hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE
.endm
#endif

.macro TRAP_STUB name:req, vec:req, has_error:req
	.globl	trap_stub_\name
	.type	trap_stub_\name, @function
trap_stub_\name:
	popq	%rcx
	popq	%r11
	.if \has_error == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
	.size	trap_stub_\name, . - trap_stub_\name
.endm

	.text
	TRAP_STUB 0, 0, 0		/* #DE */
	TRAP_STUB 1, 1, 0		/* #DB */
	TRAP_STUB 2, 2, 0		/* NMI */
	TRAP_STUB 3, 3, 0		/* #BP */
	TRAP_STUB 4, 4, 0		/* #OF */
	TRAP_STUB 5, 5, 0		/* #BR */
	TRAP_STUB 6, 6, 0		/* #UD */
	TRAP_STUB 7, 7, 0		/* #NM */
	TRAP_STUB 8, 8, 1		/* #DF */
	TRAP_STUB 9, 9, 0
	TRAP_STUB 10, 10, 1		/* #TS */
	TRAP_STUB 11, 11, 1		/* #NP */
	TRAP_STUB 12, 12, 1		/* #SS */
	TRAP_STUB 13, 13, 1		/* #GP */
	TRAP_STUB 14, 14, 1		/* #PF */
	TRAP_STUB 15, 15, 0
	TRAP_STUB 16, 16, 0		/* #MF */
	TRAP_STUB 17, 17, 1		/* #AC */
	TRAP_STUB 18, 18, 0		/* #MC */
	TRAP_STUB 19, 19, 0		/* #XM */
	TRAP_STUB 0x80, 0x80, 0		/* int $0x80 */
	TRAP_STUB 0x81, 0x81, 0		/* int $0x81 */
	TRAP_STUB 0x82, 0x82, 0		/* int $0x82 */
	TRAP_STUB event, 0x100, 0	/* TRAP_VEC_EVENT */
	TRAP_STUB syscall, 0x101, 0	/* TRAP_VEC_SYSCALL */

	.type	trap_common, @function
trap_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rbx
	pushq	%rbp
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	trap_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rbp
	popq	%rbx
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$8, %rsp		/* the vector */
	movq	$0, (%rsp)		/* error-code slot -> iret flags word */
	HYPERCALL_IRET
	.size	trap_common, . - trap_common

/* unsigned long trap_enter_user(unsigned long ip (RDI), unsigned long sp (RSI)) */
	.globl	trap_enter_user
	.type	trap_enter_user, @function
trap_enter_user:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, trap_user_saved_sp(%rip)
	pushq	$GUEST_USER_SS		/* SS */
	pushq	%rsi			/* RSP */
	pushq	$0x202			/* RFLAGS: IF -> events enabled in user mode */
	pushq	$GUEST_USER_CS		/* CS, RPL 3: Xen switches to guest user mode */
	pushq	%rdi			/* RIP */
	pushq	$0			/* flags */
	HYPERCALL_IRET
	.size	trap_enter_user, . - trap_enter_user

/* void trap_leave_user(unsigned long value (RDI)): back to trap_enter_user's caller. */
	.globl	trap_leave_user
	.type	trap_leave_user, @function
trap_leave_user:
	movq	trap_user_saved_sp(%rip), %rsp
	movq	%rdi, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	trap_leave_user, . - trap_leave_user

	.bss
	.balign	8
trap_user_saved_sp:
	.skip	8

	.section .note.GNU-stack, "", @progbits
