// The xenstore database of this host ("xenstored"): nodes with values and permissions, watches and
// transactions, answering the requests of Xen's docs/misc/xenstore.txt and public/io/xs_wire.h
// (xen-pv-abi.md 5.2). Nodes are immutable once in a tree: a change copies the path from the root,
// so a transaction's snapshot is one root pointer. Each node carries the generation of its own last
// change (value, permissions or set of children names); a commit fails with EAGAIN when any node the
// transaction looked at has another generation in the live tree. Watch events queue per connection.
import {
  XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH, XS_GET_FEATURE, XS_GET_PERMS,
  XS_GET_QUOTA, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ, XS_RELEASE, XS_RESET_WATCHES,
  XS_RESUME, XS_RM, XS_SET_FEATURE, XS_SET_PERMS, XS_SET_QUOTA, XS_SET_TARGET, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE, XENSTORE_ABS_PATH_MAX,
  XENSTORE_PAYLOAD_MAX, XENSTORE_REL_PATH_MAX, XsError, ascii, nulStrings, splitArgs, utf8,
} from './xenstore-wire.ts';

/** One access-control entry: n(one), r(ead), w(rite), b(oth) for domain `id` ("r1"). */
export interface Perm {
  kind: 'n' | 'r' | 'w' | 'b';
  id: number;
}

/** Watches one domain may hold, and transactions it may have open (xenstored's default quotas). */
export const MAX_WATCHES = 128;
export const MAX_TRANSACTIONS = 10;
/** Largest value a node may hold: it must fit in one READ reply. */
export const MAX_VALUE = XENSTORE_PAYLOAD_MAX;

/** Types only a privileged connection (the toolstack) may send; unimplemented here even for it. */
const PRIVILEGED_TYPES = new Set([
  XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET,
  XS_GET_FEATURE, XS_SET_FEATURE, XS_GET_QUOTA, XS_SET_QUOTA,
]);

const EMPTY = new Uint8Array(0);
const NO_CHILDREN: ReadonlyMap<string, Node> = new Map();
const OK = nulStrings('OK');

class Node {
  constructor(
    readonly value: Uint8Array,
    readonly perms: readonly Perm[],
    /** Children in creation order (what DIRECTORY lists). */
    readonly children: ReadonlyMap<string, Node>,
    readonly gen: number,
  ) {}
}

// ---- paths ---------------------------------------------------------------------------------------

const PATH_CHARS = /^[A-Za-z0-9\-/_@]*$/;

function segments(abs: string): string[] {
  return abs === '/' ? [] : abs.slice(1).split('/');
}

function parentOf(abs: string): string {
  const i = abs.lastIndexOf('/');
  return i <= 0 ? '/' : abs.slice(0, i);
}

function baseName(abs: string): string {
  return abs.slice(abs.lastIndexOf('/') + 1);
}

