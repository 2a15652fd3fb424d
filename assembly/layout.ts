// The linear-memory map of one domain: every region of the wasm memory as BASE/SIZE constants and
// the field offsets inside the fixed-format regions. Nothing else lives here.
// workers/layout.gen.ts is GENERATED from this file by scripts/gen-layout.mjs (`npm run gen:layout`);
// a test fails when the two disagree. Rules for this file (the generator relies on them): one
// `export const NAME: type = expr;` per line, expr made of numbers, + - * << | ( ) and names defined above.
// Invariant: regions are page-aligned, do not overlap, and all lie below GUEST_RAM_BASE.

// ---- Whole map ---------------------------------------------------------------------------------
export const PAGE_SIZE: u32 = 0x1000;
export const AS_RESERVED_SIZE: u32 = 0x100000; // AssemblyScript static data; the core checks __heap_base against it
export const WASM_PAGE: u32 = 0x10000;

// ---- vCPU state (one vCPU for now; VCPU_STRIDE leaves room for SMP) ----------------------------
export const CPU_BASE: u32 = 0x100000;
export const VCPU_STRIDE: u32 = 0x1000;
export const MAX_VCPUS: u32 = 1;
// General registers, u64 each, in encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15.
export const CPU_GPR: u32 = 0x000;
export const CPU_RIP: u32 = 0x080;
// Architectural RFLAGS except the six arithmetic flags, which are lazy (CPU_CC_*) unless CC_OP is 0.
export const CPU_RFLAGS: u32 = 0x088;
export const CPU_CC_OP: u32 = 0x090; // u32: which operation produced the flags (cpu/flags.ts)
export const CPU_CC_DST: u32 = 0x098; // u64: the result
export const CPU_CC_SRC: u32 = 0x0a0; // u64: the second operand
export const CPU_CC_SRC2: u32 = 0x0a8; // u64: carry-in, the first operand, or the old flags, per CC_OP
// Segment registers, 16 bytes each, in encoding order ES CS SS DS FS GS, then LDTR and TR:
// selector u16 @0, attributes u16 @2 (descriptor bits 40..47 in 0..7, bits 52..55 in 12..15),
// limit u32 @4 (expanded to bytes), base u64 @8.
export const CPU_SEG: u32 = 0x0c0;
export const SEG_STRIDE: u32 = 0x10;
export const SEG_SEL: u32 = 0x0;
export const SEG_ATTR: u32 = 0x2;
export const SEG_LIMIT: u32 = 0x4;
export const SEG_BASE: u32 = 0x8;
export const CPU_GDTR_BASE: u32 = 0x140; // u64
export const CPU_GDTR_LIMIT: u32 = 0x148; // u32
export const CPU_IDTR_BASE: u32 = 0x150; // u64
export const CPU_IDTR_LIMIT: u32 = 0x158; // u32
export const CPU_CR0: u32 = 0x160; // u64 each
export const CPU_CR2: u32 = 0x168;
export const CPU_CR3: u32 = 0x170;
export const CPU_CR4: u32 = 0x178;
export const CPU_EFER: u32 = 0x180;
export const CPU_CPL: u32 = 0x188; // u32: current privilege level (CS.RPL)
export const CPU_MODE: u32 = 0x18c; // u32: MODE_* below, derived from CR0/EFER/CS
// Pending-fault record (the fault protocol, docs/fault-protocol.md): set by the access that faults.
export const CPU_FAULT_VEC: u32 = 0x190; // u32: vector, or FAULT_NONE
export const CPU_FAULT_ERR: u32 = 0x194; // u32: error code
export const CPU_FAULT_HAS_ERR: u32 = 0x198; // u32: 1 if the vector pushes an error code
export const CPU_FAULT_CR2: u32 = 0x1a0; // u64: faulting linear address for #PF
export const CPU_KERNEL_GS_BASE: u32 = 0x1a8; // u64: MSR C000_0102
export const CPU_TSC: u32 = 0x1b0; // u64: virtual TSC
export const CPU_PDPTE: u32 = 0x1c0; // 4 x u64: PAE PDPTE registers, loaded on a CR3 write
export const CPU_XMM: u32 = 0x200; // 16 x 16 bytes
export const CPU_MXCSR: u32 = 0x300; // u32
export const CPU_FPU_CW: u32 = 0x304; // u16
export const CPU_FPU_SW: u32 = 0x306; // u16
export const CPU_FPU_TW: u32 = 0x308; // u16: abridged tag word (FXSAVE format)
export const CPU_FPU_TOP: u32 = 0x30c; // u32
export const CPU_ST: u32 = 0x310; // 8 x 16 bytes: x87 registers as stored by FXSAVE
export const CPU_STATE_END: u32 = 0x400;

