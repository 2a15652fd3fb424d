// The bare test machine of shared/test-vectors.md: user-mode code (CPL 3) under a 64-bit kernel,
// as on the x86-64 Linux that records the vectors. Mode 32 runs compatibility-mode code (CS 0x23)
// with GS selecting an LDT data segment (base 0x20000000, limit 0xffff); mode 64 runs CS 0x33.
// Memory: the code page at 0x10000000 (user RWX) and an 8 KiB data window at 0x20000000 (user RW);
// nothing else is mapped, so any other access is a not-present #PF as on the reference machine.
// The descriptor tables imitate Linux's GDT and the oracle's LDT entry, and the IDT gate rules
// (INT3/INTO/INT 0x80 are DPL 3, every other INT n raises #GP(n*8+2)).
import {
  DOM_BASE, DOM_GUEST_TYPE, GUEST_BARE32, GUEST_BARE64, GUEST_RAM_BASE, PAGE_SIZE, CPU_BASE, CPU_CR3,
  CPU_FAULT_VEC, CPU_FAULT_ERR, CPU_FAULT_HAS_ERR, CPU_FAULT_CR2, EXIT_EXCEPTION, EXIT_SENTINEL, EXIT_SYSCALL, EXIT_BUDGET,
  CPU_MXCSR, CPU_FPU_CW,
} from './layout';
import {
  setCr0, setCr4, setEfer, setRip, setRflagsRaw, setCpl, setSegCache, getRip,
  CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_PG, CR4_PAE, CR4_OSFXSR, CR4_OSXMMEXCPT,
  EFER_LME, EFER_LMA, EFER_NXE, EFER_SCE, ES, CS, SS, DS, FS, GS, LDTR, TR,
} from './cpu/state';
import { faultVector, clearFault, raiseGP, VEC_BP, VEC_OF, VEC_DB } from './cpu/fault';
import { requestStop, beginSlice, stopRequested, exitReason } from './exit';
import { tlbFlushAll } from './mmu/tlb';
import { SOFTINT_INT3, SOFTINT_INTO, SOFTINT_INT1 } from './platform';
import { step, refreshMode, invalidateCodeCaches } from './cpu/interp';
import { testTablesInMemory, testMachineOff, memoryDescriptor } from './testing';
import { descAttr } from './cpu/segments';

export const BARE_CODE_VA: u64 = 0x10000000;
export const BARE_DATA_VA: u64 = 0x20000000;
export const BARE_DATA_SIZE: u32 = 0x2000;
// Machine frames used by the bare machine.
const F_PML4: u32 = 1, F_PDPT: u32 = 2, F_PD: u32 = 3, F_PT_CODE: u32 = 4, F_PT_DATA: u32 = 5;
const F_CODE: u32 = 8, F_DATA: u32 = 9; // data: frames 9 and 10
const F_KPDPT: u32 = 12;
const F_TOP_PDPT: u32 = 13, F_TOP_PD: u32 = 14, F_TOP_PT: u32 = 15; // the last user page (see bareInit)
export const BARE_FRAMES_NEEDED: u32 = 16;

// Linux x86-64 GDT (selectors 0x10 kernel CS, 0x18 kernel DS, 0x23 user CS32, 0x2b user DS, 0x33 user CS64).
const GDT_USER_CS32: u64 = 0x00cffb000000ffff;
const GDT_USER_DS: u64 = 0x00cff3000000ffff;
const GDT_USER_CS64: u64 = 0x00affb000000ffff;
const GDT_KERNEL_CS: u64 = 0x00af9b000000ffff;
const GDT_KERNEL_DS: u64 = 0x00cf93000000ffff;
const GDT_CPUNODE: u64 = 0x0040f50000000000; // limit = node << 12 | cpu = 0 on CPU 0
// The oracle's LDT entry 0: 16-bit-addressing data segment, base 0x20000000, limit 0xffff, DPL 3.
const LDT_GS: u64 = 0x2040f3000000ffff; // base 0x20000000, limit 0xffff bytes, D=1, P DPL3 data RW A
export const BARE_GS_SELECTOR: u32 = 0x7; // LDT index 0, TI = 1, RPL 3

@inline function frame(n: u32): u32 { return GUEST_RAM_BASE + n * PAGE_SIZE; }

