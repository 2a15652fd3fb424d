// The xenstore ring backend of one domain (xen-pv-abi.md 5.2; Xen's public/io/xs_wire.h struct
// xenstore_domain_interface and docs/misc/xenstore-ring.txt): takes requests from req[] however
// they wrap or split across notifications, answers them from the store (xenstore-tree.ts) and
// writes replies and watch events into rsp[] as room allows, keeping the rest queued. Also writes
// a domU's start-of-day tree, as xl does. Invariants: indices are free-running u32, slot = index &
// 1023, prod - cons never exceeds 1024; data goes in before the index that publishes it.
import type { Core } from '../core.ts';
import * as L from '../layout.gen.ts';
import { XenStore, isAtOrBelow, type Connection } from './xenstore-tree.ts';
import {
  XS_ERROR, XS_HEADER_SIZE, XS_WATCH_EVENT, XENSTORE_PAYLOAD_MAX, decodeHeader, encodeMessage, nulStrings, type XsMessage,
} from './xenstore-wire.ts';

// struct xenstore_domain_interface offsets.
export const XENSTORE_RING_SIZE = 1024;
export const XS_RING_REQ = 0;
export const XS_RING_RSP = 1024;
export const XS_RING_REQ_CONS = 2048;
export const XS_RING_REQ_PROD = 2052;
export const XS_RING_RSP_CONS = 2056;
export const XS_RING_RSP_PROD = 2060;
export const XS_RING_SERVER_FEATURES = 2064;
export const XS_RING_CONNECTION = 2068;
export const XS_RING_ERROR = 2072;
export const XS_RING_EVTCHN_PORT = 2076;

export const XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
export const XENSTORE_SERVER_FEATURE_ERROR = 2;
export const XENSTORE_CONNECTED = 0;
export const XENSTORE_RECONNECT = 1;
export const XENSTORE_ERROR_NONE = 0;
export const XENSTORE_ERROR_COMM = 1;
export const XENSTORE_ERROR_RINGIDX = 2;
export const XENSTORE_ERROR_PROTO = 3;

/** Reply bytes queued beyond which further requests wait in req[] until the guest reads rsp[]. */
export const MAX_REPLY_BACKLOG = 64 * 1024;

const MASK = XENSTORE_RING_SIZE - 1;

/** What `xl shutdown` / `xl reboot` / suspend write to control/shutdown. */
export const SHUTDOWN_REQUESTS = ['poweroff', 'reboot', 'suspend'] as const;
export type ShutdownRequest = (typeof SHUTDOWN_REQUESTS)[number];

/** What the toolstack knows about a domain when it writes the domain's start-of-day tree. */
export interface DomainEntries {
  domid: number;
  name: string;
  /** The domain's handle, as in /vm/<uuid>; a random one when absent. */
  uuid?: string;
  /** Guest RAM in KiB: memory/target and memory/static-max. */
  memoryKiB: number;
  vcpus?: number;
  store: { mfn: number; port: number };
  console?: { mfn: number; port: number; tty?: string };
}

/**
 * Writes /local/domain/<domid> (owned by the domain: n<domid>) and /vm/<uuid> (readable by it) as
 * libxl does for a PV domU; returns the domain's home path. Replaces an older tree of the same domid.
 */