// Values of CPU_MODE.
export const MODE_PROT32: u32 = 0; // protected mode, 32-bit code segment
export const MODE_PROT16: u32 = 1; // protected mode, 16-bit code segment
export const MODE_COMPAT: u32 = 2; // long mode, compatibility (32-bit) code segment
export const MODE_LONG64: u32 = 3; // long mode, 64-bit code segment
export const FAULT_NONE: u32 = 0xffffffff;

// ---- Domain and hypervisor state (xen/) ---------------------------------------------------------
export const DOM_BASE: u32 = 0x110000;
export const DOM_SIZE: u32 = 0x20000;
export const DOM_GUEST_TYPE: u32 = 0x000; // u32: GUEST_* below
export const DOM_STATE: u32 = 0x004; // u32: DOMSTATE_* below
export const DOM_NR_PAGES: u32 = 0x008; // u32: guest RAM frames (MFN 0 .. NR_PAGES-1)
export const DOM_TOTAL_FRAMES: u32 = 0x00c; // u32: RAM frames plus Xen-owned frames above them
export const DOM_SHARED_INFO_MFN: u32 = 0x010; // u32
export const DOM_START_INFO_MFN: u32 = 0x014; // u32
export const DOM_CONSOLE_MFN: u32 = 0x018; // u32
export const DOM_CONSOLE_PORT: u32 = 0x01c; // u32
export const DOM_STORE_MFN: u32 = 0x020; // u32
export const DOM_STORE_PORT: u32 = 0x024; // u32
export const DOM_SHUTDOWN_REASON: u32 = 0x028; // u32: SHUTDOWN_* of xen-pv-abi.md 2.3
export const DOM_VM_ASSIST: u32 = 0x02c; // u32: bitmap of enabled vm_assist types
export const DOM_DOMID: u32 = 0x030; // u32
export const DOM_OPTIONS: u32 = 0x034; // u32: OPT_* switches (debug, tracing, optimisations)
export const DOM_HOST_PORTS: u32 = 0x038; // u32 x 2: bitmap of ports the host serves that were kicked
// Per-vCPU PV state (xen/vcpu.ts), VCPU_PV_STRIDE bytes per vCPU from DOM_VCPU.
export const DOM_VCPU: u32 = 0x100;
export const VCPU_PV_STRIDE: u32 = 0x100;
export const PV_KERNEL_MODE: u32 = 0x00; // u32: PV64 virtual guest-kernel mode flag
export const PV_KERNEL_SS: u32 = 0x04; // u32: stack_switch ss
export const PV_KERNEL_SP: u32 = 0x08; // u64: stack_switch sp
export const PV_VCPU_INFO_MA: u32 = 0x10; // u64: machine address of this vCPU's vcpu_info
export const PV_KERNEL_CR3: u32 = 0x18; // u64: NEW_BASEPTR
export const PV_USER_CR3: u32 = 0x20; // u64: NEW_USER_BASEPTR (PV64)
export const PV_GS_BASE_USER: u32 = 0x28; // u64: the GS base not currently loaded (PV64)
export const PV_EVENT_CS: u32 = 0x30; // u32
export const PV_EVENT_IP: u32 = 0x38; // u64
export const PV_FAILSAFE_CS: u32 = 0x40; // u32
export const PV_FAILSAFE_IP: u32 = 0x48; // u64
export const PV_SYSCALL_IP: u32 = 0x50; // u64
export const PV_SYSCALL32_IP: u32 = 0x58; // u64
export const PV_SYSENTER_IP: u32 = 0x60; // u64
export const PV_CALLBACK_FLAGS: u32 = 0x68; // u32: CALLBACKF_mask_events per callback type, bit = type
export const PV_IOPL: u32 = 0x6c; // u32: virtual IOPL (physdev set_iopl)
export const PV_VIRTUAL_TS: u32 = 0x70; // u32: fpu_taskswitch
export const PV_BLOCKED: u32 = 0x74; // u32: 1 while in sched_op block/poll
export const PV_TIMER_DEADLINE: u32 = 0x78; // u64: singleshot deadline, ns of system time (0 = none)
export const PV_TIMER_PERIOD: u32 = 0x80; // u64: periodic period ns (0 = none)
export const PV_TIMER_NEXT_PERIODIC: u32 = 0x88; // u64
export const PV_VIRQ_PORT: u32 = 0x90; // 24 x u16: port bound to each VIRQ on this vCPU (0 = none)
export const PV_RUNSTATE_VA: u32 = 0xc0; // u64: register_runstate_memory_area
export const PV_GDT_FRAMES: u32 = 0xc8; // u32: number of guest GDT entries (set_gdt)
export const PV_LDT_BASE: u32 = 0xd0; // u64: SET_LDT
export const PV_LDT_ENTS: u32 = 0xd8; // u32
// Trap table: 256 entries of 16 bytes: flags u8 @0, cs u16 @2, address u64 @8 (0 = none).
export const DOM_TRAPS: u32 = 0x1000;
export const TRAP_STRIDE: u32 = 0x10;
// Guest GDT frames given by set_gdt: 16 x u32 MFNs.
export const DOM_GDT_MFNS: u32 = 0x2000;
// Event channels: 4096 ports of 16 bytes: state u8 @0, notify vCPU u8 @1, remote domid u16 @2,
// remote port or VIRQ u32 @4, flags u32 @8.
export const DOM_EVTCHN: u32 = 0x3000;
export const EVTCHN_STRIDE: u32 = 0x10;
export const EVTCHN_MAX_PORTS: u32 = 4096;
// Event channel states (same numbers as EVTCHNSTAT_* in Xen's event_channel.h).
export const ECS_FREE: u32 = 0;
export const ECS_UNBOUND: u32 = 1;
export const ECS_INTERDOMAIN: u32 = 2;
export const ECS_PIRQ: u32 = 3;
export const ECS_VIRQ: u32 = 4;
export const ECS_IPI: u32 = 5;
export const HOST_DOMID: u32 = 0; // the host side ("dom0") that serves the console and xenstore
// Pinned / typed frames: one u8 per machine frame (PGT_* in xen/mm.ts) lives in its own region.

