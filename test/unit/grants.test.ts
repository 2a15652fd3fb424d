// The host's side of a domain's v1 grant table (workers/backends/grants.ts) over a hand-built
// table: what may be mapped and how (Xen's map_grant_ref rules and GNTST_* answers), the
// GTF_reading / GTF_writing bits the guest sees while its page is mapped, and unmapping.
import { describe, expect, it } from 'vitest';
import {
  GrantTable, GrantError, type GrantDomain, GTF_permit_access, GTF_accept_transfer, GTF_readonly, GTF_reading,
  GTF_writing, GNTST_okay, GNTST_general_error, GNTST_bad_domain, GNTST_bad_gntref, GNTST_bad_handle, GNTST_bad_page,
  GNTST_no_space, ENTRIES_PER_FRAME, MAX_MAPPINGS,
} from '../../workers/backends/grants.ts';

const PAGE = 4096;
const RAM_FRAMES = 8; // machine frames 0..7 are the guest's RAM
const GRANT_MFN = 9; // grant frame 0 (frame 8 would be shared_info)
const DOMID = 3;
const PAGE_TABLE = 5; // a frame in use as a page table: never mapped writable

interface Built {
  table: GrantTable;
  mem: Uint8Array;
  /** Writable type references the host holds, per frame. */
  typeRefs: Map<number, number>;
  grant(ref: number, flags: number, domid: number, frame: number): void;
  flags(ref: number): number;
}

function build(grantFrames = 1): Built {
  const mem = new Uint8Array((GRANT_MFN + 2) * PAGE);
  const view = new DataView(mem.buffer);
  const typeRefs = new Map<number, number>();
  const domain: GrantDomain = {
    domid: DOMID,
    memory: mem,
    frameOffset: (mfn) => (mfn >= 0 && mfn < GRANT_MFN + 2 ? mfn * PAGE : undefined),
    grantFrameMfn: (i) => GRANT_MFN + i,
    grantFrames: () => grantFrames,
    pin(mfn, writable) {
      if (mfn >= RAM_FRAMES) return GNTST_bad_page;
      if (!writable) return GNTST_okay;
      if (mfn === PAGE_TABLE) return GNTST_general_error;
      typeRefs.set(mfn, (typeRefs.get(mfn) ?? 0) + 1);
      return GNTST_okay;
    },
    unpin(mfn, writable) {
      if (writable) typeRefs.set(mfn, typeRefs.get(mfn)! - 1);
    },
  };
  const entry = (ref: number) => GRANT_MFN * PAGE + ref * 8;
  return {
    table: new GrantTable(domain),
    mem,
    typeRefs,
    grant(ref, flags, domid, frame) {
      view.setUint16(entry(ref) + 2, domid, true);
      view.setUint32(entry(ref) + 4, frame, true);
      view.setUint16(entry(ref), flags, true);
    },
    flags: (ref) => view.getUint16(entry(ref), true),
  };
}

/** The GNTST_* status of the GrantError `f` throws. */
function status(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof GrantError) return e.status;
    throw e;
  }
  throw new Error('did not throw');
}

describe('reading grant entries', () => {
  it('reads v1 entries {flags, domid, frame} from the grant frames', () => {
    const g = build();
    g.grant(8, GTF_permit_access | GTF_readonly, 0, 4);
    expect(g.table.entry(8)).toEqual({ ref: 8, flags: GTF_permit_access | GTF_readonly, domid: 0, frame: 4 });
    expect(g.table.size).toBe(ENTRIES_PER_FRAME);
  });

  it('refuses a reference outside the frames the guest set up with GNTST_bad_gntref', () => {
    const g = build();
    expect(status(() => g.table.entry(ENTRIES_PER_FRAME))).toBe(GNTST_bad_gntref);
    expect(status(() => g.table.map(DOMID, ENTRIES_PER_FRAME))).toBe(GNTST_bad_gntref);
    expect(status(() => g.table.map(DOMID, -1))).toBe(GNTST_bad_gntref);
    expect(status(() => build(0).table.map(DOMID, 8))).toBe(GNTST_bad_gntref);
  });
});