export function introduceDomain(store: XenStore, d: DomainEntries): string {
  if (!Number.isInteger(d.domid) || d.domid < 1 || d.domid >= 0x7ff0) throw new Error(`domid must be a whole number from 1 to 32751, got ${d.domid}`);
  if (!Number.isInteger(d.memoryKiB) || d.memoryKiB <= 0) throw new Error(`memoryKiB must be a positive whole number, got ${d.memoryKiB}`);
  const vcpus = d.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1) throw new Error(`vcpus must be a positive whole number, got ${d.vcpus}`);
  const uuid = d.uuid ?? randomUuid();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) throw new Error(`uuid must look like 01234567-89ab-cdef-0123-456789abcdef, got ${uuid}`);

  const home = `/local/domain/${d.domid}`;
  const vm = `/vm/${uuid}`;
  // Parents first, with their permissions: what the host creates below them inherits those.
  store.rm(vm);
  store.mkdir(vm);
  store.setPerms(vm, ['n0', `r${d.domid}`]);
  store.write(`${vm}/uuid`, uuid);
  store.write(`${vm}/name`, d.name);
  store.rm(home);
  store.mkdir(home);
  store.setPerms(home, [`n${d.domid}`]);
  store.write(`${home}/domid`, String(d.domid));
  store.write(`${home}/name`, d.name);
  store.write(`${home}/vm`, vm);
  store.mkdir(`${home}/control`);
  store.mkdir(`${home}/device`);
  store.write(`${home}/memory/static-max`, String(d.memoryKiB));
  store.write(`${home}/memory/target`, String(d.memoryKiB));
  for (let cpu = 0; cpu < vcpus; cpu++) store.write(`${home}/cpu/${cpu}/availability`, 'online');
  store.write(`${home}/store/port`, String(d.store.port));
  store.write(`${home}/store/ring-ref`, String(d.store.mfn));
  if (d.console) {
    store.write(`${home}/console/ring-ref`, String(d.console.mfn));
    store.write(`${home}/console/port`, String(d.console.port));
    store.write(`${home}/console/limit`, '1048576');
    store.write(`${home}/console/type`, 'xenconsoled');
    // xenconsoled names the pty it opened; this host streams the console itself, so none unless given.
    store.write(`${home}/console/tty`, d.console.tty ?? '');
  }
  return home;
}