export const GUEST_PV32: u32 = 1;
export const GUEST_PV64: u32 = 2;
export const GUEST_BARE32: u32 = 3; // test-vector machine, 32-bit user code (test-vectors.md)
export const GUEST_BARE64: u32 = 4; // test-vector machine, 64-bit user code
export const DOMSTATE_BUILT: u32 = 0;
export const DOMSTATE_RUNNING: u32 = 1;
export const DOMSTATE_SHUTDOWN: u32 = 2;
export const DOMSTATE_CRASHED: u32 = 3;

// ---- Counters (debug/counters.ts): u64 each, read by the host without messages -----------------
export const CNT_BASE: u32 = 0x130000;
export const CNT_SIZE: u32 = 0x2000;
export const CNT_INSTRUCTIONS: u32 = 0x000;
export const CNT_HYPERCALLS_TOTAL: u32 = 0x008;
export const CNT_EXCEPTIONS_TOTAL: u32 = 0x010;
export const CNT_EVENTS_DELIVERED: u32 = 0x018;
export const CNT_TLB_HITS: u32 = 0x020;
export const CNT_TLB_MISSES: u32 = 0x028;
export const CNT_PAGE_WALKS: u32 = 0x030;
export const CNT_PT_UPDATES: u32 = 0x038;
export const CNT_PTWR_EMULATIONS: u32 = 0x040;
export const CNT_TLB_FLUSHES: u32 = 0x048;
export const CNT_SLICES: u32 = 0x050;
export const CNT_SHADOW_HITS: u32 = 0x058; // TLB misses served from the current address space's shadow
export const CNT_SHADOW_MISSES: u32 = 0x060; // TLB misses the shadow could not serve (a page walk follows)
export const CNT_SHADOW_FILLS: u32 = 0x068; // shadow entries written by page walks
export const CNT_SHADOW_INVALIDATIONS: u32 = 0x070; // shadow entries dropped because a guest entry changed
export const CNT_SHADOW_SWITCHES: u32 = 0x078; // CR3 changes that found their address space's shadow
export const CNT_SHADOW_NEW: u32 = 0x080; // CR3 changes that had to start a new (or recycle an old) shadow
export const CNT_SHADOW_RESETS: u32 = 0x088; // every shadow dropped at once (switch toggled, reverse map full, CR0/CR4/EFER)
export const CNT_LOGDIRTY_MARKS: u32 = 0x090; // first writes to a clean page while log-dirty mode is on
export const CNT_AUDITS: u32 = 0x098; // audit() runs
export const CNT_AUDIT_ERRORS: u32 = 0x0a0; // disagreements audit() found, summed over runs
export const CNT_JIT_BLOCKS: u32 = 0x0a8; // blocks compiled to wasm (cpu/jit.ts)
export const CNT_JIT_ENTRIES: u32 = 0x0b0; // calls of compiled blocks
export const CNT_JIT_FAILURES: u32 = 0x0b8; // blocks the host could not compile
export const CNT_HYPERCALL: u32 = 0x400; // 64 x u64: calls by hypercall number
export const CNT_EXCEPTION: u32 = 0x600; // 32 x u64: exceptions by vector
export const CNT_HYPERCALL_MAX: u32 = 64;

