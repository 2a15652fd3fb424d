// The guest's side of a xenstore ring (what Linux's xenbus_comms does), for testing the backend:
// writes requests into req[] as room allows (optionally a few bytes at a time), and reads replies
// and watch events out of rsp[], reassembling messages that wrap or arrive in pieces.
import {
  XS_RING_REQ, XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP, XS_RING_RSP_CONS, XS_RING_RSP_PROD,
} from '../../../workers/backends/xenstore.ts';
import { encodeMessage, latin1 } from '../../../workers/backends/xenstore-wire.ts';

export interface Reply {
  type: number;
  reqId: number;
  txId: number;
  /** The payload as a byte string ("OK\0", "ENOENT\0", ...). */
  text: string;
  bytes: Uint8Array;
}

export class XenStoreGuest {
  private readonly view: DataView;
  /** Request bytes not yet in req[]. */
  private pending: number[] = [];
  private partial: number[] = [];

  constructor(readonly mem: Uint8Array, readonly base = 0) {
    this.view = new DataView(mem.buffer, mem.byteOffset + base, 4096);
  }

  u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  setU32(off: number, v: number): void {
    this.view.setUint32(off, v >>> 0, true);
  }

  /** Sets all four indices (a ring that has already carried `at` bytes each way). */
  startAt(at: number): void {
    for (const off of [XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD]) this.setU32(off, at);
  }

  /** Queues one request and pushes what fits (at most `maxBytes` now). */
  send(type: number, payload: string | Uint8Array, opts: { reqId?: number; txId?: number; maxBytes?: number } = {}): void {
    const bytes = typeof payload === 'string' ? Uint8Array.from(payload, (c) => c.charCodeAt(0)) : payload;
    this.pending.push(...encodeMessage({ type, reqId: opts.reqId ?? 1, txId: opts.txId ?? 0, payload: bytes }));
    this.push(opts.maxBytes);
  }

  /** Moves queued request bytes into req[] (free room only), then publishes req_prod; returns how many. */
  push(maxBytes = Infinity): number {
    const cons = this.u32(XS_RING_REQ_CONS);
    let prod = this.u32(XS_RING_REQ_PROD);
    let n = 0;
    while (this.pending.length > 0 && n < maxBytes && ((prod - cons) >>> 0) < 1024) {
      this.mem[this.base + XS_RING_REQ + (prod & 1023)] = this.pending.shift()!;
      prod = (prod + 1) >>> 0;
      n++;
    }
    this.setU32(XS_RING_REQ_PROD, prod);
    return n;
  }

  get unsent(): number {
    return this.pending.length;
  }

  /** Consumes up to `maxBytes` of rsp[] and returns the messages completed so far. */
  receive(maxBytes = Infinity): Reply[] {
    const prod = this.u32(XS_RING_RSP_PROD);
    let cons = this.u32(XS_RING_RSP_CONS);
    let n = 0;
    while (cons !== prod && n < maxBytes) {
      this.partial.push(this.mem[this.base + XS_RING_RSP + (cons & 1023)]);
      cons = (cons + 1) >>> 0;
      n++;
    }
    this.setU32(XS_RING_RSP_CONS, cons);
    const out: Reply[] = [];
    for (;;) {
      if (this.partial.length < 16) break;
      const h = new DataView(Uint8Array.from(this.partial.slice(0, 16)).buffer);
      const len = h.getUint32(12, true);
      if (this.partial.length < 16 + len) break;
      const bytes = Uint8Array.from(this.partial.slice(16, 16 + len));
      out.push({ type: h.getUint32(0, true), reqId: h.getUint32(4, true), txId: h.getUint32(8, true), text: latin1(bytes), bytes });
      this.partial = this.partial.slice(16 + len);
    }
    return out;
  }

  /** Bytes of a message received only in part. */
  get partialBytes(): number {
    return this.partial.length;
  }
}
