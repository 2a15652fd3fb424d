// The privilege view's data (VmApi.privilege()): which ring the vCPU is in, whether the guest kernel or
// a guest user process runs, and the last transitions between guest user, guest kernel and the
// hypervisor, decoded from the core's transitions ring (layout.ts TRANS_*, assembly/debug/transitions.ts)
// with their cause (hypercall by name, system call, exception, event upcall, IRET) and outcome.
// Follows xen-pv-abi.md 3.4-3.6: PV32 runs its kernel in ring 1, PV64 in ring 3 with a virtual mode flag.
import type { Core } from './core.ts';
import * as L from './layout.gen.ts';
import { hypercallLabel } from './profile/names.ts';
import { vectorName } from './vector-names.ts';
import { codeBits, readVirtual } from './guest-read.ts';
import { disassemble } from './disasm/index.ts';

export type GuestMode = 'user' | 'kernel';

/** Where the guest was before or after a transition. */
export interface GuestSide {
  mode: GuestMode;
  /** The CPU's privilege level (CS.RPL). */
  ring: number;
}

export type TransitionKind = 'hypercall' | 'syscall' | 'sysenter' | 'softint' | 'exception' | 'event' | 'direct';

export interface Transition {
  /** 1 for the first transition since the domain started. */
  seq: number;
  kind: TransitionKind;
  from: GuestSide;
  to: GuestSide;
  /** False only for a direct change (IRET from ring 1 to ring 3): the hypervisor was not involved. */
  viaHypervisor: boolean;
  /** What caused it: "hypercall console_io/write", "system call (syscall)", "exception #PF", "event upcall", "iret". */
  cause: string;
  /** What came of it: "returned 0", "bounced to the guest kernel's handler", "emulated by Xen". */
  outcome: string;
  /** Guest RIP of the instruction that left guest context, and where the guest went on. */
  rip: bigint;
  next: bigint;
  nr?: number;
  sub?: number;
  vector?: number;
  /** A hypercall's return value (signed). */
  result?: bigint;
  /** A page fault's address. */
  cr2?: bigint;
  emulated: boolean;
  /** An event upcall was delivered on the way back. */
  upcall: boolean;
  /** The domain crashed or shut down during it. */
  stopped: boolean;
  /** Refused: the instruction raised a fault instead (the next transition delivers it). */
  faulted: boolean;
}

export interface PrivilegeView {
  guestType: string;
  /** Current privilege level (0-3). */
  ring: number;
  mode: GuestMode;
  /** The ring the guest kernel runs in for this guest type (1 for PV32, 3 for PV64). */
  kernelRing: number;
  /** The vCPU sleeps in SCHEDOP_block or poll. */
  blocked: boolean;
  rip: bigint;
  /** Transitions recorded since the domain started (the ring keeps the last TRANS_COUNT). */
  total: number;
  /** The last transitions, oldest first. */
  transitions: Transition[];
}

const KINDS: Record<number, TransitionKind> = {
  [L.TRANS_K_HYPERCALL]: 'hypercall', [L.TRANS_K_SYSCALL]: 'syscall', [L.TRANS_K_SYSENTER]: 'sysenter',
  [L.TRANS_K_SOFTINT]: 'softint', [L.TRANS_K_FAULT]: 'exception', [L.TRANS_K_EVENT]: 'event', [L.TRANS_K_DIRECT]: 'direct',
};

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 7: 'E2BIG', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT',
  16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 38: 'ENOSYS', 95: 'EOPNOTSUPP',
};

/** The mode byte of the ring (bits 0-1 CPL, TRANS_MODE_KERNEL) as a side. */
function side(m: number): GuestSide {
  return { mode: m & L.TRANS_MODE_KERNEL ? 'kernel' : 'user', ring: m & 3 };
}

/** The vCPU's mode now, by the rule the core records with (assembly/debug/transitions.ts transMode). */
function currentSide(core: Core): GuestSide {
  const ring = core.u32(L.CPU_BASE + L.CPU_CPL) & 3;
  const type = core.guestType();
  const kernel = type === 'pv64' ? core.domU32(L.DOM_VCPU + L.PV_KERNEL_MODE) !== 0 : type === 'pv32' ? ring === 1 : ring !== 3;
  return { mode: kernel ? 'kernel' : 'user', ring };
}

function softintName(v: number): string {
  return v === 3 ? 'int3' : v === 4 ? 'into' : v === 1 ? 'int1' : `int 0x${v.toString(16)}`;
}

/** What the instruction at `rip` is, for a direct mode change ("iret"), or undefined. */
function instructionAt(core: Core, rip: bigint): string | undefined {
  try {
    const bytes = readVirtual(core, rip, 15);
    if (bytes.length === 0) return undefined;
    const insn = disassemble(bytes, 0, rip, codeBits(core));
    return insn.bad ? undefined : insn.mnemonic;
  } catch {
    return undefined;
  }
}

