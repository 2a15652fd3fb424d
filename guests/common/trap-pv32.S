/* trap-pv32.S: PV32 entry stubs for exceptions, software interrupts and the event upcall, and
 * the iret-hypercall exits (xen-pv-abi.md §3.5, §3.7).
 * Entry: Xen's bounce frame is the ring-1 hardware format, {[error code], EIP, CS, EFLAGS} plus
 * {ESP, SS} when the trap came from ring 3 (then at kernel_ss:kernel_sp). Each stub pushes a 0
 * error code when the vector has none and the vector number; trap_common saves the general
 * registers into a struct trap_regs (trap.h) and calls trap_dispatch(regs).
 * Exit: the iret hypercall with {EAX, EIP, CS, EFLAGS[, ESP, SS]}; returning to ring 1 pops 16
 * bytes, to ring 3 also ESP/SS. Segment registers are not touched: ring-1 code here runs with
 * flat selectors throughout (FLAT_RING1_DS, or FLAT_RING3_DS after trap_enter_user).
 */
#include "xen.h"
#include "xen-trap.h"

/* Images built with XEN_COUNT_HYPERCALLS count this hypercall too (hypercall.h). */
.macro COUNT_HYPERCALL
#if defined(XEN_COUNT_HYPERCALLS)
	incl	xen_hypercalls_issued
#endif
.endm

#if defined(XEN_HYPERCALL_RAW)
.macro HYPERCALL_IRET
	COUNT_HYPERCALL
	pushl	%eax
	movl	$__HYPERVISOR_iret, %eax
	int	$0x82
.endm
#else
/* Stub 23 of the hypercall page pushes EAX and issues the hypercall. */
.macro HYPERCALL_IRET
	COUNT_HYPERCALL
	jmp	hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE
.endm
#endif

.macro TRAP_STUB name:req, vec:req, has_error:req
	.globl	trap_stub_\name
	.type	trap_stub_\name, @function
trap_stub_\name:
	.if \has_error == 0
	pushl	$0
	.endif
	pushl	$\vec
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

	.type	trap_common, @function
trap_common:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%ebx
	pushl	%ebp
	pushl	%esi
	pushl	%edi
	movl	%esp, %eax
	pushl	%eax			/* trap_dispatch(regs) */
	cld
	call	trap_dispatch
	addl	$4, %esp
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$8, %esp		/* vector, error code */
	HYPERCALL_IRET
	.size	trap_common, . - trap_common

/* unsigned long trap_enter_user(unsigned long ip, unsigned long sp) */
	.globl	trap_enter_user
	.type	trap_enter_user, @function
trap_enter_user:
	movl	4(%esp), %ecx		/* ip */
	movl	8(%esp), %edx		/* sp */
	pushl	%ebx
	pushl	%ebp
	pushl	%esi
	pushl	%edi
	movl	%esp, trap_user_saved_sp
	/* Data segments must stay usable at CPL 3 (a DPL-1 selector would be nulled by the return
	 * to ring 3); ring 1 may use DPL-3 data segments too, so keep these from now on. */
	movl	$GUEST_USER_SS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	pushl	$GUEST_USER_SS		/* SS */
	pushl	%edx			/* ESP */
	pushl	$0x202			/* EFLAGS: IF -> events enabled in user mode */
	pushl	$GUEST_USER_CS		/* CS: ring 3 */
	pushl	%ecx			/* EIP */
	HYPERCALL_IRET
	.size	trap_enter_user, . - trap_enter_user

/* void trap_leave_user(unsigned long value) */
	.globl	trap_leave_user
	.type	trap_leave_user, @function
trap_leave_user:
	movl	4(%esp), %eax
	movl	trap_user_saved_sp, %esp
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	ret
	.size	trap_leave_user, . - trap_leave_user

	.bss
	.balign	4
trap_user_saved_sp:
	.skip	4

	.section .note.GNU-stack, "", @progbits