/** Builds the bare machine for `mode` (32 or 64). coreInit must have given at least BARE_FRAMES_NEEDED frames. */
export function bareInit(mode: u32): void {
  testMachineOff();
  store<u32>(DOM_BASE + DOM_GUEST_TYPE, mode == 64 ? GUEST_BARE64 : GUEST_BARE32);
  for (let f: u32 = 1; f < BARE_FRAMES_NEEDED; f++) memory.fill(frame(f), 0, PAGE_SIZE);
  const user: u64 = 0x7; // P | RW | US
  store<u64>(frame(F_PML4), (<u64>F_PDPT << 12) | user);
  store<u64>(frame(F_PDPT), (<u64>F_PD << 12) | user);
  store<u64>(frame(F_PD) + 8 * <u32>(BARE_CODE_VA >> 21), (<u64>F_PT_CODE << 12) | user);
  store<u64>(frame(F_PD) + 8 * <u32>(BARE_DATA_VA >> 21), (<u64>F_PT_DATA << 12) | user);
  store<u64>(frame(F_PT_CODE), (<u64>F_CODE << 12) | user);
  // The data window is not executable (NX), like the oracle's mmap(PROT_READ | PROT_WRITE).
  const nx: u64 = <u64>1 << 63;
  store<u64>(frame(F_PT_DATA), (<u64>F_DATA << 12) | user | nx);
  store<u64>(frame(F_PT_DATA) + 8, (<u64>(F_DATA + 1) << 12) | user | nx);
  memory.fill(frame(F_CODE), 0xcc, PAGE_SIZE);
  // The kernel half (PML4 slots 256..511) is mapped supervisor-only, as under Linux: user accesses
  // there are protection faults on a present page, not not-present ones. 1 GiB pages of frame 0:
  // the walk refuses the user access before it ever looks at the frame.
  for (let i: u32 = 0; i < 512; i++) store<u64>(frame(F_KPDPT) + i * 8, 0x83 | (<u64>0 << 30)); // P | RW | PS
  for (let i: u32 = 256; i < 512; i++) store<u64>(frame(F_PML4) + i * 8, (<u64>F_KPDPT << 12) | 0x3);
  // Linux reports a user fault at or above TASK_SIZE_MAX (0x7ffffffff000, the last page below the
  // canonical hole) as a protection fault too: that page is present and supervisor-only here.
  store<u64>(frame(F_PML4) + 255 * 8, (<u64>F_TOP_PDPT << 12) | user);
  store<u64>(frame(F_TOP_PDPT) + 511 * 8, (<u64>F_TOP_PD << 12) | user);
  store<u64>(frame(F_TOP_PD) + 511 * 8, (<u64>F_TOP_PT << 12) | user);
  store<u64>(frame(F_TOP_PT) + 511 * 8, 0x3); // P | RW, frame 0, not US

  store<u64>(CPU_BASE + CPU_CR3, <u64>F_PML4 << 12);
  // CR0.AM is set as on Linux: user code that sets EFLAGS.AC gets #AC on misaligned accesses.
  setCr0(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG);
  setCr4(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
  setEfer(EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE);
  tlbFlushAll();
  bareResetRegisters(mode);
}

/** Segment state and RIP/RFLAGS as at the start of a vector; general registers are the host's job. */
export function bareResetRegisters(mode: u32): void {
  const dsAttr = descAttr(GDT_USER_DS);
  if (mode == 64) setSegCache(CS, 0x33, descAttr(GDT_USER_CS64), 0xffffffff, 0);
  else setSegCache(CS, 0x23, descAttr(GDT_USER_CS32), 0xffffffff, 0);
  setSegCache(SS, 0x2b, dsAttr, 0xffffffff, 0);
  setSegCache(DS, 0x2b, dsAttr, 0xffffffff, 0);
  setSegCache(ES, 0x2b, dsAttr, 0xffffffff, 0);
  if (mode == 64) setSegCache(FS, 0, 0, 0, 0);
  else setSegCache(FS, 0x2b, dsAttr, 0xffffffff, 0); // the oracle's FS in mode 32 is flat user data
  if (mode == 64) setSegCache(GS, 0, 0, 0, 0);
  else setSegCache(GS, BARE_GS_SELECTOR, descAttr(LDT_GS), 0xffff, BARE_DATA_VA);
  setSegCache(LDTR, 0x50, 0x82, 0xffff, 0);
  setSegCache(TR, 0x40, 0x8b, 0x67, 0);
  setCpl(3);
  setRip(BARE_CODE_VA);
  setRflagsRaw(0x202);
  store<u32>(CPU_BASE + CPU_MXCSR, 0x1f80);
  store<u16>(CPU_BASE + CPU_FPU_CW, 0x37f);
  refreshMode();
  invalidateCodeCaches();
}

export function bareCodeHost(): u32 { return frame(F_CODE); }
export function bareDataHost(): u32 { return frame(F_DATA); }

/**
 * Runs until RIP reaches the 0xCC sentinel after `codeLen` bytes of code (EXIT_SENTINEL, not executed),
 * an exception (EXIT_EXCEPTION, record in CPU_FAULT_*), SYSCALL / INT 0x80 (EXIT_SYSCALL), or `maxSteps`
 * instructions (EXIT_BUDGET). `maxSteps` = 1 is the vectors' `step` mode.
 */
export function bareRun(codeLen: u32, maxSteps: u32): u32 {
  beginSlice();
  store<u32>(CPU_BASE + CPU_FAULT_VEC, 0xffffffff);
  const stopLo = BARE_CODE_VA + codeLen, stopHi = BARE_CODE_VA + PAGE_SIZE;
  sentinelStart = stopLo;
  singleStep = maxSteps == 1;
  for (let i: u32 = 0; i < maxSteps; i++) {
    const rip = getRip();
    if (maxSteps != 1 && atSentinel(rip, stopLo, stopHi)) return EXIT_SENTINEL;
    step();
    if (stopRequested) return exitReason();
  }
  if (maxSteps != 1) {
    const rip = getRip();
    if (atSentinel(rip, stopLo, stopHi)) return EXIT_SENTINEL;
  }
  return EXIT_BUDGET;
}

/**
 * The run stops where the hardware's would: at a sentinel byte that is still 0xCC (code that wrote
 * over the sentinels runs what it wrote, as on the CPU).
 */
function atSentinel(rip: u64, stopLo: u64, stopHi: u64): bool {
  return rip >= stopLo && rip < stopHi && load<u8>(frame(F_CODE) + <u32>(rip - BARE_CODE_VA)) == 0xcc;
}

/** A fault ended the run: keep its record (vector, error code, CR2) for the host. */
export function stopOnFault(): void {
  const vec = faultVector;
  const err = load<u32>(CPU_BASE + CPU_FAULT_ERR);
  const hasErr = load<u32>(CPU_BASE + CPU_FAULT_HAS_ERR);
  const cr2 = load<u64>(CPU_BASE + CPU_FAULT_CR2);
  clearFault();
  recordEvent(vec, err, hasErr, cr2);
  requestStop(EXIT_EXCEPTION, vec);
}

function recordEvent(vec: u32, err: u32, hasErr: u32, cr2: u64): void {
  store<u32>(CPU_BASE + CPU_FAULT_VEC, vec);
  store<u32>(CPU_BASE + CPU_FAULT_ERR, err);
  store<u32>(CPU_BASE + CPU_FAULT_HAS_ERR, hasErr);
  store<u64>(CPU_BASE + CPU_FAULT_CR2, cr2);
}

/** A trap-type exception: RIP moves past the instruction, then the run stops (as SIGTRAP would). */
function trapAfter(vec: u32, nextRip: u64): void {
  setRip(nextRip);
  recordEvent(vec, 0, 0, 0);
  requestStop(EXIT_EXCEPTION, vec);
}

/** Where the sentinel bytes start for the current run (bareRun sets it). */
let sentinelStart: u64 = 0;
let singleStep: bool = false;

export function softwareInterrupt(vector: u32, nextRip: u64, kind: u32): void {
  // A prefix byte just before the sentinel makes "REX CC" one INT3 on the hardware, which stops the
  // test at the sentinel: report it as the normal stop, at the 0xCC.
  // (In single-step mode the same bytes are an ordinary INT3: #BP after the instruction.)
  if (kind == SOFTINT_INT3 && !singleStep && nextRip - 1 >= sentinelStart && nextRip - 1 < BARE_CODE_VA + PAGE_SIZE) {
    setRip(nextRip - 1);
    requestStop(EXIT_SENTINEL, 0);
    return;
  }
  if (kind == SOFTINT_INT3) { trapAfter(VEC_BP, nextRip); return; }
  if (kind == SOFTINT_INTO) { trapAfter(VEC_OF, nextRip); return; }
  if (kind == SOFTINT_INT1) { trapAfter(VEC_DB, nextRip); return; }
  if (vector == 3) { trapAfter(VEC_BP, nextRip); return; } // CD 03: DPL-3 gate
  if (vector == 4) { trapAfter(VEC_OF, nextRip); return; }
  if (vector == 0x80) { setRip(nextRip); requestStop(EXIT_SYSCALL, 0x80); return; }
  raiseGP((vector << 3) | 2); // gate DPL 0 < CPL 3: #GP with the IDT bit set
}

/** SYSCALL / INT 0x80 end the run with RIP after the instruction, as the oracle records them. */
export function syscallInstruction(nextRip: u64): void {
  setRip(nextRip);
  requestStop(EXIT_SYSCALL, 0);
}

/** The Linux GDT and the oracle's one LDT entry (or, for system-level tests, the tables in memory: testing.ts). */
export function readDescriptor(selector: u32): u64 {
  if (testTablesInMemory) return memoryDescriptor(selector);
  const index = selector >> 3;
  if ((selector & 4) != 0) {
    if (index == 0) return LDT_GS;
    raiseGP(selector & 0xfffc);
    return 0;
  }
  switch (index) {
    case 2: return GDT_KERNEL_CS;
    case 3: return GDT_KERNEL_DS;
    case 4: return GDT_USER_CS32;
    case 5: return GDT_USER_DS;
    case 6: return GDT_USER_CS64;
    case 15: return GDT_CPUNODE; // Linux's per-CPU segment (getcpu via LSL): read-only expand-down data, DPL 3
    case 0: case 1: case 7: case 8: case 9: case 10: case 11: case 12: case 13: case 14: return 0;
    default: raiseGP(selector & 0xfffc); return 0;
  }
}
