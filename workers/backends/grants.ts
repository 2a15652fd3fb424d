// The host backends' ("dom0") side of a domain's grant table, version 1 (xen-pv-abi.md 2.3; Xen's
// public/grant_table.h, common/grant_table.c map_grant_ref / unmap_grant_ref): reads the guest's
// 8-byte entries {u16 flags; u16 domid; u32 frame} in its grant frames and maps a granted page for
// the host as a live view of guest memory. As in Xen: the entry must be GTF_permit_access for the
// mapping domain; a writable mapping needs a grant without GTF_readonly and holds a writable type
// reference on the page; GTF_reading (any mapping) and GTF_writing (a writable one) stay set in the
// entry while mapped, so the guest cannot revoke a grant in use. Refusals throw a GrantError with
// Xen's GNTST_* status. Invariant: the flags of an entry are changed only here, between slices.
import type { Core } from '../core.ts';
import * as L from '../layout.gen.ts';

// Grant entry flags (grant_table.h GTF_*).
export const GTF_invalid = 0;
export const GTF_permit_access = 1;
export const GTF_accept_transfer = 2;
export const GTF_transitive = 3;
export const GTF_type_mask = 3;
export const GTF_readonly = 1 << 2;
export const GTF_reading = 1 << 3;
export const GTF_writing = 1 << 4;

// Status codes (grant_table.h GNTST_*).
export const GNTST_okay = 0;
export const GNTST_general_error = -1;
export const GNTST_bad_domain = -2;
export const GNTST_bad_gntref = -3;
export const GNTST_bad_handle = -4;
export const GNTST_bad_page = -9;
export const GNTST_no_space = -13;

const STATUS_NAMES: Record<number, string> = {
  [GNTST_general_error]: 'GNTST_general_error',
  [GNTST_bad_domain]: 'GNTST_bad_domain',
  [GNTST_bad_gntref]: 'GNTST_bad_gntref',
  [GNTST_bad_handle]: 'GNTST_bad_handle',
  [GNTST_bad_page]: 'GNTST_bad_page',
  [GNTST_no_space]: 'GNTST_no_space',
};

export const GRANT_ENTRY_SIZE = 8;
export const ENTRIES_PER_FRAME = L.PAGE_SIZE / GRANT_ENTRY_SIZE;
/** Mappings the host may hold at once (Xen's maptrack limit; beyond it GNTST_no_space). */
export const MAX_MAPPINGS = 4096;

/** A refused map or unmap: `status` is Xen's GNTST_* code, the message names the cause. */
export class GrantError extends Error {
  constructor(readonly status: number, message: string) {
    super(`${message} (${STATUS_NAMES[status] ?? `status ${status}`})`);
    this.name = 'GrantError';
  }
}

/** One v1 grant entry as the guest wrote it. */
export interface GrantEntry {
  ref: number;
  flags: number;
  domid: number;
  frame: number;
}

/**
 * A Uint8Array TypeScript will not let you write through. JavaScript has no read-only view of
 * memory, so this is a promise kept by the type checker: a read-only mapping's bytes are typed so.
 */
export type ReadonlyBytes = {
  readonly [K in keyof Uint8Array as K extends 'set' | 'fill' | 'copyWithin' | 'reverse' | 'sort' | 'subarray' ? never : K]: Uint8Array[K];
} & {
  subarray(begin?: number, end?: number): ReadonlyBytes;
};

interface MappingBase {
  /** What unmap() takes (Xen's grant handle). */
  readonly handle: number;
  /** The granting domain and its grant reference. */
  readonly domid: number;
  readonly ref: number;
  /** The machine frame mapped (the entry's frame when the grant was first mapped). */
  readonly frame: number;
}
export interface WritableGrantMapping extends MappingBase {
  readonly readonly: false;
  /** The granted page, live (PAGE_SIZE bytes of guest memory). */
  readonly bytes: Uint8Array;
}
export interface ReadonlyGrantMapping extends MappingBase {
  readonly readonly: true;
  readonly bytes: ReadonlyBytes;
}
export type GrantMapping = WritableGrantMapping | ReadonlyGrantMapping;

