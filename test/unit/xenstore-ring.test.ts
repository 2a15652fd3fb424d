// The xenstore ring transport (workers/backends/xenstore.ts) against a fake ring page: a Uint8Array
// standing for the guest page, with the guest's side played by test/unit/helpers/xenstore-guest.ts.
// Covers the index rules of xen-pv-abi.md 5.2 (free-running u32, mask 1023, prod - cons <= 1024),
// wrap-around, split messages, replies larger than the free room, errors and reconnection.
import { describe, expect, it } from 'vitest';
import {
  MAX_REPLY_BACKLOG, XENSTORE_CONNECTED, XENSTORE_ERROR_PROTO, XENSTORE_ERROR_RINGIDX, XENSTORE_RECONNECT,
  XS_RING_CONNECTION, XS_RING_ERROR, XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD,
  XS_RING_SERVER_FEATURES, XenStoreBackend, type DomainEntries,
} from '../../workers/backends/xenstore.ts';
import {
  XS_ERROR, XS_READ, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_WATCH, XS_WATCH_EVENT, XS_WRITE, encodeMessage,
} from '../../workers/backends/xenstore-wire.ts';
import { XenStoreGuest } from './helpers/xenstore-guest.ts';

const DOMAIN: DomainEntries = {
  domid: 3, name: 'ringtest', uuid: '00000000-0000-4000-8000-000000000003', memoryKiB: 32768, store: { mfn: 9, port: 1 },
};

/** A ring page at `base` inside a little memory, its backend and the guest's end. */
function setup(opts: { base?: number; startAt?: number } = {}) {
  const base = opts.base ?? 0;
  const mem = new Uint8Array(base + 4096);
  const guest = new XenStoreGuest(mem, base);
  if (opts.startAt !== undefined) guest.startAt(opts.startAt);
  const xs = new XenStoreBackend(mem, base, DOMAIN);
  return { mem, guest, xs };
}

/** The guest reads everything the backend sends, serving in between, until the backend goes quiet. */
function drain(guest: XenStoreGuest, xs: XenStoreBackend, chunk = Infinity) {
  const out = [];
  for (let i = 0; i < 1000; i++) {
    out.push(...guest.receive(chunk));
    if (!xs.service() && guest.u32(XS_RING_RSP_PROD) === guest.u32(XS_RING_RSP_CONS)) break;
  }
  return out;
}

function indicesSane(guest: XenStoreGuest) {
  expect((guest.u32(XS_RING_RSP_PROD) - guest.u32(XS_RING_RSP_CONS)) >>> 0).toBeLessThanOrEqual(1024);
  expect((guest.u32(XS_RING_REQ_PROD) - guest.u32(XS_RING_REQ_CONS)) >>> 0).toBeLessThanOrEqual(1024);
}

