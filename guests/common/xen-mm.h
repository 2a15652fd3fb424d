/* xen-mm.h: the memory-management part of the Xen PV ABI the test guests use: PTE bits, mmu_update
 * and mmuext_op commands, update_va_mapping flags, memory_op sub-ops (xen.h, arch-x86/xen.h,
 * memory.h; xen-pv-abi.md §2.3, §4.1). Offsets of every argument structure are checked for the
 * ABI being built (PV64 layout vs. the PV32 compat layout in brackets in the spec).
 */
#ifndef XEN_MM_H
#define XEN_MM_H

#include "xen.h"

/* ---- page-table entry bits (Intel SDM vol. 3 §4.5; the same for 4-level and PAE) ------------ */
#define _PAGE_PRESENT   0x001ULL
#define _PAGE_RW        0x002ULL
#define _PAGE_USER      0x004ULL
#define _PAGE_PWT       0x008ULL
#define _PAGE_PCD       0x010ULL
#define _PAGE_ACCESSED  0x020ULL
#define _PAGE_DIRTY     0x040ULL
#define _PAGE_PSE       0x080ULL
#define _PAGE_GLOBAL    0x100ULL
#define PTE_FRAME_MASK  0x000FFFFFFFFFF000ULL   /* bits 12-51: the frame number */
#define PTE_FLAGS_MASK  (~PTE_FRAME_MASK)
typedef uint64_t pte_t;                         /* 8-byte entries in both ABIs (PV32 is PAE) */
#define PTES_PER_TABLE  512

/* ---- mmu_update (ptr & 3 selects the command) ----------------------------------------------- */
#define MMU_NORMAL_PT_UPDATE       0
#define MMU_MACHPHYS_UPDATE        1
#define MMU_PT_UPDATE_PRESERVE_AD  2
#define MMU_PT_UPDATE_NO_TRANSLATE 3

/* ---- mmuext_op ------------------------------------------------------------------------------ */
#define MMUEXT_PIN_L1_TABLE       0
#define MMUEXT_PIN_L2_TABLE       1
#define MMUEXT_PIN_L3_TABLE       2
#define MMUEXT_PIN_L4_TABLE       3
#define MMUEXT_UNPIN_TABLE        4
#define MMUEXT_NEW_BASEPTR        5
#define MMUEXT_TLB_FLUSH_LOCAL    6
#define MMUEXT_INVLPG_LOCAL       7
#define MMUEXT_TLB_FLUSH_ALL      10
#define MMUEXT_INVLPG_ALL         11
#define MMUEXT_SET_LDT            13    /* arg1 linear_addr (page aligned), arg2 nr_ents */
#define MMUEXT_NEW_USER_BASEPTR   15

typedef struct mmuext_op {    /* 24 B PV64 (arg1 @8, arg2 @16), 12 B PV32 (arg1 @4, arg2 @8) */
    uint32_t      cmd;
    unsigned long arg1;       /* mfn or linear_addr */
    unsigned long arg2;       /* nr_ents, vcpumask pointer or src_mfn */
} mmuext_op_t;
XEN_ABI_CHECK(mmuext_op_t, arg1, sizeof(unsigned long));
XEN_ABI_CHECK(mmuext_op_t, arg2, 2 * sizeof(unsigned long));
XEN_SIZE_CHECK(mmuext_op_t, 3 * sizeof(unsigned long));

/* ---- update_va_mapping flags: low 2 bits flush type, bit 2 scope ----------------------------- */
#define UVMF_NONE        0
#define UVMF_TLB_FLUSH   1
#define UVMF_INVLPG      2
#define UVMF_LOCAL       0
#define UVMF_ALL         4

/* ---- vm_assist ------------------------------------------------------------------------------ */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_writable_pagetables  2   /* Xen emulates stores into read-only in-use L1s */
#define VMASST_TYPE_pae_extended_cr3     3

/* ---- memory_op ------------------------------------------------------------------------------ */
#define XENMEM_maximum_ram_page   2
#define XENMEM_memory_map         9
#define XENMEM_machphys_mapping   12

struct xen_machphys_mapping {  /* 3 x ulong: 24 B PV64, 12 B PV32 */
    unsigned long v_start, v_end;
    unsigned long max_mfn;
};
XEN_SIZE_CHECK(struct xen_machphys_mapping, 3 * sizeof(unsigned long));

struct xen_memory_map {        /* 16 B PV64 (buffer @8), 8 B PV32 (buffer @4) */
    uint32_t      nr_entries;  /* in: capacity of buffer; out: entries written */
    unsigned long buffer;      /* guest pointer to e820 entries */
};
XEN_ABI_CHECK(struct xen_memory_map, buffer, sizeof(unsigned long));

struct e820_entry {            /* 20 B, packed, as the BIOS E820 call returns them */
    uint64_t addr;
    uint64_t size;
    uint32_t type;             /* 1 = RAM */
} __attribute__((packed));
XEN_SIZE_CHECK(struct e820_entry, 20);
#define E820_RAM  1

/* The M2P window Xen maps read-only for the guest (xen-pv-abi.md §1.8, machphys_mapping). */
#if defined(__x86_64__)
# define MACH2PHYS_VIRT_END  0xFFFF804000000000UL   /* 256 GiB of 8-byte entries */
#else
# define MACH2PHYS_VIRT_END  0xFFE00000UL           /* compat window end */
#endif

#endif /* XEN_MM_H */
