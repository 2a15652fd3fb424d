// The transitions ring (layout.ts TRANS_*): the last TRANS_COUNT times the vCPU left guest context
// for the hypervisor (hypercall, system call, software interrupt, fault, event upcall) or changed
// between guest user and guest kernel mode without it (IRET in PV32's ring 1), each with its cause,
// the guest mode before and after, and where the guest was and went on. The page's privilege view
// reads it (workers/transitions.ts). Off by default (setTransitions; the page turns it on): on, it
// costs a few loads and stores per transition (+3-4 % on a null-hypercall loop), none per instruction. Invariants: platform.ts brackets each entry with transEnter/transLeave (nesting
// counts, the outermost one is recorded); TRANS_HEAD counts every entry ever written.
import {
  TRANS_BASE, TRANS_HEAD, TRANS_ENTRIES, TRANS_ENTRY_SIZE, TRANS_COUNT, TRANS_MODE_KERNEL, TRANS_K_HYPERCALL,
  TRANS_K_FAULT, TRANS_K_EVENT, TRANS_K_DIRECT, TRANS_F_EMULATED, TRANS_F_UPCALL, TRANS_F_STOPPED, TRANS_F_FAULTED, TRANS_NO_SUB,
  CNT_BASE, CNT_EXCEPTIONS_TOTAL, CNT_EVENTS_DELIVERED, DOM_BASE, DOM_GUEST_TYPE, DOM_VCPU, PV_KERNEL_MODE,
  GUEST_PV64, GUEST_PV32, CPU_BASE, CPU_CPL, CPU_RIP, CPU_GPR, FAULT_NONE,
} from '../layout';
import { stopRequested } from '../exit';
import { faultVector } from '../cpu/fault';

/** Recording on (set between slices only, so an entry and its leave always see the same value). */
export let transOn: bool = false;
export function setTransitions(on: bool): void { transOn = on; depth = 0; lastMode = 0xff; }

/** Hypervisor entries in progress (a fault while delivering a fault nests). */
let depth: u32 = 0;
let enterKind: u32 = 0;
let enterA: u32 = 0;
let enterSub: u32 = TRANS_NO_SUB;
let enterInfo: u64 = 0;
let enterFrom: u32 = 0;
let enterRip: u64 = 0;
let enterExceptions: u64 = 0;
let enterEvents: u64 = 0;
/** The guest mode after the last recorded transition; 0xff before the first. */
let lastMode: u32 = 0xff;

/** The guest mode byte: CPL in bits 0-1, TRANS_MODE_KERNEL while the guest kernel runs. */
@inline export function transMode(): u32 {
  const cpl = load<u32>(CPU_BASE + CPU_CPL) & 3;
  const type = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  let kernel: bool;
  if (type == GUEST_PV64) kernel = load<u32>(DOM_BASE + DOM_VCPU + PV_KERNEL_MODE) != 0;
  else if (type == GUEST_PV32) kernel = cpl == 1;
  else kernel = cpl != 3; // bare machines: CPL 3 is user
  return cpl | (kernel ? TRANS_MODE_KERNEL : 0);
}

/** Empties the ring (coreInit). */
export function transReset(): void {
  memory.fill(TRANS_BASE, 0, TRANS_ENTRIES + TRANS_COUNT * TRANS_ENTRY_SIZE);
  depth = 0;
  lastMode = 0xff;
}

/** The sub-op of hypercalls whose command is their first argument (xen-pv-abi.md 2.3), else none. */
export function transSubop(nr: u64, a1: u64): u32 {
  if (nr >= 64) return TRANS_NO_SUB;
  switch (<u32>nr) {
    case 6: case 17: case 18: case 20: case 21: case 24: case 25: case 29: case 30: case 32: case 33:
      return a1 < <u64>TRANS_NO_SUB ? <u32>a1 : TRANS_NO_SUB;
    case 12: // memory_op: the low 6 bits (the rest is continuation progress)
      return <u32>a1 & 0x3f;
    default:
      return TRANS_NO_SUB;
  }
}

/** The guest leaves guest context for the hypervisor: remember what it was doing. */
@inline export function transEnter(kind: u32, a: u32, sub: u32, info: u64): void {
  if (!transOn || depth++ != 0) return;
  enterKind = kind;
  enterA = a;
  enterSub = sub;
  enterInfo = info;
  enterFrom = transMode();
  enterRip = load<u64>(CPU_BASE + CPU_RIP);
  enterExceptions = load<u64>(CNT_BASE + CNT_EXCEPTIONS_TOTAL);
  enterEvents = load<u64>(CNT_BASE + CNT_EVENTS_DELIVERED);
}

/** The hypervisor returns to the guest: records the entry (an EVENT entry only if an upcall was delivered). */
export function transLeave(): void {
  if (!transOn || depth == 0 || --depth != 0) return;
  const upcall = load<u64>(CNT_BASE + CNT_EVENTS_DELIVERED) != enterEvents;
  if (enterKind == TRANS_K_EVENT && !upcall) return;
  let flags: u32 = upcall && enterKind != TRANS_K_EVENT ? TRANS_F_UPCALL : 0;
  if (enterKind == TRANS_K_FAULT && load<u64>(CNT_BASE + CNT_EXCEPTIONS_TOTAL) == enterExceptions) flags |= TRANS_F_EMULATED;
  if (stopRequested) flags |= TRANS_F_STOPPED;
  if (faultVector != FAULT_NONE) flags |= TRANS_F_FAULTED;
  // A hypercall's result is in RAX (EAX for PV32) unless the call did not return.
  const info = enterKind == TRANS_K_HYPERCALL ? load<u64>(CPU_BASE + CPU_GPR) : enterInfo;
  write(enterKind, enterFrom, flags, enterA, enterSub, enterRip, info);
}

/**
 * Called where the CPU's mode may have changed (cpu/interp.ts refreshMode): a change of guest mode
 * outside a hypervisor entry is a direct one (PV32's IRET from ring 1 to ring 3). `rip`: the
 * instruction that made it.
 */
export function transNoteMode(rip: u64): void {
  if (!transOn || depth != 0) return;
  const m = transMode();
  if (m == lastMode) return;
  if (lastMode == 0xff) { lastMode = m; return; }
  write(TRANS_K_DIRECT, lastMode, 0, 0, TRANS_NO_SUB, rip, 0);
}

function write(kind: u32, from: u32, flags: u32, a: u32, sub: u32, rip: u64, info: u64): void {
  const to = transMode();
  lastMode = to;
  const head = load<u32>(TRANS_BASE + TRANS_HEAD);
  const e = TRANS_BASE + TRANS_ENTRIES + (head & (TRANS_COUNT - 1)) * TRANS_ENTRY_SIZE;
  store<u64>(e, rip);
  store<u64>(e, load<u64>(CPU_BASE + CPU_RIP), 8);
  store<u64>(e, info, 16);
  store<u8>(e, <u8>kind, 24);
  store<u8>(e, <u8>from, 25);
  store<u8>(e, <u8>to, 26);
  store<u8>(e, <u8>flags, 27);
  store<u16>(e, <u16>a, 28);
  store<u16>(e, <u16>sub, 30);
  store<u32>(TRANS_BASE + TRANS_HEAD, head + 1);
}
