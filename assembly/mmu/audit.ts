// audit() (design.md "every optimisation has its own off switch, and audit() walks guest tables and
// shadows and checks they agree"): every valid entry of every shadow slot and of the TLB is compared
// with a pure walk of its address space's guest tables (mmu/paging.ts walkTables, which changes
// nothing). An entry agrees when the walk reaches the same host page and grants at least the rights
// the entry grants (an entry may grant less: write only after D is set, the code guard, log-dirty).
// Disagreements are counted and the first AUDIT_MAX are recorded at AUDIT_BASE for the host.
import {
  AUDIT_BASE, AUDIT_COUNT, AUDIT_RECORDS, AUDIT_RECORD_SIZE, AUDIT_MAX, SHADOW_BASE, SHADOW_SLOTS,
  SHADOW_SLOT_ENTRIES, SHADOW_SLOT_BYTES, TLB_BASE, TLB_SIZE, TLB_ENTRY_SIZE, CNT_BASE, CNT_AUDITS,
  CNT_AUDIT_ERRORS, DOM_BASE, DOM_GUEST_TYPE, GUEST_PV64, GUEST_PV32, CPU_BASE, CPU_CR3,
} from '../layout';
import { walkTables, pureRights, ACC_READ } from './paging';
import { shadowActive, slotInUse, slotRoot } from './shadow';
import { PV64_XEN_START, PV64_XEN_END, PV32_XEN_START, PV32_XEN_END } from './xen-window';

export const AUDIT_KIND_SHADOW: u32 = 1;
export const AUDIT_KIND_TLB: u32 = 2;

let found: u32 = 0;

function record(kind: u32, slot: u32, linear: u64, hostRights: u64, guest: u64): void {
  if (found < AUDIT_MAX) {
    const r = AUDIT_BASE + AUDIT_RECORDS + found * AUDIT_RECORD_SIZE;
    store<u32>(r, kind);
    store<u32>(r, slot, 4);
    store<u64>(r, linear, 8);
    store<u64>(r, hostRights, 16);
    store<u64>(r, guest, 24);
  }
  found++;
}

/** Checks one entry (tag, host page, rights) of address space `root` against its guest tables. */
function check(kind: u32, slot: u32, root: u64, e: u32): void {
  const linear = load<u64>(e) & ~(<u64>0xfff);
  const host = load<u32>(e, 8);
  const rights = load<u32>(e, 12);
  const guestHost = walkTables(root, linear, ACC_READ, false, true);
  const guestRights: u32 = guestHost != 0 ? pureRights : 0;
  if (guestHost != host || (rights & ~guestRights) != 0) {
    record(kind, slot, linear, (<u64>host << 32) | rights, (<u64>guestHost << 32) | guestRights);
  }
}

/** Xen's own window (mmu/xen-window.ts) is not in the guest's tables: its TLB entries are not audited. */
function inXenWindow(linear: u64): bool {
  if (load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV64) return linear >= PV64_XEN_START && linear < PV64_XEN_END;
  return linear >= PV32_XEN_START && linear < PV32_XEN_END;
}

/**
 * Audits every shadow slot and the TLB of a PV domain (with shadows off, the TLB against the current
 * CR3); returns the number of disagreements (also at AUDIT_BASE). Slot numbers in records: the shadow
 * slot, or for the TLB the address-space tag (slot + 1, 0 = untagged).
 */
export function audit(): u32 {
  found = 0;
  const type = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  if (type == GUEST_PV64 || type == GUEST_PV32) {
    if (shadowActive) {
      for (let s: u32 = 0; s < SHADOW_SLOTS; s++) {
        if (!slotInUse(<i32>s)) continue;
        const base = SHADOW_BASE + s * SHADOW_SLOT_BYTES;
        for (let i: u32 = 0; i < SHADOW_SLOT_ENTRIES; i++) {
          const e = base + i * TLB_ENTRY_SIZE;
          if (load<u64>(e) != 0) check(AUDIT_KIND_SHADOW, s, slotRoot(<i32>s), e);
        }
      }
    }
    for (let e = TLB_BASE, end = TLB_BASE + TLB_SIZE; e < end; e += TLB_ENTRY_SIZE) {
      const tag = load<u64>(e);
      if (tag == 0 || inXenWindow(tag & ~(<u64>0xfff))) continue;
      const asid = <u32>(tag & 0xffe) >> 1;
      // Tagged entries belong to a live slot; untagged ones exist only with shadows off.
      const live = shadowActive ? asid != 0 && slotInUse(<i32>asid - 1) : asid == 0;
      if (!live) { record(AUDIT_KIND_TLB, asid, tag & ~(<u64>0xfff), 0, 0); continue; }
      check(AUDIT_KIND_TLB, asid, asid == 0 ? load<u64>(CPU_BASE + CPU_CR3) : slotRoot(<i32>asid - 1), e);
    }
  }
  store<u32>(AUDIT_BASE + AUDIT_COUNT, found);
  store<u64>(CNT_BASE + CNT_AUDITS, load<u64>(CNT_BASE + CNT_AUDITS) + 1);
  store<u64>(CNT_BASE + CNT_AUDIT_ERRORS, load<u64>(CNT_BASE + CNT_AUDIT_ERRORS) + <u64>found);
  return found;
}

/** Tests switch this on: audit() after every page-table operation (hypercalls, emulated stores, CR3 loads). */
export let auditAfterPtOps: bool = false;
export function setAuditAfterPtOps(on: bool): void { auditAfterPtOps = on; }