/** What the grant table needs from the granting domain (a core, or a hand-built memory in tests). */
export interface GrantDomain {
  /** The granting domain's id: map() callers name it. */
  domid: number;
  /** The memory holding the domain's machine frames. */
  memory: Uint8Array;
  /** Byte offset in `memory` of machine frame `mfn`, or undefined when the domain has no such frame. */
  frameOffset(mfn: number): number | undefined;
  /** Machine frame of grant frame `i` (Xen-owned, shared with the guest). */
  grantFrameMfn(i: number): number;
  /** Grant frames the guest has set up (GNTTABOP_setup_table). */
  grantFrames(): number;
  /**
   * Checks that `mfn` is a page the domain owns and, for a writable mapping, takes a writable type
   * reference on it; returns GNTST_okay, GNTST_bad_page or GNTST_general_error (a page table or
   * descriptor page in use).
   */
  pin(mfn: number, writable: boolean): number;
  /** Drops what pin() took. */
  unpin(mfn: number, writable: boolean): void;
}

/** One grant reference in use: its frame and how many mappings of each kind hold it. */
interface Active {
  frame: number;
  readers: number;
  writers: number;
}

interface Mapped {
  handle: number;
  ref: number;
  frame: number;
  readonly: boolean;
}

export class GrantTable {
  private readonly view: DataView;
  private readonly active = new Map<number, Active>();
  private readonly handles = new Map<number, Mapped>();
  private nextHandle = 0;

  /** `mapper` is the domain the host's backends act as (dom0, HOST_DOMID). */
  constructor(private readonly domain: GrantDomain, readonly mapper = L.HOST_DOMID) {
    this.view = new DataView(domain.memory.buffer, domain.memory.byteOffset, domain.memory.byteLength);
  }

  /**
   * The grant table of a built domain: grant frames at DOM_SHARED_INFO_MFN + 1 + i, their count and
   * the page references from the core (xen/grant-host.ts).
   */
  static forCore(core: Core): GrantTable {
    const e = core.exports;
    const frames = core.domU32(L.DOM_TOTAL_FRAMES);
    const ramFrames = core.domU32(L.DOM_NR_PAGES);
    return new GrantTable({
      // A bare machine leaves DOM_DOMID 0 (dom0 is the host): it is then the builder's first domU.
      domid: core.domU32(L.DOM_DOMID) || 1,
      memory: core.bytes,
      frameOffset: (mfn) => (Number.isInteger(mfn) && mfn >= 0 && mfn < frames ? L.GUEST_RAM_BASE + mfn * L.PAGE_SIZE : undefined),
      grantFrameMfn: (i) => core.domU32(L.DOM_SHARED_INFO_MFN) + 1 + i,
      grantFrames: () => e.grantHostFrames?.() ?? 0,
      pin: (mfn, writable) => (e.grantHostPin ? e.grantHostPin(mfn, writable ? 1 : 0) : mfn < ramFrames ? GNTST_okay : GNTST_bad_page),
      unpin: (mfn, writable) => e.grantHostUnpin?.(mfn, writable ? 1 : 0),
    });
  }

  /** The granting domain (what map() takes). */
  get domid(): number {
    return this.domain.domid;
  }

  /** Grant references the guest's table holds (512 per grant frame it set up). */
  get size(): number {
    return this.domain.grantFrames() * ENTRIES_PER_FRAME;
  }

  /** Mappings currently held. */
  get mappings(): number {
    return this.handles.size;
  }

  /** Reads entry `ref`; throws GNTST_bad_gntref for a reference outside the table. */
  entry(ref: number): GrantEntry {
    const at = this.entryOffset(ref);
    return { ref, flags: this.view.getUint16(at, true), domid: this.view.getUint16(at + 2, true), frame: this.view.getUint32(at + 4, true) };
  }

