// Test-only exports: the bare machine (bare.ts) at any privilege level and paging mode, for the
// specification tests of what user-mode vectors cannot reach (test/unit/cpu-rings, cpu-paging,
// cpu-exceptions). The test writes page tables and descriptor tables into machine memory itself;
// these calls only load control registers, GDTR/LDTR and segment caches as firmware would.
// Descriptors then come from the GDT/LDT in memory (Intel SDM vol. 3, 3.5.1: GDTR base and limit,
// the LDT through LDTR; implicit supervisor reads through paging). Nothing here runs for a domain.
import { DOM_BASE, DOM_GUEST_TYPE, GUEST_BARE32, GUEST_BARE64, CPU_BASE, CPU_CR3, CPU_GDTR_BASE, CPU_GDTR_LIMIT } from './layout';
import {
  setCr0, setCr4, setEfer, setSegCache, segBase, segLimit, segAttr, ATTR_P, EFER_LMA, LDTR,
} from './cpu/state';
import { raiseGP, faulted, clearFault, faultVector } from './cpu/fault';
import { descAttr, descBase, descLimit } from './cpu/segments';
import { read64As } from './mmu/access';
import { tlbFlushAll } from './mmu/tlb';
import { refreshMode, invalidateCodeCaches } from './cpu/interp';

/** Descriptors come from the tables in memory instead of the vectors' fixed Linux GDT (bare.ts asks). */
export let testTablesInMemory: bool = false;

/**
 * Turns the bare machine into a system-level test machine: control registers as given (CR0.PG with
 * CR4.PAE and EFER.LME gives long mode, LMA is derived), GDTR, empty LDTR, descriptors from memory.
 */
export function testMachine(cr0: u64, cr4: u64, efer: u64, cr3: u64, gdtBase: u64, gdtLimit: u32): void {
  const lma = (cr0 & (<u64>1 << 31)) != 0 && (efer & (<u64>1 << 8)) != 0;
  store<u32>(DOM_BASE + DOM_GUEST_TYPE, lma ? GUEST_BARE64 : GUEST_BARE32);
  setCr0(cr0);
  setCr4(cr4);
  setEfer(lma ? efer | EFER_LMA : efer & ~EFER_LMA);
  store<u64>(CPU_BASE + CPU_CR3, cr3);
  store<u64>(CPU_BASE + CPU_GDTR_BASE, gdtBase);
  store<u32>(CPU_BASE + CPU_GDTR_LIMIT, gdtLimit);
  setSegCache(LDTR, 0, 0, 0, 0);
  testTablesInMemory = true;
  tlbFlushAll();
  invalidateCodeCaches();
}

/** The test wrote code from the host: drop decoded instructions and the fetch page. */
export function testCodeWritten(): void { invalidateCodeCaches(); }

/** Back to the vectors' machine (bareInit calls this). */
export function testMachineOff(): void { testTablesInMemory = false; }

/**
 * Loads segment register `seg` (ES CS SS DS FS GS LDTR = 0..6) with `selector` from the tables, as
 * firmware or a task switch would: no privilege checks. The CPL follows CS.RPL. Returns 0, or the
 * vector of the fault reading the descriptor raised (the fault is then cleared).
 */
export function testLoadSegment(seg: i32, selector: u32): u32 {
  if ((selector & 0xfffc) == 0) {
    setSegCache(seg, selector, 0, 0, 0);
  } else {
    const d = memoryDescriptor(selector);
    if (faulted()) { const v = faultVector; clearFault(); return v; }
    setSegCache(seg, selector, descAttr(d), descLimit(d), descBase(d));
  }
  refreshMode();
  invalidateCodeCaches();
  return 0;
}

/**
 * The descriptor of `selector` from the GDT (TI = 0) or the LDT (TI = 1), read with supervisor rights
 * at its linear address; #GP(selector & ~3) when the entry lies beyond the table limit or the LDT is
 * unusable, #PF when the table is not mapped.
 */
export function memoryDescriptor(selector: u32): u64 {
  const off = <u64>(selector & 0xfff8);
  let base: u64, limit: u32;
  if ((selector & 4) != 0) {
    if ((segAttr(LDTR) & ATTR_P) == 0) { raiseGP(selector & 0xfffc); return 0; }
    base = segBase(LDTR);
    limit = segLimit(LDTR);
  } else {
    base = load<u64>(CPU_BASE + CPU_GDTR_BASE);
    limit = load<u32>(CPU_BASE + CPU_GDTR_LIMIT);
  }
  if (off + 7 > <u64>limit) { raiseGP(selector & 0xfffc); return 0; }
  return read64As(base + off, false);
}