// ---- Exit record: why run() returned, and a message for the user --------------------------------
export const EXIT_BASE: u32 = 0x132000;
export const EXIT_SIZE: u32 = 0x1000;
export const EXIT_REASON: u32 = 0x000; // u32: EXIT_* below
export const EXIT_ARG: u32 = 0x004; // u32: shutdown reason, vector, or port
export const EXIT_MSG_LEN: u32 = 0x008; // u32
export const EXIT_MSG: u32 = 0x100; // up to EXIT_MSG_MAX bytes of UTF-8, no NUL
export const EXIT_MSG_MAX: u32 = 0xf00;

export const EXIT_BUDGET: u32 = 0; // the instruction budget of the slice ran out
export const EXIT_SHUTDOWN: u32 = 1; // sched_op shutdown; EXIT_ARG = reason
export const EXIT_CRASH: u32 = 2; // the domain crashed; EXIT_MSG says why
export const EXIT_HOST_EVENT: u32 = 3; // the guest notified a port the host serves (console, xenstore)
export const EXIT_BLOCKED: u32 = 4; // every vCPU is blocked with nothing pending
export const EXIT_EXCEPTION: u32 = 5; // bare machines only: an exception ended the run
export const EXIT_SENTINEL: u32 = 6; // bare machines only: execution reached the stop address
export const EXIT_YIELD: u32 = 7; // sched_op yield: give the host a chance to serve rings
export const EXIT_SYSCALL: u32 = 8; // bare machines only: SYSCALL or INT 0x80 ended the run
export const EXIT_PAUSE: u32 = 9; // the host asked the core to stop (breakpoint, step)

// ---- Hypervisor console: console_io(write) bytes, a ring the host drains -----------------------
export const HVC_BASE: u32 = 0x133000;
export const HVC_SIZE: u32 = 0x10000;
export const HVC_PROD: u32 = 0x000; // u32, free-running; the core advances it
export const HVC_CONS: u32 = 0x004; // u32, free-running; the host advances it
export const HVC_DATA: u32 = 0x100;
export const HVC_DATA_SIZE: u32 = 0x8000;

// ---- Trace ring: the last instructions and hypercalls, kept for crash reports -----------------
export const TRACE_BASE: u32 = 0x143000;
export const TRACE_SIZE: u32 = 0x11000;
export const TRACE_HEAD: u32 = 0x000; // u32 free-running entry index
export const TRACE_ENTRIES: u32 = 0x100; // first entry
export const TRACE_ENTRY_SIZE: u32 = 0x10; // u64 rip, u32 kind, u32 info
export const TRACE_COUNT: u32 = 0x1000; // entries (a power of two)
export const TRACE_KIND_INSN: u32 = 1;
export const TRACE_KIND_HYPERCALL: u32 = 2;
export const TRACE_KIND_EXCEPTION: u32 = 3;
export const TRACE_KIND_EVENT: u32 = 4;