  /**
   * Maps grant `ref` of domain `domid` for the host, as GNTTABOP_map_grant_ref with GNTMAP_host_map
   * (| GNTMAP_readonly) does; the page stays the guest's, and stays mapped until unmap().
   */
  map(domid: number, ref: number, opts: { readonly: true }): ReadonlyGrantMapping;
  map(domid: number, ref: number, opts?: { readonly?: false }): WritableGrantMapping;
  map(domid: number, ref: number, opts?: { readonly?: boolean }): GrantMapping;
  map(domid: number, ref: number, opts: { readonly?: boolean } = {}): GrantMapping {
    const readonly = opts.readonly === true;
    if (domid !== this.domain.domid) throw new GrantError(GNTST_bad_domain, `no domain d${domid} to map a grant of (this table is d${this.domain.domid}'s)`);
    const at = this.entryOffset(ref);
    if (this.handles.size >= MAX_MAPPINGS) throw new GrantError(GNTST_no_space, `the host already holds ${MAX_MAPPINGS} grant mappings`);
    const flags = this.view.getUint16(at, true);
    const grantee = this.view.getUint16(at + 2, true);
    const what = `grant ref ${ref} of d${domid}`;
    if ((flags & GTF_type_mask) !== GTF_permit_access) {
      throw new GrantError(GNTST_general_error, `${what} is not a GTF_permit_access grant (flags 0x${flags.toString(16)})`);
    }
    if (grantee !== this.mapper) throw new GrantError(GNTST_general_error, `${what} is granted to d${grantee}, not to d${this.mapper}`);
    if (!readonly && (flags & GTF_readonly)) throw new GrantError(GNTST_general_error, `${what} is read-only: it cannot be mapped writable`);

    // The first mapping fixes the frame (Xen's active entry); later ones reuse it.
    const act = this.active.get(ref);
    const frame = act?.frame ?? this.view.getUint32(at + 4, true);
    const offset = this.domain.frameOffset(frame);
    if (offset === undefined) throw new GrantError(GNTST_bad_page, `${what} names frame 0x${frame.toString(16)}, which is not a page of the domain`);
    const pinned = this.domain.pin(frame, !readonly);
    if (pinned !== GNTST_okay) {
      throw new GrantError(pinned, pinned === GNTST_bad_page
        ? `${what} names frame 0x${frame.toString(16)}, which is not a page of the domain`
        : `${what}: frame 0x${frame.toString(16)} is in use as a page table or descriptor page and cannot be mapped writable`);
    }

    const a = act ?? { frame, readers: 0, writers: 0 };
    if (readonly) a.readers++;
    else a.writers++;
    this.active.set(ref, a);
    this.view.setUint16(at, this.view.getUint16(at, true) | GTF_reading | (readonly ? 0 : GTF_writing), true);

    const handle = this.allocHandle();
    this.handles.set(handle, { handle, ref, frame, readonly });
    const bytes = this.domain.memory.subarray(offset, offset + L.PAGE_SIZE);
    return readonly
      ? { handle, domid, ref, frame, readonly: true, bytes: bytes as ReadonlyBytes }
      : { handle, domid, ref, frame, readonly: false, bytes };
  }

  /** Ends a mapping (GNTTABOP_unmap_grant_ref): clears GTF_writing / GTF_reading when the last goes. */
  unmap(handle: number | GrantMapping): void {
    const h = typeof handle === 'number' ? handle : handle.handle;
    const m = this.handles.get(h);
    if (!m) throw new GrantError(GNTST_bad_handle, `no grant mapping with handle ${h}`);
    this.handles.delete(h);
    const a = this.active.get(m.ref)!;
    if (m.readonly) a.readers--;
    else a.writers--;
    this.domain.unpin(m.frame, !m.readonly);
    let clear = 0;
    if (a.writers === 0) clear |= GTF_writing;
    if (a.writers + a.readers === 0) {
      clear |= GTF_reading;
      this.active.delete(m.ref);
    }
    const at = this.entryOffset(m.ref); // the table never shrinks: setup_table only adds frames
    this.view.setUint16(at, this.view.getUint16(at, true) & ~clear, true);
  }

  /** Ends every mapping (the backends went away, or the domain is being destroyed). */
  unmapAll(): void {
    for (const h of [...this.handles.keys()]) this.unmap(h);
  }

  private entryOffset(ref: number): number {
    const size = this.size;
    if (!Number.isInteger(ref) || ref < 0 || ref >= size) {
      throw new GrantError(GNTST_bad_gntref, `grant ref ${ref} is outside d${this.domain.domid}'s table of ${size} entries`);
    }
    const frame = this.domain.grantFrameMfn(Math.floor(ref / ENTRIES_PER_FRAME));
    const base = this.domain.frameOffset(frame);
    if (base === undefined) throw new GrantError(GNTST_general_error, `grant frame 0x${frame.toString(16)} is outside the domain`);
    return base + (ref % ENTRIES_PER_FRAME) * GRANT_ENTRY_SIZE;
  }

  private allocHandle(): number {
    while (this.handles.has(this.nextHandle)) this.nextHandle = (this.nextHandle + 1) % MAX_MAPPINGS;
    const h = this.nextHandle;
    this.nextHandle = (h + 1) % MAX_MAPPINGS;
    return h;
  }
}