describe('the xenstore ring', () => {
  it('advertises reconnection and the error field, and starts connected with no error', () => {
    const { guest } = setup();
    expect(guest.u32(XS_RING_SERVER_FEATURES)).toBe(3);
    expect(guest.u32(XS_RING_CONNECTION)).toBe(XENSTORE_CONNECTED);
    expect(guest.u32(XS_RING_ERROR)).toBe(0);
  });

  it('does nothing and asks for no notification when the ring is idle', () => {
    const { guest, xs } = setup();
    expect(xs.service()).toBe(false);
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(0);
  });

  it('answers a request with its type and echoes req_id and tx_id, consuming req[] up to req_prod', () => {
    const { guest, xs } = setup();
    guest.send(XS_READ, 'domid\0', { reqId: 0xdeadbeef, txId: 0 });
    expect(xs.service()).toBe(true);
    expect(guest.u32(XS_RING_REQ_CONS)).toBe(guest.u32(XS_RING_REQ_PROD));
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(16 + 1);
    expect(guest.receive()).toEqual([expect.objectContaining({ type: XS_READ, reqId: 0xdeadbeef, txId: 0, text: '3' })]);
  });

  it('echoes the tx_id of requests made inside a transaction', () => {
    const { guest, xs } = setup();
    guest.send(XS_TRANSACTION_START, '\0', { reqId: 1 });
    xs.service();
    const [start] = guest.receive();
    const tx = Number(start.text.slice(0, -1));
    guest.send(XS_WRITE, 'data/x\0y', { reqId: 2, txId: tx });
    guest.send(XS_TRANSACTION_END, 'T\0', { reqId: 3, txId: tx });
    xs.service();
    expect(guest.receive().map((r) => [r.type, r.reqId, r.txId, r.text])).toEqual([
      [XS_WRITE, 2, tx, 'OK\0'], [XS_TRANSACTION_END, 3, tx, 'OK\0'],
    ]);
  });

  it('answers an error with an ERROR message carrying the errno name, req_id echoed', () => {
    const { guest, xs } = setup();
    guest.send(XS_READ, 'nosuch\0', { reqId: 42 });
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ type: XS_ERROR, reqId: 42, text: 'ENOENT\0' })]);
  });

  it('answers several requests of one notification in order', () => {
    const { guest, xs } = setup();
    guest.send(XS_READ, 'domid\0', { reqId: 1 });
    guest.send(XS_READ, 'name\0', { reqId: 2 });
    guest.send(XS_READ, 'nosuch\0', { reqId: 3 });
    xs.service();
    expect(guest.receive().map((r) => [r.reqId, r.text])).toEqual([[1, '3'], [2, 'ringtest'], [3, 'ENOENT\0']]);
  });

  it('sends WATCH\'s OK first, then the initial WATCH_EVENT with req_id 0', () => {
    const { guest, xs } = setup();
    guest.send(XS_WATCH, 'control/shutdown\0tok\0', { reqId: 5 });
    xs.service();
    expect(guest.receive().map((r) => [r.type, r.reqId, r.txId, r.text])).toEqual([
      [XS_WATCH, 5, 0, 'OK\0'], [XS_WATCH_EVENT, 0, 0, 'control/shutdown\0tok\0'],
    ]);
  });

  it('reads a request that wraps around the end of req[]', () => {
    const { guest, xs } = setup({ startAt: 1016 });
    guest.send(XS_READ, 'memory/target\0', { reqId: 7 });
    expect(guest.u32(XS_RING_REQ_PROD)).toBe(1016 + 16 + 14);
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ reqId: 7, text: '32768' })]);
  });

  it('writes a reply that wraps around the end of rsp[]', () => {
    const { guest, xs } = setup({ startAt: 1020 });
    guest.send(XS_READ, 'name\0', { reqId: 8 });
    xs.service();
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(1020 + 16 + 8);
    expect(guest.receive()).toEqual([expect.objectContaining({ reqId: 8, text: 'ringtest' })]);
  });

  it('keeps working when the free-running indices wrap past 2^32', () => {
    const { guest, xs } = setup({ startAt: 0xfffffff8 });
    for (let i = 0; i < 3; i++) {
      guest.send(XS_READ, 'domid\0', { reqId: i });
      xs.service();
      indicesSane(guest);
      expect(guest.receive()).toEqual([expect.objectContaining({ reqId: i, text: '3' })]);
    }
    expect(guest.u32(XS_RING_RSP_PROD)).toBe((0xfffffff8 + 3 * 17) >>> 0);
    expect(guest.u32(XS_RING_REQ_CONS)).toBe((0xfffffff8 + 3 * 22) >>> 0);
  });

  it('waits for the rest of a request split across notifications, header included', () => {
    const { guest, xs } = setup();
    guest.send(XS_READ, 'domid\0', { reqId: 9, maxBytes: 10 });
    expect(xs.service()).toBe(true); // it consumed the bytes: the guest may have waited for room
    expect(guest.u32(XS_RING_REQ_CONS)).toBe(10);
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(0);
    guest.push(8);
    xs.service();
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(0);
    guest.push();
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ reqId: 9, text: '3' })]);
  });

  it('takes a request arriving one byte per notification', () => {
    const { guest, xs } = setup({ startAt: 1010 });
    guest.send(XS_WRITE, 'data/slow\0value', { reqId: 11, maxBytes: 1 });
    let replies = guest.receive();
    while (guest.unsent > 0) {
      expect(replies).toEqual([]);
      xs.service();
      guest.push(1);
      replies = guest.receive();
    }
    xs.service();
    expect([...replies, ...guest.receive()]).toEqual([expect.objectContaining({ reqId: 11, text: 'OK\0' })]);
    expect(xs.store.read('/local/domain/3/data/slow')).toBe('value');
  });

  it('takes a request of the largest payload, fed through the ring in pieces', () => {
    const { guest, xs } = setup();
    const value = 'v'.repeat(4096 - 'data/big\0'.length);
    guest.send(XS_WRITE, `data/big\0${value}`, { reqId: 12 });
    const replies = [];
    for (let i = 0; i < 10 && (guest.unsent > 0 || replies.length === 0); i++) {
      xs.service();
      guest.push();
      replies.push(...guest.receive());
    }
    expect(replies).toEqual([expect.objectContaining({ reqId: 12, text: 'OK\0' })]);
    expect(xs.store.read('/local/domain/3/data/big')).toBe(value);
  });

  it('never fills rsp[] beyond rsp_cons + 1024, and sends the rest of a long reply as the guest reads', () => {
    const { guest, xs } = setup({ startAt: 500 });
    const value = 'abcdefghij'.repeat(300);
    xs.store.write('/local/domain/3/data/long', value);
    guest.send(XS_READ, 'data/long\0', { reqId: 13 });
    xs.service();
    expect(guest.u32(XS_RING_RSP_PROD) - guest.u32(XS_RING_RSP_CONS)).toBe(1024);
    expect(xs.pendingBytes).toBe(16 + 3000 - 1024);
    expect(xs.service()).toBe(false); // no room: nothing to say
    const replies = drain(guest, xs, 300);
    indicesSane(guest);
    expect(replies).toEqual([expect.objectContaining({ reqId: 13, text: value })]);
    expect(xs.pendingBytes).toBe(0);
  });

  it('keeps later replies behind a long one that is still going out', () => {
    const { guest, xs } = setup();
    xs.store.write('/local/domain/3/data/long', 'L'.repeat(2000));
    guest.send(XS_READ, 'data/long\0', { reqId: 1 });
    xs.service();
    guest.send(XS_READ, 'domid\0', { reqId: 2 });
    xs.service();
    expect(drain(guest, xs).map((r) => r.reqId)).toEqual([1, 2]);
  });

  it('leaves requests in req[] while too many reply bytes wait for the guest', () => {
    const { guest, xs } = setup();
    xs.store.write('/local/domain/3/data/big', 'B'.repeat(4000));
    const per = 16 + 4000;
    const fit = Math.ceil((MAX_REPLY_BACKLOG + 1024) / per) + 1;
    for (let i = 0; i < fit + 5; i++) guest.send(XS_READ, 'data/big\0', { reqId: i });
    for (let i = 0; i < 50; i++) {
      xs.service();
      guest.push();
    }
    expect(xs.pendingBytes).toBeGreaterThanOrEqual(MAX_REPLY_BACKLOG);
    expect(xs.pendingBytes).toBeLessThan(MAX_REPLY_BACKLOG + per);
    expect(guest.u32(XS_RING_REQ_PROD)).not.toBe(guest.u32(XS_RING_REQ_CONS));
    const replies = [];
    for (let i = 0; i < 1000 && replies.length < fit + 5; i++) {
      replies.push(...guest.receive());
      guest.push();
      xs.service();
    }
    expect(replies.map((r) => r.reqId)).toEqual([...Array(fit + 5).keys()]);
  });

  it('delivers watch events caused by the host, and requestShutdown writes control/shutdown', () => {
    const { guest, xs } = setup();
    guest.send(XS_WATCH, 'control/shutdown\0sd\0', { reqId: 1 });
    xs.service();
    guest.receive();
    expect(xs.requestShutdown('reboot')).toBe(true);
    expect(xs.store.read('/local/domain/3/control/shutdown')).toBe('reboot');
    expect(guest.receive()).toEqual([expect.objectContaining({ type: XS_WATCH_EVENT, reqId: 0, text: 'control/shutdown\0sd\0' })]);
  });

  it('queues host-caused events until service() when written to the store directly', () => {
    const { guest, xs } = setup();
    guest.send(XS_WATCH, 'memory/target\0m\0', { reqId: 1 });
    xs.service();
    guest.receive();
    xs.store.write('/local/domain/3/memory/target', '16384');
    expect(guest.receive()).toEqual([]);
    expect(xs.service()).toBe(true);
    expect(guest.receive()).toEqual([expect.objectContaining({ type: XS_WATCH_EVENT, text: 'memory/target\0m\0' })]);
  });

  it('requestShutdown refuses an unknown reason and asks for no notification without a watcher', () => {
    const { xs } = setup();
    expect(() => xs.requestShutdown('halt' as never)).toThrow(/^shutdown reason must be poweroff, reboot or suspend, got halt$/);
    expect(xs.requestShutdown('poweroff')).toBe(false);
    expect(xs.store.read('/local/domain/3/control/shutdown')).toBe('poweroff');
  });

  it('a request longer than 4096 bytes is a protocol error: error = 3, and the ring stops', () => {
    const { guest, xs, mem } = setup();
    const bad = encodeMessage({ type: XS_READ, reqId: 1, txId: 0, payload: new Uint8Array(0) });
    new DataView(bad.buffer).setUint32(12, 4097, true);
    mem.set(bad, 0);
    guest.setU32(XS_RING_REQ_PROD, 16);
    expect(xs.service()).toBe(true);
    expect(guest.u32(XS_RING_ERROR)).toBe(XENSTORE_ERROR_PROTO);
    expect(xs.failure).toMatch(/4097 payload bytes/);
    guest.send(XS_READ, 'domid\0');
    expect(xs.service()).toBe(false);
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(0);
  });

  it('req_prod more than a ring ahead of req_cons is a ring index error: error = 2', () => {
    const { guest, xs } = setup();
    guest.setU32(XS_RING_REQ_PROD, 1025);
    expect(xs.service()).toBe(true);
    expect(guest.u32(XS_RING_ERROR)).toBe(XENSTORE_ERROR_RINGIDX);
  });

  it('rsp_cons moved past rsp_prod is a ring index error when a reply is due', () => {
    const { guest, xs } = setup();
    guest.setU32(XS_RING_RSP_CONS, 5);
    guest.send(XS_READ, 'domid\0');
    expect(xs.service()).toBe(true);
    expect(guest.u32(XS_RING_ERROR)).toBe(XENSTORE_ERROR_RINGIDX);
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(0);
  });

  it('reconnects on request: indices and error zeroed, watches and queued bytes forgotten, then connected', () => {
    const { guest, xs } = setup({ startAt: 300 });
    guest.send(XS_WATCH, 'control\0c\0', { reqId: 1 });
    guest.send(XS_READ, 'domid\0', { reqId: 2, maxBytes: 5 }); // the backend holds part of a header
    xs.service();
    expect(guest.u32(XS_RING_RSP_PROD)).toBe(300 + 16 + 3 + 16 + 10);
    guest.setU32(XS_RING_CONNECTION, XENSTORE_RECONNECT);
    expect(xs.service()).toBe(true);
    for (const off of [XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD, XS_RING_ERROR]) expect(guest.u32(off), String(off)).toBe(0);
    expect(guest.u32(XS_RING_CONNECTION)).toBe(XENSTORE_CONNECTED);
    xs.store.write('/local/domain/3/control/x', '1');
    expect(xs.service()).toBe(false);
    const fresh = new XenStoreGuest(guest.mem);
    fresh.send(XS_READ, 'name\0', { reqId: 3 });
    xs.service();
    expect(fresh.receive()).toEqual([expect.objectContaining({ reqId: 3, text: 'ringtest' })]);
  });

  it('a reconnection also clears a protocol error', () => {
    const { guest, xs } = setup();
    guest.setU32(XS_RING_REQ_PROD, 2000);
    xs.service();
    expect(xs.failure).not.toBe('');
    guest.setU32(XS_RING_CONNECTION, XENSTORE_RECONNECT);
    xs.service();
    expect(xs.failure).toBe('');
    guest.send(XS_READ, 'domid\0', { reqId: 4 });
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ reqId: 4, text: '3' })]);
  });

  it('works on a ring page inside a larger memory, touching only that page', () => {
    const { guest, xs, mem } = setup({ base: 3 * 4096 });
    guest.send(XS_READ, 'domid\0', { reqId: 1 });
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ text: '3' })]);
    expect(mem.subarray(0, 3 * 4096).every((b) => b === 0)).toBe(true);
  });

  it('works on a view that starts inside its buffer (a subarray)', () => {
    const buffer = new Uint8Array(3 * 4096);
    const mem = buffer.subarray(100, 100 + 2 * 4096);
    const guest = new XenStoreGuest(mem, 4096);
    const xs = new XenStoreBackend(mem, 4096, DOMAIN);
    guest.send(XS_READ, 'name\0', { reqId: 2 });
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ reqId: 2, text: 'ringtest' })]);
  });

  it('answers EIO, and keeps the cause, when the store itself fails', () => {
    const { guest, xs } = setup();
    xs.store.request = () => {
      throw new Error('boom');
    };
    guest.send(XS_READ, 'domid\0', { reqId: 6 });
    xs.service();
    expect(guest.receive()).toEqual([expect.objectContaining({ type: XS_ERROR, reqId: 6, text: 'EIO\0' })]);
    expect(xs.internalError).toBe('request type 2: boom');
  });

  it('refuses a ring page outside the memory', () => {
    expect(() => new XenStoreBackend(new Uint8Array(4096), 1, DOMAIN)).toThrow(/outside the 4096-byte memory/);
  });
});