// ---- Software TLB (mmu/tlb.ts): direct-mapped, TLB_ENTRIES of 16 bytes -------------------------
export const TLB_BASE: u32 = 0x160000;
export const TLB_ENTRIES: u32 = 0x1000;
export const TLB_ENTRY_SIZE: u32 = 0x10; // u64 tag (page-aligned linear address | TLB_VALID), u32 host offset, u32 rights
export const TLB_SIZE: u32 = TLB_ENTRIES * TLB_ENTRY_SIZE;

// ---- Frame types for Xen's page-type rules (xen/mm.ts): FRAME_INFO_SIZE bytes per frame ---------
export const FRAME_TYPE_BASE: u32 = 0x180000;
export const FRAME_INFO_SIZE: u32 = 4; // u8 type, u8 flags (pinned, validated), u16 type reference count
export const FRAME_TYPE_SIZE: u32 = 0x200000; // MAX_FRAMES x FRAME_INFO_SIZE

// ---- Profiler (debug/profile.ts, docs/profiler.md): transitions recorded while profiling is on --
// A linear buffer the host drains after every slice (reads PROF_COUNT records, sets it back to 0).
// Record: u8 kind (PROF_K_*), u8 vCPU, u16 a, u32 b, u64 retired guest instructions, u64 virtual TSC
// (ns), f64 host time (ns, from the imported clock). Kinds below say what a and b hold.
export const PROF_BASE: u32 = 0x380000;
export const PROF_SIZE: u32 = 0x80000;
export const PROF_COUNT: u32 = 0x000; // u32: records in the buffer; the host sets it back to 0 when it drains
export const PROF_LOST: u32 = 0x008; // u64: records dropped because the buffer was full (free-running)
export const PROF_RECORDS: u32 = 0x1000; // the first record
export const PROF_RECORD_SIZE: u32 = 0x20;
export const PROF_CAPACITY: u32 = 0x3f80; // records: (PROF_SIZE - PROF_RECORDS) / PROF_RECORD_SIZE
export const PROF_HIGH_WATER: u32 = PROF_CAPACITY - 0x100; // the slice ends here; instants are dropped beyond it
export const PROF_NO_SUB: u32 = 0xffffffff; // b of HCALL_ENTER for a hypercall without sub-ops
export const PROF_CALIBRATE: u32 = 0xfffe; // a of the HCALL records profCalibrate() writes (never a real call)
export const PROF_K_SLICE_BEGIN: u32 = 1; // a = bit 0: guest kernel mode, bit 1: vCPU blocked; b = instruction budget
export const PROF_K_SLICE_END: u32 = 2; // a = EXIT_* reason, b = instructions retired in the slice
export const PROF_K_HCALL_ENTER: u32 = 3; // a = hypercall number (0xffff for 0xfffe and above), b = sub-op or PROF_NO_SUB
export const PROF_K_HCALL_EXIT: u32 = 4; // a = hypercall number, b = result (low 32 bits)
export const PROF_K_DELIVER_BEGIN: u32 = 5; // a = PROF_D_*, b = vector (PROF_D_FAULT, PROF_D_SOFTINT)
export const PROF_K_DELIVER_END: u32 = 6; // a = PROF_D_*, b = PROF_OUT_*
export const PROF_K_MODE: u32 = 7; // a = the guest mode now (0 user, 1 kernel)
export const PROF_K_PT_UPDATE: u32 = 8; // one page-table entry written (mmu_update, update_va_mapping, writable page tables)
export const PROF_K_TIMER: u32 = 9; // a = 1 singleshot | 2 periodic: the timers that fired VIRQ_TIMER
export const PROF_K_EVENT_PENDING: u32 = 10; // b = the port set pending
export const PROF_D_FAULT: u32 = 0; // an exception raised by an instruction
export const PROF_D_SOFTINT: u32 = 1; // INT n, INT3, INTO, INT1 through the guest's trap table
export const PROF_D_SYSCALL: u32 = 2; // SYSCALL or SYSENTER from guest user mode, to the guest kernel
export const PROF_D_EVENT: u32 = 3; // the event upcall
export const PROF_D_FAILSAFE: u32 = 4; // the failsafe callback
export const PROF_OUT_BOUNCED: u32 = 0; // a bounce frame was built: the guest's handler runs next
export const PROF_OUT_EMULATED: u32 = 1; // Xen served it itself (privileged instruction, writable page table)
export const PROF_OUT_FAILED: u32 = 2; // not delivered: the domain crashed, or it turned into a #GP