/** Whether `path` is `dir` or lies below it. */
export function isAtOrBelow(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

/** The absolute form of a guest path (relative ones hang below the domain's home), or EINVAL. */
export function canonicalPath(domid: number, path: string): string {
  if (!PATH_CHARS.test(path)) throw new XsError('EINVAL', `path ${JSON.stringify(path)} has characters outside [A-Za-z0-9-/_@]`);
  const relative = !path.startsWith('/');
  if (relative && path.length > XENSTORE_REL_PATH_MAX) throw new XsError('EINVAL', `relative path longer than ${XENSTORE_REL_PATH_MAX}`);
  if (relative && path.startsWith('@')) throw new XsError('EINVAL', `${path} is a special watch name, not a node`);
  const abs = relative ? `/local/domain/${domid}/${path}` : path;
  if (abs.length > XENSTORE_ABS_PATH_MAX) throw new XsError('EINVAL', `path longer than ${XENSTORE_ABS_PATH_MAX}`);
  if (abs !== '/' && (abs.endsWith('/') || abs.includes('//'))) throw new XsError('EINVAL', `path ${JSON.stringify(path)} has an empty component`);
  return abs;
}

// ---- permissions ---------------------------------------------------------------------------------

export function parsePerm(s: string): Perm {
  const m = /^([nrwb])([0-9]{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 0xffff) throw new XsError('EINVAL', `bad permission ${JSON.stringify(s)} (want n|r|w|b then a domid)`);
  return { kind: m[1] as Perm['kind'], id: Number(m[2]) };
}

export function formatPerm(p: Perm): string {
  return `${p.kind}${p.id}`;
}

/** What `conn` may do to a node: the owner (first entry) and privileged connections may do all. */
function allows(conn: Connection, perms: readonly Perm[], want: 'r' | 'w'): boolean {
  if (conn.privileged || perms[0].id === conn.domid) return true;
  const entry = perms.slice(1).find((p) => p.id === conn.domid) ?? perms[0];
  return entry.kind === 'b' || entry.kind === want;
}

// ---- connections, watches, transactions ----------------------------------------------------------

interface Watch {
  /** As the client gave it (what events report for relative watches). */
  path: string;
  abs: string;
  token: string;
  relative: boolean;
  /** "@introduceDomain" style names: domain life-cycle events, never node changes. */
  special: boolean;
}

export interface WatchEvent {
  path: string;
  token: string;
}

/** Changes a transaction made, replayed on the live tree at commit. */
type Op =
  | { kind: 'write'; path: string; value: Uint8Array }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rm'; path: string }
  | { kind: 'perms'; path: string; perms: Perm[] };

interface Transaction {
  id: number;
  space: Space;
  ops: Op[];
}

/** One client of the store: a guest's ring, or the host's own privileged handle. */
export class Connection {
  readonly watches: Watch[] = [];
  readonly transactions = new Map<number, Transaction>();
  /** Watch events not yet sent, oldest first. */
  readonly events: WatchEvent[] = [];
  nextTxId = 1;

  constructor(readonly domid: number, readonly privileged: boolean) {}

  get home(): string {
    return `/local/domain/${this.domid}`;
  }

  takeEvents(): WatchEvent[] {
    return this.events.splice(0);
  }

  /** Forgets watches, open transactions and unsent events (XS_RESET_WATCHES, ring reconnection). */
  reset(): void {
    this.watches.length = 0;
    this.transactions.clear();
    this.events.length = 0;
  }
}

/** What one change did, for firing watches: the node's path and who could read it. */
interface Change {
  path: string;
  /** Permission sets under which the node was visible (before and after the change). */
  perms: (readonly Perm[])[];
  /** For removals: every node below `path` that went with it. */
  removed?: { path: string; perms: readonly Perm[] }[];
}

/**
 * A root being worked on: the live tree's for one request, or a transaction's private one. With
 * `accessed`, the generation (or -1 for absent) of each node is noted the first time it is looked
 * at, which is always before the transaction changes it.
 */
class Space {
  constructor(public root: Node, readonly accessed?: Map<string, number>) {}

  get(abs: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const s of segments(abs)) {
      n = n.children.get(s);
      if (!n) break;
    }
    if (this.accessed && !this.accessed.has(abs)) this.accessed.set(abs, n ? n.gen : -1);
    return n;
  }

  /** Puts (or with undefined removes) the node at `abs`; its parent must exist. */
  put(abs: string, node: Node | undefined, nextGen: () => number): void {
    const segs = segments(abs);
    if (segs.length === 0) {
      if (!node) throw new Error('the root cannot be removed');
      this.root = node;
      return;
    }
    const rebuild = (at: Node, i: number): Node => {
      const name = segs[i];
      const children = new Map(at.children);
      if (i === segs.length - 1) {
        const keysChange = !node || !at.children.has(name);
        if (node) children.set(name, node);
        else children.delete(name);
        return new Node(at.value, at.perms, children, keysChange ? nextGen() : at.gen);
      }
      const child = at.children.get(name);
      if (!child) throw new Error(`xenstore: no parent for ${abs}`);
      children.set(name, rebuild(child, i + 1));
      return new Node(at.value, at.perms, children, at.gen);
    };
    this.root = rebuild(this.root, 0);
  }
}

// ---- the store -----------------------------------------------------------------------------------

export class XenStore {
  private root: Node;
  private gen = 0;
  private readonly connections = new Set<Connection>();
  /** The host's own handle: privileged, domain 0, as the toolstack talks to xenstored. */
  readonly host: Connection;

  constructor() {
    this.root = new Node(EMPTY, [{ kind: 'n', id: 0 }], NO_CHILDREN, this.nextGen());
    this.host = new Connection(0, true);
    for (const dir of ['/local', '/local/domain', '/vm']) this.mkdir(dir);
  }

  private readonly nextGen = (): number => ++this.gen;

  /** A new client (a guest's ring). Its watch events queue in `events`. */
  connect(domid: number, privileged = false): Connection {
    const conn = new Connection(domid, privileged);
    this.connections.add(conn);
    return conn;
  }

  disconnect(conn: Connection): void {
    conn.reset();
    this.connections.delete(conn);
  }

  /**
   * Answers one request: the reply's type is the request's on success, XS_ERROR (payload = errno
   * name) on failure. Watch events it causes go to the connections' event queues.
   */
  request(conn: Connection, type: number, txId: number, payload: Uint8Array): { type: number; payload: Uint8Array } {
    try {
      return { type, payload: this.dispatch(conn, type, txId, payload) };
    } catch (e) {
      if (e instanceof XsError) return { type: XS_ERROR, payload: nulStrings(e.errno) };
      throw e;
    }
  }

  private dispatch(conn: Connection, type: number, txId: number, payload: Uint8Array): Uint8Array {
    let tx: Transaction | undefined;
    if (txId !== 0) {
      tx = conn.transactions.get(txId);
      if (!tx) throw new XsError('ENOENT', `no transaction ${txId}`);
    }
    if (PRIVILEGED_TYPES.has(type)) throw new XsError(conn.privileged ? 'ENOSYS' : 'EACCES');
    const path = (): string => canonicalPath(conn.domid, splitArgs(payload, 1).args[0]);
    switch (type) {
      case XS_READ: {
        return this.readable(conn, tx, path()).value;
      }
      case XS_DIRECTORY: {
        const list = childList(this.readable(conn, tx, path()));
        if (list.length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG');
        return list;
      }
      case XS_DIRECTORY_PART: {
        const { args } = splitArgs(payload, 2);
        const node = this.readable(conn, tx, canonicalPath(conn.domid, args[0]));
        if (!/^[0-9]+$/.test(args[1])) throw new XsError('EINVAL', `bad offset ${JSON.stringify(args[1])}`);
        return directoryPart(node, Number(args[1]));
      }
      case XS_GET_PERMS: {
        return nulStrings(...this.readable(conn, tx, path()).perms.map(formatPerm));
      }
      case XS_WRITE: {
        const { args, tail } = splitArgs(payload, 1, true);
        this.mutate(conn, tx, { kind: 'write', path: canonicalPath(conn.domid, args[0]), value: tail.slice() });
        return OK;
      }
      case XS_MKDIR:
        this.mutate(conn, tx, { kind: 'mkdir', path: path() });
        return OK;
      case XS_RM:
        this.mutate(conn, tx, { kind: 'rm', path: path() });
        return OK;
      case XS_SET_PERMS: {
        const count = payload.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
        if (count < 2) throw new XsError('EINVAL', 'SET_PERMS needs a path and at least one permission');
        const { args } = splitArgs(payload, count);
        this.mutate(conn, tx, { kind: 'perms', path: canonicalPath(conn.domid, args[0]), perms: args.slice(1).map(parsePerm) });
        return OK;
      }
      case XS_WATCH: {
        const { args } = splitArgs(payload, 2);
        this.watch(conn, args[0], args[1]);
        return OK;
      }
      case XS_UNWATCH: {
        const { args } = splitArgs(payload, 2);
        const w = watchTarget(conn, args[0]);
        const i = conn.watches.findIndex((x) => x.abs === w.abs && x.token === args[1]);
        if (i < 0) throw new XsError('ENOENT', `no watch on ${args[0]} with that token`);
        conn.watches.splice(i, 1);
        return OK;
      }
      case XS_TRANSACTION_START: {
        if (tx) throw new XsError('EBUSY', 'transactions do not nest');
        if (!conn.privileged && conn.transactions.size >= MAX_TRANSACTIONS) throw new XsError('ENOSPC', 'too many open transactions');
        let id = conn.nextTxId;
        while (id === 0 || conn.transactions.has(id)) id = (id + 1) >>> 0;
        conn.nextTxId = (id + 1) >>> 0;
        conn.transactions.set(id, { id, space: new Space(this.root, new Map()), ops: [] });
        return nulStrings(String(id));
      }
      case XS_TRANSACTION_END: {
        const arg = splitArgs(payload, 1).args[0];
        if (!tx) throw new XsError('ENOENT', 'TRANSACTION_END outside a transaction');
        if (arg !== 'T' && arg !== 'F') throw new XsError('EINVAL', `TRANSACTION_END wants T or F, got ${JSON.stringify(arg)}`);
        conn.transactions.delete(tx.id);
        if (arg === 'T') this.commit(conn, tx);
        return OK;
      }
      case XS_GET_DOMAIN_PATH: {
        const arg = splitArgs(payload, 1).args[0];
        if (!/^[0-9]{1,5}$/.test(arg) || Number(arg) > 0xffff) throw new XsError('EINVAL', `bad domid ${JSON.stringify(arg)}`);
        return nulStrings(`/local/domain/${Number(arg)}`);
      }
      case XS_RESET_WATCHES:
        conn.reset();
        return OK;
      case XS_WATCH_EVENT:
      case XS_ERROR:
        throw new XsError('EINVAL', `message type ${type} is a reply, not a request`);
      default:
        throw new XsError('ENOSYS', `unknown message type ${type}`);
    }
  }

  private readable(conn: Connection, tx: Transaction | undefined, abs: string): Node {
    const node = (tx ? tx.space : new Space(this.root)).get(abs);
    if (!node) throw new XsError('ENOENT', `${abs} does not exist`);
    if (!allows(conn, node.perms, 'r')) throw new XsError('EACCES', `${abs} is not readable by domain ${conn.domid}`);
    return node;
  }

  /** Applies a change to the live tree (firing watches) or to a transaction (logging it for commit). */
  private mutate(conn: Connection, tx: Transaction | undefined, op: Op): void {
    if (tx) {
      this.apply(conn, tx.space, op);
      tx.ops.push(op);
      return;
    }
    const space = new Space(this.root);
    const change = this.apply(conn, space, op);
    this.root = space.root;
    if (change) this.fire([change]);
  }

  private commit(conn: Connection, tx: Transaction): void {
    const live = new Space(this.root);
    for (const [path, gen] of tx.space.accessed!) {
      const now = live.get(path);
      if ((now ? now.gen : -1) !== gen) throw new XsError('EAGAIN', `${path} changed during transaction ${tx.id}`);
    }
    // Nothing the transaction looked at has changed, so its changes replay as they ran.
    const changes: Change[] = [];
    try {
      for (const op of tx.ops) {
        const c = this.apply(conn, live, op);
        if (c) changes.push(c);
      }
    } catch (e) {
      // Something it did not look at (a parent's permissions) changed: the live tree stays as it was.
      if (e instanceof XsError) throw new XsError('EAGAIN', `transaction ${tx.id} no longer applies: ${e.message}`);
      throw e;
    }
    this.root = live.root;
    this.fire(changes);
  }

  private apply(conn: Connection, s: Space, op: Op): Change | undefined {
    switch (op.kind) {
      case 'write':
        return this.applyWrite(conn, s, op.path, op.value);
      case 'mkdir':
        return this.applyWrite(conn, s, op.path, undefined);
      case 'rm':
        return this.applyRm(conn, s, op.path);
      case 'perms':
        return this.applyPerms(conn, s, op.path, op.perms);
    }
  }

  /** WRITE (value) or MKDIR (undefined: a no-op on an existing node). Creates missing parents. */
  private applyWrite(conn: Connection, s: Space, abs: string, value: Uint8Array | undefined): Change | undefined {
    if (value && value.length > MAX_VALUE) throw new XsError('E2BIG', `value of ${value.length} bytes`);
    const node = s.get(abs);
    if (node) {
      if (!allows(conn, node.perms, 'w')) throw new XsError('EACCES', `${abs} is not writable by domain ${conn.domid}`);
      if (!value) return undefined;
      s.put(abs, new Node(value, node.perms, node.children, this.nextGen()), this.nextGen);
      return { path: abs, perms: [node.perms] };
    }
    const missing = [abs];
    let at = parentOf(abs);
    let parent: Node | undefined;
    while (!(parent = s.get(at))) {
      missing.push(at);
      at = parentOf(at);
    }
    if (!allows(conn, parent.perms, 'w')) throw new XsError('EACCES', `${at} is not writable by domain ${conn.domid}`);
    // New nodes inherit the parent's permissions; an unprivileged creator owns what it creates.
    const perms = conn.privileged ? parent.perms : [{ kind: parent.perms[0].kind, id: conn.domid }, ...parent.perms.slice(1)];
    let chain = new Node(value ?? EMPTY, perms, NO_CHILDREN, this.nextGen());
    for (let i = 1; i < missing.length; i++) {
      chain = new Node(EMPTY, perms, new Map([[baseName(missing[i - 1]), chain]]), this.nextGen());
    }
    s.put(missing[missing.length - 1], chain, this.nextGen);
    return { path: abs, perms: [perms] };
  }

  private applyRm(conn: Connection, s: Space, abs: string): Change | undefined {
    if (abs === '/') throw new XsError('EINVAL', 'the root cannot be removed');
    const node = s.get(abs);
    const parent = s.get(parentOf(abs));
    if (!node) {
      // Removing what is already gone is fine, as long as its parent exists (xenstored's rule).
      if (parent) return undefined;
      throw new XsError('ENOENT', `${abs} does not exist`);
    }
    if (!allows(conn, node.perms, 'w')) throw new XsError('EACCES', `${abs} is not writable by domain ${conn.domid}`);
    const removed: { path: string; perms: readonly Perm[] }[] = [];
    const collect = (n: Node, p: string) => {
      for (const [name, child] of n.children) {
        removed.push({ path: `${p}/${name}`, perms: child.perms });
        collect(child, `${p}/${name}`);
      }
    };
    collect(node, abs);
    s.put(abs, undefined, this.nextGen);
    return { path: abs, perms: [node.perms], removed };
  }

  private applyPerms(conn: Connection, s: Space, abs: string, perms: Perm[]): Change {
    const node = s.get(abs);
    if (!node) throw new XsError('ENOENT', `${abs} does not exist`);
    if (!conn.privileged) {
      if (node.perms[0].id !== conn.domid) throw new XsError('EACCES', `only the owner (domain ${node.perms[0].id}) may set the permissions of ${abs}`);
      if (perms[0].id !== conn.domid) throw new XsError('EPERM', `domain ${conn.domid} may not give ${abs} away`);
    }
    s.put(abs, new Node(node.value, perms, node.children, this.nextGen()), this.nextGen);
    return { path: abs, perms: [node.perms, perms] };
  }

  private watch(conn: Connection, path: string, token: string): void {
    const w = watchTarget(conn, path);
    if (conn.watches.some((x) => x.abs === w.abs && x.token === token)) throw new XsError('EEXIST', `already watching ${path} with that token`);
    if (!conn.privileged && conn.watches.length >= MAX_WATCHES) throw new XsError('E2BIG', `more than ${MAX_WATCHES} watches`);
    // Every event must fit one message: the deepest possible path, the token, two NULs.
    if (XENSTORE_ABS_PATH_MAX + token.length + 2 > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG', `watch token of ${token.length} bytes`);
    const watch: Watch = { ...w, path, token };
    conn.watches.push(watch);
    // Every new watch fires once at once, so the client reads the current state.
    conn.events.push({ path, token });
  }

  /** Queues the events of these changes for every watch at or above them (or below a removal). */
  private fire(changes: Change[]): void {
    for (const c of changes) {
      for (const conn of this.connections) {
        for (const w of conn.watches) {
          if (w.special) continue;
          let path: string | undefined;
          if (isAtOrBelow(c.path, w.abs)) {
            if (c.perms.some((p) => allows(conn, p, 'r'))) path = c.path;
          } else {
            const gone = c.removed?.find((r) => r.path === w.abs);
            if (gone && allows(conn, gone.perms, 'r')) path = gone.path;
          }
          if (path === undefined) continue;
          conn.events.push({ path: w.relative ? path.slice(conn.home.length + 1) : path, token: w.token });
        }
      }
    }
  }

  // ---- the host's (toolstack's) side: privileged, watches fire as for any change ----------------

  /** The value at `path` as UTF-8 text, or undefined when there is no such node. */
  read(path: string): string | undefined {
    const node = new Space(this.root).get(canonicalPath(0, path));
    return node ? utf8.decode(node.value) : undefined;
  }

  write(path: string, value: string): void {
    this.mutate(this.host, undefined, { kind: 'write', path: canonicalPath(0, path), value: utf8.encode(value) });
  }

  mkdir(path: string): void {
    this.mutate(this.host, undefined, { kind: 'mkdir', path: canonicalPath(0, path) });
  }

  rm(path: string): void {
    this.mutate(this.host, undefined, { kind: 'rm', path: canonicalPath(0, path) });
  }

  /** Sets permissions from their string forms ("n1", "r0"); the first entry names the owner. */
  setPerms(path: string, perms: string[]): void {
    if (perms.length === 0) throw new XsError('EINVAL', 'at least one permission is needed');
    this.mutate(this.host, undefined, { kind: 'perms', path: canonicalPath(0, path), perms: perms.map(parsePerm) });
  }

  getPerms(path: string): string[] | undefined {
    return new Space(this.root).get(canonicalPath(0, path))?.perms.map(formatPerm);
  }

  /** Child names of `path` in creation order, or undefined when there is no such node. */
  directory(path: string): string[] | undefined {
    const node = new Space(this.root).get(canonicalPath(0, path));
    return node ? [...node.children.keys()] : undefined;
  }
}

/** Where a WATCH/UNWATCH path points: a node (made absolute) or a special "@..." name. */
function watchTarget(conn: Connection, path: string): Omit<Watch, 'token' | 'path'> {
  if (path.startsWith('@')) {
    if (!PATH_CHARS.test(path) || path.length > XENSTORE_REL_PATH_MAX) throw new XsError('EINVAL', `bad special watch ${JSON.stringify(path)}`);
    return { abs: path, relative: false, special: true };
  }
  return { abs: canonicalPath(conn.domid, path), relative: !path.startsWith('/'), special: false };
}

/** DIRECTORY's payload: every child name followed by a NUL. */
function childList(node: Node): Uint8Array {
  return nulStrings(...node.children.keys());
}

/**
 * DIRECTORY_PART's payload: the node's generation, then as many whole names as fit from byte
 * `offset` of the child list, then an empty string once the list's end is reached.
 */
function directoryPart(node: Node, offset: number): Uint8Array {
  const gen = `${node.gen}\0`;
  const list = childList(node);
  if (offset >= list.length) return ascii(`${gen}\0`);
  const room = XENSTORE_PAYLOAD_MAX - gen.length - 1;
  let end = offset;
  while (end < list.length) {
    const next = list.indexOf(0, end) + 1;
    if (next - offset > room) break;
    end = next;
  }
  const parts = [ascii(gen), list.subarray(offset, end)];
  if (end === list.length) parts.push(new Uint8Array(1));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