/** A version-4 UUID from the platform's random source (works without a secure context). */
function randomUuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class XenStoreBackend {
  readonly store: XenStore;
  /** The guest's connection to the store (its watches and transactions). */
  readonly conn: Connection;
  readonly home: string;
  readonly port: number;
  private readonly view: DataView;
  private readonly mem: Uint8Array;
  /** Index of the ring page in `mem`. */
  private readonly ring: number;
  /** The request being assembled: header, then payload. */
  private readonly incoming = new Uint8Array(XS_HEADER_SIZE + XENSTORE_PAYLOAD_MAX);
  private incomingLength = 0;
  /** Encoded messages waiting for room in rsp[], and how much of the first one is already out. */
  private readonly outgoing: Uint8Array[] = [];
  private outgoingOffset = 0;
  private backlog = 0;
  /** Why the ring was stopped (a protocol or index error), until the guest reconnects. */
  failure = '';
  /** The last error of the store itself (a bug), answered to the guest as EIO. */
  internalError = '';

  /**
   * `mem` holds the ring page at byte `ring` (a guest page in the core's memory, or a test's page).
   * Writes the domain's tree into `store` (a fresh one unless given) and advertises the features.
   */
  constructor(mem: Uint8Array, ring: number, domain: DomainEntries, store = new XenStore()) {
    if (ring < 0 || ring + L.PAGE_SIZE > mem.length) throw new Error(`the xenstore ring page at ${ring} is outside the ${mem.length}-byte memory`);
    this.mem = mem;
    this.ring = ring;
    this.view = new DataView(mem.buffer, mem.byteOffset + ring, L.PAGE_SIZE);
    this.store = store;
    this.port = domain.store.port;
    this.home = introduceDomain(store, domain);
    this.conn = store.connect(domain.domid);
    this.setU32(XS_RING_SERVER_FEATURES, XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
  }

  /**
   * The backend of a built domain: ring at machine frame DOM_STORE_MFN, event channel DOM_STORE_PORT.
   * Undefined when the domain has no xenstore (port 0, as on bare machines).
   */
  static forCore(core: Core, name: string): XenStoreBackend | undefined {
    const port = core.domU32(L.DOM_STORE_PORT);
    if (port === 0) return undefined;
    const mfn = core.domU32(L.DOM_STORE_MFN);
    const frames = core.domU32(L.DOM_TOTAL_FRAMES);
    if (mfn >= frames) throw new Error(`the xenstore ring frame 0x${mfn.toString(16)} is outside the domain's ${frames} frames`);
    const console = core.domU32(L.DOM_CONSOLE_PORT);
    return new XenStoreBackend(core.bytes, L.GUEST_RAM_BASE + mfn * L.PAGE_SIZE, {
      // A bare machine leaves DOM_DOMID 0 (dom0 is the host): it is then the builder's first domU.
      domid: core.domU32(L.DOM_DOMID) || 1,
      name,
      memoryKiB: core.domU32(L.DOM_NR_PAGES) * (L.PAGE_SIZE / 1024),
      store: { mfn, port },
      console: console !== 0 ? { mfn: core.domU32(L.DOM_CONSOLE_MFN), port: console } : undefined,
    });
  }

  private u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  private setU32(off: number, v: number): void {
    this.view.setUint32(off, v >>> 0, true);
  }

  /** Reply and event bytes not yet in rsp[]. */
  get pendingBytes(): number {
    return this.backlog;
  }

  /**
   * Serves the ring: reconnects when asked, answers every complete request, moves what fits of the
   * replies and watch events into rsp[]. Returns true when the guest should be notified (it
   * consumed requests, got replies or events, or the connection changed). Cheap when idle.
   */
  service(): boolean {
    if (this.u32(XS_RING_CONNECTION) === XENSTORE_RECONNECT) return this.reconnect();
    if (this.failure) return false;
    this.queueEvents();
    let notify = this.flush();
    notify = this.takeRequests() || notify;
    notify = this.flush() || notify;
    return notify;
  }

  /** Asks the guest to shut down (xl shutdown): writes control/shutdown, which fires its watch. */
  requestShutdown(reason: ShutdownRequest): boolean {
    if (!SHUTDOWN_REQUESTS.includes(reason)) throw new Error(`shutdown reason must be poweroff, reboot or suspend, got ${String(reason)}`);
    this.store.write(`${this.home}/control/shutdown`, reason);
    return this.service();
  }

  /**
   * What the toolstack can tell about the guest's shutdown support: whether one of its watches
   * covers control/shutdown (a request fires it now), and which control/feature-* it set to "1".
   */
  shutdownControl(): { watched: boolean; features: ShutdownRequest[] } {
    const node = `${this.home}/control/shutdown`;
    const watched = this.conn.watches.some((w) => !w.special && isAtOrBelow(node, w.abs));
    const features = SHUTDOWN_REQUESTS.filter((r) => this.store.read(`${this.home}/control/feature-${r}`) === '1');
    return { watched, features };
  }

  private takeRequests(): boolean {
    const prod = this.u32(XS_RING_REQ_PROD);
    let cons = this.u32(XS_RING_REQ_CONS);
    if (((prod - cons) >>> 0) > XENSTORE_RING_SIZE) return this.fail(XENSTORE_ERROR_RINGIDX, `req_prod ${prod} is more than a ring ahead of req_cons ${cons}`);
    const start = cons;
    while (cons !== prod) {
      // A new request waits while the guest has not read enough of our replies.
      if (this.incomingLength === 0 && this.backlog >= MAX_REPLY_BACKLOG) break;
      const need = this.incomingLength < XS_HEADER_SIZE
        ? XS_HEADER_SIZE - this.incomingLength
        : XS_HEADER_SIZE + this.payloadLength() - this.incomingLength;
      const slot = cons & MASK;
      const n = Math.min(need, (prod - cons) >>> 0, XENSTORE_RING_SIZE - slot);
      const from = this.ring + XS_RING_REQ + slot;
      this.incoming.set(this.mem.subarray(from, from + n), this.incomingLength);
      this.incomingLength += n;
      cons = (cons + n) >>> 0;
      if (this.incomingLength < XS_HEADER_SIZE) continue;
      const len = this.payloadLength();
      if (len > XENSTORE_PAYLOAD_MAX) {
        this.setU32(XS_RING_REQ_CONS, cons);
        return this.fail(XENSTORE_ERROR_PROTO, `a request claims ${len} payload bytes (most is ${XENSTORE_PAYLOAD_MAX})`);
      }
      if (this.incomingLength === XS_HEADER_SIZE + len) this.answer();
    }
    if (cons === start) return false;
    this.setU32(XS_RING_REQ_CONS, cons);
    return true;
  }

  private payloadLength(): number {
    return decodeHeader(this.incoming).len;
  }

  /** Answers the complete request in `incoming`: its reply, then the watch events it caused. */
  private answer(): void {
    const h = decodeHeader(this.incoming);
    const payload = this.incoming.slice(XS_HEADER_SIZE, XS_HEADER_SIZE + h.len);
    this.incomingLength = 0;
    let reply: { type: number; payload: Uint8Array };
    try {
      reply = this.store.request(this.conn, h.type, h.txId, payload);
    } catch (e) {
      // A bug in the store must not take the domain down: the guest sees EIO, the host keeps why.
      this.internalError = `request type ${h.type}: ${(e as Error).message}`;
      reply = { type: XS_ERROR, payload: nulStrings('EIO') };
    }
    this.enqueue({ type: reply.type, reqId: h.reqId, txId: h.txId, payload: reply.payload });
    this.queueEvents();
  }

  private queueEvents(): void {
    if (this.conn.events.length === 0) return;
    for (const e of this.conn.takeEvents()) this.enqueue({ type: XS_WATCH_EVENT, reqId: 0, txId: 0, payload: nulStrings(e.path, e.token) });
  }

  private enqueue(m: XsMessage): void {
    const bytes = encodeMessage(m);
    this.outgoing.push(bytes);
    this.backlog += bytes.length;
  }

  /** Moves queued bytes into rsp[] up to rsp_cons + ring size; true when rsp_prod moved. */
  private flush(): boolean {
    if (this.outgoing.length === 0) return false;
    const cons = this.u32(XS_RING_RSP_CONS);
    let prod = this.u32(XS_RING_RSP_PROD);
    const used = (prod - cons) >>> 0;
    if (used > XENSTORE_RING_SIZE) return this.fail(XENSTORE_ERROR_RINGIDX, `rsp_cons ${cons} is ahead of rsp_prod ${prod}`);
    let room = XENSTORE_RING_SIZE - used;
    const start = prod;
    while (room > 0 && this.outgoing.length > 0) {
      const msg = this.outgoing[0];
      const slot = prod & MASK;
      const n = Math.min(room, msg.length - this.outgoingOffset, XENSTORE_RING_SIZE - slot);
      this.mem.set(msg.subarray(this.outgoingOffset, this.outgoingOffset + n), this.ring + XS_RING_RSP + slot);
      prod = (prod + n) >>> 0;
      room -= n;
      this.backlog -= n;
      this.outgoingOffset += n;
      if (this.outgoingOffset === msg.length) {
        this.outgoing.shift();
        this.outgoingOffset = 0;
      }
    }
    if (prod === start) return false;
    // Data before index (one thread drives both sides here, so program order is enough).
    this.setU32(XS_RING_RSP_PROD, prod);
    return true;
  }

  /** Stops serving the ring and tells the guest why through the error field (feature bit 1). */
  private fail(code: number, why: string): boolean {
    this.failure = why;
    this.setU32(XS_RING_ERROR, code);
    return true;
  }

  /**
   * The guest asked to reconnect (connection = XENSTORE_RECONNECT): forget its watches,
   * transactions and everything in flight, zero the indices and the error, then report connected.
   */
  private reconnect(): boolean {
    this.incomingLength = 0;
    this.outgoing.length = 0;
    this.outgoingOffset = 0;
    this.backlog = 0;
    this.failure = '';
    this.conn.reset();
    for (const off of [XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD, XS_RING_ERROR]) this.setU32(off, 0);
    this.setU32(XS_RING_CONNECTION, XENSTORE_CONNECTED);
    return true;
  }
}