// ---- M2P table that guests read at the machphys window (8-byte entries for PV64, 4 for PV32) --
export const M2P_BASE: u32 = 0x400000;
export const M2P_SIZE: u32 = 0x400000;

// ---- Decoded-instruction cache (cpu/decode-cache.ts): the table, then a bit per frame with code --
export const DCACHE_BASE: u32 = 0x800000;
export const DCACHE_SIZE: u32 = 0x90000; // 16384 entries of 32 bytes + MAX_FRAMES bits

// ---- Shadow page tables (mmu/shadow.ts): per address space, direct-mapped like the TLB -----------
// SHADOW_SLOTS address spaces, each SHADOW_SLOT_ENTRIES entries of TLB_ENTRY_SIZE bytes in the
// TLB's format (u64 page-aligned linear address | 1, u32 host offset, u32 rights).
export const SHADOW_BASE: u32 = 0x900000;
export const SHADOW_SLOTS: u32 = 32;
export const SHADOW_SLOT_ENTRIES: u32 = 0x2000;
export const SHADOW_SLOT_BYTES: u32 = SHADOW_SLOT_ENTRIES * TLB_ENTRY_SIZE;
export const SHADOW_SIZE: u32 = SHADOW_SLOTS * SHADOW_SLOT_BYTES;
// Per slot, SHADOW_META_STRIDE bytes: u64 root (the CR3 value), u64 last use, u32 in use, u32 entries filled.
export const SHADOW_META_BASE: u32 = 0xd00000;
export const SHADOW_META_SIZE: u32 = 0x1000;
export const SHADOW_META_STRIDE: u32 = 0x20;
export const SHADOW_META_ROOT: u32 = 0x00;
export const SHADOW_META_USED: u32 = 0x08;
export const SHADOW_META_IN_USE: u32 = 0x10;
export const SHADOW_META_FILLED: u32 = 0x14;
// Reverse map: guest page-table frame -> the shadows that used it and the address range it maps.
// RMAP_ENTRIES of 16 bytes, open addressing: u32 mfn + 1 (0 = empty), u32 slot mask, u64 range base | level | RMAP_MULTI.
export const RMAP_BASE: u32 = 0xd10000;
export const RMAP_ENTRIES: u32 = 0x4000;
export const RMAP_SIZE: u32 = RMAP_ENTRIES * 0x10;
// Log-dirty bitmap (mmu/log-dirty.ts): one bit per guest frame (PFN), set by the first write after a clean.
export const DIRTY_BASE: u32 = 0xd50000;
export const DIRTY_SIZE: u32 = 0x10000; // MAX_FRAMES bits
// Audit report (mmu/audit.ts): u32 count, then up to AUDIT_MAX records of 32 bytes
// (u32 kind, u32 slot, u64 linear, u64 shadow host|rights, u64 guest host|rights).
export const AUDIT_BASE: u32 = 0xd60000;
export const AUDIT_SIZE: u32 = 0x1000;
export const AUDIT_COUNT: u32 = 0x00;
export const AUDIT_RECORDS: u32 = 0x20;
export const AUDIT_RECORD_SIZE: u32 = 0x20;
export const AUDIT_MAX: u32 = 0x7f;
// Transitions ring (debug/transitions.ts, workers/transitions.ts): the last TRANS_COUNT times the vCPU
// entered the hypervisor or switched guest mode, always recorded (a few stores per transition).
// Entry: u64 guest RIP of the instruction that left guest context, u64 RIP it continues at, u64 info
// (hypercall: result; #PF: CR2), u8 kind (TRANS_K_*), u8 mode before, u8 mode after (bits 0-1: CPL,
// bit 2: guest kernel mode), u8 TRANS_F_* flags, u16 a (hypercall number or vector), u16 sub-op (0xffff none).
export const TRANS_BASE: u32 = 0xd70000;
export const TRANS_SIZE: u32 = 0x3000;
export const TRANS_HEAD: u32 = 0x000; // u32: free-running count of entries written
export const TRANS_ENTRIES: u32 = 0x100; // the first entry
export const TRANS_ENTRY_SIZE: u32 = 0x20;
export const TRANS_COUNT: u32 = 0x100; // entries (a power of two)
export const TRANS_MODE_KERNEL: u32 = 4; // bit of a mode byte: guest kernel mode (PV64's flag, PV32's ring 1)
export const TRANS_K_HYPERCALL: u32 = 1; // a = hypercall number
export const TRANS_K_SYSCALL: u32 = 2; // SYSCALL from guest user mode (a system call through Xen)
export const TRANS_K_SYSENTER: u32 = 3; // SYSENTER
export const TRANS_K_SOFTINT: u32 = 4; // INT n / INT3 / INTO / INT1 through the trap table, a = vector
export const TRANS_K_FAULT: u32 = 5; // an exception raised by an instruction, a = vector
export const TRANS_K_EVENT: u32 = 6; // an event upcall on entry to a slice (the vCPU woke or had one pending)
export const TRANS_K_DIRECT: u32 = 7; // a guest mode change without the hypervisor (IRET, far return)
export const TRANS_F_EMULATED: u32 = 1; // Xen served it itself (privileged instruction, writable page table)
export const TRANS_F_UPCALL: u32 = 2; // an event upcall was delivered on the way back to the guest
export const TRANS_F_STOPPED: u32 = 4; // the domain crashed or shut down
export const TRANS_F_FAULTED: u32 = 8; // refused: the instruction raised a fault instead (the next entry delivers it)
export const TRANS_NO_SUB: u32 = 0xffff;