function describe(core: Core, t: Omit<Transition, 'cause' | 'outcome'>, pv32: boolean): { cause: string; outcome: string } {
  const to = `the guest ${t.to.mode}`;
  if (t.faulted) {
    const cause = t.kind === 'softint' ? `software interrupt ${softintName(t.vector!)}` : t.kind === 'hypercall' ? `hypercall ${hypercallLabel(t.nr!, t.sub)}` : t.kind;
    return { cause, outcome: 'refused: it raises a fault instead (next line)' };
  }
  if (t.stopped) {
    const cause = t.kind === 'hypercall' ? `hypercall ${hypercallLabel(t.nr!, t.sub)}` : t.kind;
    return { cause, outcome: 'the domain stopped' };
  }
  switch (t.kind) {
    case 'hypercall': {
      const cause = `hypercall ${hypercallLabel(t.nr!, t.sub)}`;
      if (t.nr === 23) return { cause, outcome: `returned to ${to} at 0x${t.next.toString(16)}` }; // iret
      const r = pv32 ? BigInt.asIntN(32, t.result!) : BigInt.asIntN(64, t.result!);
      const errno = r < 0n && r > -4096n ? ERRNO[Number(-r)] : undefined;
      return { cause, outcome: `returned ${r}${errno ? ` (-${errno})` : ''}` };
    }
    case 'syscall':
    case 'sysenter':
      return { cause: `system call (${t.kind})`, outcome: `bounced to the guest kernel's ${t.kind} entry` };
    case 'softint':
      return { cause: `software interrupt ${softintName(t.vector!)}`, outcome: "bounced to the guest kernel's handler" };
    case 'exception': {
      const name = vectorName(t.vector!);
      const cause = `exception ${name}${t.cr2 !== undefined ? ` at 0x${t.cr2.toString(16)}` : ''}`;
      if (t.emulated) {
        const what = t.vector === 14 ? 'a write to a page table (writable page tables)' : t.vector === 13 ? 'a privileged instruction' : 'it';
        return { cause, outcome: `emulated by Xen: ${what}` };
      }
      return { cause, outcome: `bounced to the guest kernel's ${name} handler` };
    }
    case 'event':
      return { cause: 'event upcall', outcome: "the guest kernel's event callback runs" };
    case 'direct': {
      const insn = instructionAt(core, t.rip);
      return { cause: insn ?? 'a far return or IRET', outcome: `straight to ${to} (no hypervisor)` };
    }
  }
}

/** The current ring and mode and the last `max` transitions (at most TRANS_COUNT). */
export function privilegeView(core: Core, max = 20): PrivilegeView {
  if (!Number.isInteger(max) || max < 0 || max > L.TRANS_COUNT) throw new Error(`transition count must be 0..${L.TRANS_COUNT}, not ${max}`);
  const guestType = core.guestType();
  const pv32 = guestType === 'pv32' || guestType === 'bare32';
  const head = core.u32(L.TRANS_BASE + L.TRANS_HEAD);
  const n = Math.min(head, max, L.TRANS_COUNT);
  const transitions: Transition[] = [];
  for (let i = head - n; i < head; i++) {
    const e = L.TRANS_BASE + L.TRANS_ENTRIES + ((i >>> 0) & (L.TRANS_COUNT - 1)) * L.TRANS_ENTRY_SIZE;
    const kind = KINDS[core.u8(e + 24)] ?? 'direct';
    const flags = core.u8(e + 27);
    const a = core.u16(e + 28);
    const sub = core.u16(e + 30);
    const info = core.u64(e + 16);
    const base: Omit<Transition, 'cause' | 'outcome'> = {
      seq: i + 1,
      kind,
      from: side(core.u8(e + 25)),
      to: side(core.u8(e + 26)),
      viaHypervisor: kind !== 'direct',
      rip: core.u64(e),
      next: core.u64(e + 8),
      emulated: (flags & L.TRANS_F_EMULATED) !== 0,
      upcall: (flags & L.TRANS_F_UPCALL) !== 0,
      stopped: (flags & L.TRANS_F_STOPPED) !== 0,
      faulted: (flags & L.TRANS_F_FAULTED) !== 0,
    };
    if (kind === 'hypercall') Object.assign(base, { nr: a, result: info, ...(sub !== L.TRANS_NO_SUB ? { sub } : {}) });
    if (kind === 'softint' || kind === 'exception') base.vector = a;
    if (kind === 'exception' && a === 14) base.cr2 = info;
    const { cause, outcome } = describe(core, base, pv32);
    transitions.push({ ...base, cause, outcome: base.upcall ? `${outcome}; then an event upcall` : outcome });
  }
  const now = currentSide(core);
  return {
    guestType,
    ring: now.ring,
    mode: now.mode,
    kernelRing: guestType === 'pv32' ? 1 : guestType === 'pv64' ? 3 : 0,
    blocked: core.domU32(L.DOM_VCPU + L.PV_BLOCKED) !== 0,
    rip: core.u64(L.CPU_BASE + L.CPU_RIP),
    total: head,
    transitions,
  };
}
