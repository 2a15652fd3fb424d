/* xen-trap.h: the exception-delivery part of the Xen PV ABI: x86 vector numbers, set_trap_table
 * flags, callback_op types and structures, the iret hypercall's flags word (xen.h, callback.h,
 * arch-x86/xen-x86_64.h; xen-pv-abi.md §2.3, §3.5, §3.7). Usable from assembly.
 */
#ifndef XEN_TRAP_H
#define XEN_TRAP_H

#include "xen.h"

/* ---- exception vectors (Intel SDM vol. 3 §6.3.1) -------------------------------------------- */
#define TRAP_divide_error      0    /* #DE */
#define TRAP_debug             1    /* #DB */
#define TRAP_nmi               2
#define TRAP_int3              3    /* #BP */
#define TRAP_overflow          4    /* #OF */
#define TRAP_bounds            5    /* #BR */
#define TRAP_invalid_op        6    /* #UD */
#define TRAP_no_device         7    /* #NM */
#define TRAP_double_fault      8    /* #DF, error code */
#define TRAP_invalid_tss       10   /* #TS, error code */
#define TRAP_no_segment        11   /* #NP, error code */
#define TRAP_stack_error       12   /* #SS, error code */
#define TRAP_gp_fault          13   /* #GP, error code */
#define TRAP_page_fault        14   /* #PF, error code */
#define TRAP_copro_error       16   /* #MF */
#define TRAP_alignment_check   17   /* #AC, error code */
#define TRAP_machine_check     18   /* #MC */
#define TRAP_simd_error        19   /* #XM */
#define TRAP_NR_EXCEPTIONS     20   /* vectors 0..19 get a stub */

/* #PF error-code bits (SDM vol. 3 §4.7) */
#define PFEC_present       0x01
#define PFEC_write         0x02
#define PFEC_user          0x04

/* ---- trap_info.flags (set_trap_table) ------------------------------------------------------- */
#define TI_DPL_MASK        0x3      /* lowest ring allowed to use `int n` (1/2 kernel, 3 user) */
#define TI_MASK_EVENTS     0x4      /* set evtchn_upcall_mask on entry (interrupt-gate semantics) */

/* ---- callback_op ---------------------------------------------------------------------------- */
#define CALLBACKOP_register     0
#define CALLBACKOP_unregister   1
#define CALLBACKTYPE_event      0
#define CALLBACKTYPE_failsafe   1
#define CALLBACKTYPE_syscall    2   /* PV64: SYSCALL from guest user mode */
#define CALLBACKTYPE_nmi        4
#define CALLBACKTYPE_sysenter   5
#define CALLBACKTYPE_syscall32  7
#define CALLBACKF_mask_events   0x1

/* ---- iret hypercall ------------------------------------------------------------------------- */
#define VGCF_in_syscall         0x100   /* PV64 frame flags: RCX/R11 are not restored */

/* ---- selectors of Xen's reserved GDT page (xen-pv-abi.md §3.3) ------------------------------ */
#if defined(__x86_64__)
# define GUEST_KERNEL_CS  FLAT_KERNEL_CS_X86_64      /* 0xe033: kernel and user 64-bit code */
# define GUEST_KERNEL_SS  FLAT_KERNEL_SS_X86_64      /* 0xe02b */
# define GUEST_USER_CS    FLAT_KERNEL_CS_X86_64      /* same selector; the mode is Xen's flag */
# define GUEST_USER_SS    FLAT_KERNEL_SS_X86_64
# define GUEST_KERNEL_RPL 3
#else
# define GUEST_KERNEL_CS  FLAT_RING1_CS_X86_32       /* 0xe019 */
# define GUEST_KERNEL_SS  FLAT_RING1_DS_X86_32       /* 0xe021 */
# define GUEST_USER_CS    FLAT_RING3_CS_X86_32       /* 0xe02b */
# define GUEST_USER_SS    FLAT_RING3_DS_X86_32       /* 0xe033, also the user data selector */
# define GUEST_KERNEL_RPL 1
#endif

#ifndef __ASSEMBLER__
#if defined(__x86_64__)
struct callback_register {       /* 16 B: address @8 */
    uint16_t type;
    uint16_t flags;
    uint64_t address;
};
XEN_ABI_CHECK(struct callback_register, address, 8);
XEN_SIZE_CHECK(struct callback_register, 16);
#else
struct callback_register {       /* 12 B: xen_callback_t {cs, eip} @4 */
    uint16_t type;
    uint16_t flags;
    uint32_t cs;
    uint32_t eip;
};
XEN_ABI_CHECK(struct callback_register, cs, 4);
XEN_ABI_CHECK(struct callback_register, eip, 8);
XEN_SIZE_CHECK(struct callback_register, 12);
#endif
#endif /* !__ASSEMBLER__ */

#endif /* XEN_TRAP_H */