// Compiled blocks (cpu/jit.ts, workers/jit/): per decode-cache slot a u32 (JIT_MAP: 0..threshold =
// times seen as a block start, JIT_NEVER, or JIT_COMPILED | table index), the entry list of a block
// being compiled (JIT_LIST, JIT_MAX_BLOCK u32 entry addresses) and the exit record a block leaves.
export const JIT_BASE: u32 = 0xd80000;
export const JIT_SIZE: u32 = 0x11000;
export const JIT_MAP: u32 = 0x00000; // DC entries x u32
export const JIT_EXIT_KIND: u32 = 0x10000; // u32: JIT_EXIT_* (how the block ended)
export const JIT_EXIT_H: u32 = 0x10004; // u32: wasm offset of the instruction the exit names
export const JIT_EXIT_RIP: u32 = 0x10008; // u64: JIT_EXIT_JUMP's target
export const JIT_TLB_TAG: u32 = 0x10010; // u64: mmu/tlb.ts tlbTag, mirrored for compiled blocks' inline TLB lookups
export const JIT_TLB_SALT: u32 = 0x10018; // u32: mmu/tlb.ts tlbSalt, mirrored likewise
export const JIT_LIST: u32 = 0x10100; // u32 entry addresses of the block being compiled
export const JIT_MAX_BLOCK: u32 = 64; // instructions per block at most
export const JIT_COMPILED: u32 = 0x80000000;
export const JIT_NEVER: u32 = 0x7fffffff;
export const JIT_EXIT_NEXT: u32 = 1; // every instruction retired: continue at JIT_EXIT_H
export const JIT_EXIT_HELPER: u32 = 2; // the last one ran in the interpreter, which set RIP or the fetch cursor
export const JIT_EXIT_FAULT: u32 = 3; // the instruction at JIT_EXIT_H faulted (not retired)
export const JIT_EXIT_JUMP: u32 = 4; // the Jcc/JMP at JIT_EXIT_H (not counted yet) leaves the page for JIT_EXIT_RIP

// ---- Guest machine memory: MFN n is at GUEST_RAM_BASE + n * PAGE_SIZE --------------------------
export const GUEST_RAM_BASE: u32 = 0x1000000;
export const MAX_FRAMES: u32 = 0x80000; // 2 GiB of guest frames at most
export const XEN_EXTRA_FRAMES: u32 = 16; // Xen-owned frames above RAM: shared_info, grant frames