describe('mapping a grant for the host', () => {
  it('gives a live view of the granted page and sets GTF_reading | GTF_writing while mapped', () => {
    const g = build();
    g.mem.set([0x68, 0x69], 4 * PAGE); // what the guest wrote into frame 4
    g.grant(8, GTF_permit_access, 0, 4);
    const m = g.table.map(DOMID, 8);
    expect(m).toMatchObject({ domid: DOMID, ref: 8, frame: 4, readonly: false });
    expect(m.bytes.length).toBe(PAGE);
    expect([...m.bytes.subarray(0, 2)]).toEqual([0x68, 0x69]);
    m.bytes[2] = 0x21; // the host writes into the guest's page
    expect(g.mem[4 * PAGE + 2]).toBe(0x21);
    g.mem[4 * PAGE + 3] = 0x7e; // and sees what the guest writes later
    expect(m.bytes[3]).toBe(0x7e);
    expect(g.flags(8)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(g.typeRefs.get(4)).toBe(1);
  });

  it('maps read-only with only GTF_reading and no writable type reference', () => {
    const g = build();
    g.grant(9, GTF_permit_access | GTF_readonly, 0, 6);
    const m = g.table.map(DOMID, 9, { readonly: true });
    expect(m.readonly).toBe(true);
    expect(g.flags(9)).toBe(GTF_permit_access | GTF_readonly | GTF_reading);
    expect(g.typeRefs.get(6)).toBeUndefined();
  });

  it('types a read-only mapping\'s bytes as read-only (enforced by `npm run typecheck`)', () => {
    const g = build();
    g.mem[6 * PAGE] = 0x2a;
    g.grant(9, GTF_permit_access | GTF_readonly, 0, 6);
    const m = g.table.map(DOMID, 9, { readonly: true });
    // Never called: tsc fails the build if these writes type-check.
    const writesThrough = () => {
      // @ts-expect-error: the index signature only permits reading
      m.bytes[0] = 1;
      // @ts-expect-error: no set() on read-only bytes
      m.bytes.set([1]);
      // @ts-expect-error: subarray() of read-only bytes is read-only too
      m.bytes.subarray(1)[0] = 1;
    };
    void writesThrough;
    expect(m.bytes[0]).toBe(0x2a);
  });

  it('refuses to map a read-only grant writable (GNTST_general_error)', () => {
    const g = build();
    g.grant(9, GTF_permit_access | GTF_readonly, 0, 6);
    expect(status(() => g.table.map(DOMID, 9))).toBe(GNTST_general_error);
    expect(g.flags(9)).toBe(GTF_permit_access | GTF_readonly);
  });

  it('refuses a grant made to another domain (GNTST_general_error)', () => {
    const g = build();
    g.grant(10, GTF_permit_access, 7, 4);
    expect(() => g.table.map(DOMID, 10)).toThrow(/granted to d7, not to d0 \(GNTST_general_error\)/);
  });

  it('refuses entries that are not GTF_permit_access: invalid, accept_transfer (GNTST_general_error)', () => {
    const g = build();
    g.grant(11, 0, 0, 4);
    g.grant(12, GTF_accept_transfer, 0, 4);
    expect(status(() => g.table.map(DOMID, 11))).toBe(GNTST_general_error);
    expect(status(() => g.table.map(DOMID, 12))).toBe(GNTST_general_error);
  });

  it('refuses a domain id other than the table\'s (GNTST_bad_domain)', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    expect(status(() => g.table.map(DOMID + 1, 8))).toBe(GNTST_bad_domain);
  });

  it('refuses a frame that is not the domain\'s page (GNTST_bad_page)', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, RAM_FRAMES); // a Xen-owned frame
    g.grant(9, GTF_permit_access, 0, 0x12345);
    expect(status(() => g.table.map(DOMID, 8))).toBe(GNTST_bad_page);
    expect(status(() => g.table.map(DOMID, 9))).toBe(GNTST_bad_page);
    expect(g.flags(8)).toBe(GTF_permit_access);
  });

  it('refuses to map a page table writable but lets the host read it', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, PAGE_TABLE);
    expect(status(() => g.table.map(DOMID, 8))).toBe(GNTST_general_error);
    expect(g.flags(8)).toBe(GTF_permit_access);
    expect(g.table.map(DOMID, 8, { readonly: true }).frame).toBe(PAGE_TABLE);
  });

  it('keeps the frame of the first mapping while the grant stays mapped, as Xen\'s active entry does', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    const a = g.table.map(DOMID, 8);
    g.grant(8, GTF_permit_access | GTF_reading | GTF_writing, 0, 7); // the guest rewrites the frame
    const b = g.table.map(DOMID, 8, { readonly: true });
    expect(b.frame).toBe(4);
    g.table.unmap(a);
    g.table.unmap(b);
    expect(g.table.map(DOMID, 8).frame).toBe(7);
  });

  it('stops at MAX_MAPPINGS mappings (GNTST_no_space)', () => {
    const g = build();
    g.grant(8, GTF_permit_access | GTF_readonly, 0, 4);
    for (let i = 0; i < MAX_MAPPINGS; i++) g.table.map(DOMID, 8, { readonly: true });
    expect(status(() => g.table.map(DOMID, 8, { readonly: true }))).toBe(GNTST_no_space);
  });
});

describe('unmapping', () => {
  it('clears GTF_writing when the last writable mapping goes and GTF_reading with the last one', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    const w = g.table.map(DOMID, 8);
    const r = g.table.map(DOMID, 8, { readonly: true });
    expect(g.table.mappings).toBe(2);
    g.table.unmap(w.handle);
    expect(g.flags(8)).toBe(GTF_permit_access | GTF_reading);
    expect(g.typeRefs.get(4)).toBe(0);
    g.table.unmap(r);
    expect(g.flags(8)).toBe(GTF_permit_access);
    expect(g.table.mappings).toBe(0);
  });

  it('keeps flags the guest changed meanwhile, clearing only the two bits', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    const m = g.table.map(DOMID, 8);
    g.grant(8, GTF_permit_access | GTF_readonly | GTF_reading | GTF_writing, 0, 4);
    g.table.unmap(m);
    expect(g.flags(8)).toBe(GTF_permit_access | GTF_readonly);
  });

  it('refuses an unknown or already used handle (GNTST_bad_handle)', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    const m = g.table.map(DOMID, 8);
    g.table.unmap(m);
    expect(status(() => g.table.unmap(m))).toBe(GNTST_bad_handle);
    expect(status(() => g.table.unmap(12345))).toBe(GNTST_bad_handle);
  });

  it('unmapAll() ends every mapping and drops every reference', () => {
    const g = build();
    g.grant(8, GTF_permit_access, 0, 4);
    g.grant(9, GTF_permit_access, 0, 6);
    g.table.map(DOMID, 8);
    g.table.map(DOMID, 9);
    g.table.map(DOMID, 9, { readonly: true });
    g.table.unmapAll();
    expect(g.table.mappings).toBe(0);
    expect([g.flags(8), g.flags(9)]).toEqual([GTF_permit_access, GTF_permit_access]);
    expect([g.typeRefs.get(4), g.typeRefs.get(6)]).toEqual([0, 0]);
  });
});
