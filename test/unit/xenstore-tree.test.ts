// The xenstore database (workers/backends/xenstore-tree.ts) driven message by message, as a guest's
// connection would: paths, every request type of xen-pv-abi.md 5.2, permissions, watches and
// transactions, plus the start-of-day tree a domU gets (introduceDomain). The ring transport has
// its own tests (xenstore-ring.test.ts).
import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTIONS, MAX_WATCHES, XenStore, type Connection } from '../../workers/backends/xenstore-tree.ts';
import { introduceDomain } from '../../workers/backends/xenstore.ts';
import {
  XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE,
  XS_MKDIR, XS_READ, XS_RESET_WATCHES, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START,
  XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE, XsError, ascii, latin1,
} from '../../workers/backends/xenstore-wire.ts';

const UUID = '00112233-4455-6677-8899-aabbccddeeff';
const HOME = '/local/domain/1';

function setup() {
  const store = new XenStore();
  introduceDomain(store, {
    domid: 1, name: 'guest', uuid: UUID, memoryKiB: 65536, store: { mfn: 10, port: 1 }, console: { mfn: 11, port: 2 },
  });
  const guest = store.connect(1);
  const other = store.connect(2);
  /** Sends one request on `conn` (default: domain 1); returns the reply type and payload text. */
  const ask = (type: number, payload: string, tx = 0, conn: Connection = guest) => {
    const r = store.request(conn, type, tx, ascii(payload));
    return { type: r.type, text: latin1(r.payload) };
  };
  const ok = (type: number, text = 'OK\0') => ({ type, text });
  return { store, guest, other, ask, ok, events: (c: Connection = guest) => c.takeEvents() };
}

const err = (errno: string) => ({ type: XS_ERROR, text: `${errno}\0` });

/** Starts a transaction on the guest's connection and returns its id. */
function begin(ask: ReturnType<typeof setup>['ask']): number {
  const r = ask(XS_TRANSACTION_START, '\0');
  expect(r.type).toBe(XS_TRANSACTION_START);
  expect(r.text).toMatch(/^[1-9][0-9]*\0$/);
  return Number(r.text.slice(0, -1));
}

describe('paths', () => {
  it('resolves a relative path below /local/domain/<domid>', () => {
    const { ask, store } = setup();
    expect(ask(XS_WRITE, 'data/x\0v')).toEqual({ type: XS_WRITE, text: 'OK\0' });
    expect(store.read(`${HOME}/data/x`)).toBe('v');
    expect(ask(XS_READ, `${HOME}/data/x\0`)).toEqual({ type: XS_READ, text: 'v' });
  });

  it('rejects a trailing slash, an empty component, odd characters and a relative @name with EINVAL', () => {
    const { ask } = setup();
    for (const p of ['data/', 'data//x', '/local//domain', 'da ta', 'dat\u00e9', '@foo', '']) {
      expect(ask(XS_READ, `${p}\0`), p).toEqual(err('EINVAL'));
    }
  });

  it('rejects relative paths over 2048 bytes and absolute ones over 3072 with EINVAL', () => {
    const { ask } = setup();
    expect(ask(XS_WRITE, `${'a'.repeat(2049)}\0v`)).toEqual(err('EINVAL'));
    expect(ask(XS_WRITE, `${'a'.repeat(2048)}\0v`).type).toBe(XS_WRITE);
    expect(ask(XS_READ, `/${'a'.repeat(3072)}\0`)).toEqual(err('EINVAL'));
  });

  it('rejects a path argument without its NUL, or with stray bytes after it, with EINVAL', () => {
    const { ask } = setup();
    expect(ask(XS_READ, 'domid')).toEqual(err('EINVAL'));
    expect(ask(XS_READ, 'domid\0junk')).toEqual(err('EINVAL'));
  });
});

describe('READ and WRITE', () => {
  it('READ returns the value bytes without a NUL', () => {
    const { ask } = setup();
    expect(ask(XS_READ, 'domid\0')).toEqual({ type: XS_READ, text: '1' });
    expect(ask(XS_READ, 'name\0')).toEqual({ type: XS_READ, text: 'guest' });
  });

  it('READ of a missing node is ENOENT', () => {
    const { ask } = setup();
    expect(ask(XS_READ, 'nosuch\0')).toEqual(err('ENOENT'));
  });

  it('WRITE keeps the value as raw bytes, NULs included', () => {
    const { ask } = setup();
    expect(ask(XS_WRITE, 'data/bin\0a\0b\xff').type).toBe(XS_WRITE);
    expect(ask(XS_READ, 'data/bin\0')).toEqual({ type: XS_READ, text: 'a\0b\xff' });
  });

  it('WRITE creates missing parents with empty values', () => {
    const { ask } = setup();
    ask(XS_WRITE, 'a/b/c\0deep');
    expect(ask(XS_READ, 'a\0')).toEqual({ type: XS_READ, text: '' });
    expect(ask(XS_READ, 'a/b\0')).toEqual({ type: XS_READ, text: '' });
    expect(ask(XS_DIRECTORY, 'a\0')).toEqual({ type: XS_DIRECTORY, text: 'b\0' });
  });

  it('WRITE replaces a value and keeps the node\'s children', () => {
    const { ask } = setup();
    ask(XS_WRITE, 'a/b\0child');
    ask(XS_WRITE, 'a\0parent');
    expect(ask(XS_READ, 'a\0').text).toBe('parent');
    expect(ask(XS_READ, 'a/b\0').text).toBe('child');
  });

  it('an empty WRITE value makes an empty node', () => {
    const { ask } = setup();
    expect(ask(XS_WRITE, 'e\0').type).toBe(XS_WRITE);
    expect(ask(XS_READ, 'e\0')).toEqual({ type: XS_READ, text: '' });
  });

  it('a guest cannot write outside its home: EACCES', () => {
    const { ask, store } = setup();
    expect(ask(XS_WRITE, '/local/x\0v')).toEqual(err('EACCES'));
    expect(ask(XS_WRITE, '/local/domain/2/x\0v')).toEqual(err('EACCES'));
    expect(store.read('/local/x')).toBeUndefined();
  });

  it('a guest cannot read another domain\'s home: EACCES', () => {
    const { ask, other } = setup();
    expect(ask(XS_READ, `${HOME}/name\0`, 0, other)).toEqual(err('EACCES'));
  });

  it('the host refuses values larger than one READ reply', () => {
    const { store } = setup();
    expect(() => store.write(`${HOME}/big`, 'x'.repeat(4097))).toThrow(XsError);
    store.write(`${HOME}/big`, 'x'.repeat(4096));
    expect(store.read(`${HOME}/big`)).toHaveLength(4096);
  });
});

describe('MKDIR, RM and DIRECTORY', () => {
  it('MKDIR makes an empty node and leaves an existing one as it was', () => {
    const { ask } = setup();
    expect(ask(XS_MKDIR, 'newdir\0')).toEqual({ type: XS_MKDIR, text: 'OK\0' });
    expect(ask(XS_READ, 'newdir\0').text).toBe('');
    expect(ask(XS_MKDIR, 'name\0')).toEqual({ type: XS_MKDIR, text: 'OK\0' });
    expect(ask(XS_READ, 'name\0').text).toBe('guest');
  });

  it('RM removes a node with everything below it', () => {
    const { ask } = setup();
    ask(XS_WRITE, 't/a/b\0x');
    ask(XS_WRITE, 't/c\0y');
    expect(ask(XS_RM, 't\0')).toEqual({ type: XS_RM, text: 'OK\0' });
    expect(ask(XS_READ, 't/a/b\0')).toEqual(err('ENOENT'));
    expect(ask(XS_READ, 't\0')).toEqual(err('ENOENT'));
  });

  it('RM of a missing node is OK when its parent exists, ENOENT when it does not', () => {
    const { ask } = setup();
    expect(ask(XS_RM, 'control/nosuch\0')).toEqual({ type: XS_RM, text: 'OK\0' });
    expect(ask(XS_RM, 'nosuch/child\0')).toEqual(err('ENOENT'));
  });

  it('RM of the root is EINVAL and of a foreign node EACCES', () => {
    const { ask, store } = setup();
    expect(ask(XS_RM, '/\0')).toEqual(err('EINVAL'));
    expect(ask(XS_RM, '/vm\0')).toEqual(err('EACCES'));
    expect(store.directory('/vm')).toEqual([UUID]);
  });

  it('DIRECTORY lists children in creation order, each NUL-terminated; an empty one has len 0', () => {
    const { ask } = setup();
    ask(XS_WRITE, 'l/zeta\0');
    ask(XS_WRITE, 'l/alpha\0');
    ask(XS_WRITE, 'l/mid\0');
    expect(ask(XS_DIRECTORY, 'l\0')).toEqual({ type: XS_DIRECTORY, text: 'zeta\0alpha\0mid\0' });
    expect(ask(XS_DIRECTORY, 'device\0')).toEqual({ type: XS_DIRECTORY, text: '' });
    expect(ask(XS_DIRECTORY, 'nosuch\0')).toEqual(err('ENOENT'));
  });

  it('DIRECTORY of a list over 4096 bytes is E2BIG, and DIRECTORY_PART pages through it', () => {
    const { ask } = setup();
    const names = Array.from({ length: 300 }, (_, i) => `entry-number-${String(i).padStart(4, '0')}`);
    for (const n of names) ask(XS_MKDIR, `big/${n}\0`);
    expect(ask(XS_DIRECTORY, 'big\0')).toEqual(err('E2BIG'));
    const got: string[] = [];
    let offset = 0;
    let gen = '';
    for (let part = 0; part < 10; part++) {
      const r = ask(XS_DIRECTORY_PART, `big\0${offset}\0`);
      expect(r.type).toBe(XS_DIRECTORY_PART);
      expect(r.text.length).toBeLessThanOrEqual(4096);
      const [g, ...rest] = r.text.split('\0');
      if (gen) expect(g).toBe(gen);
      gen = g;
      const list = r.text.slice(g.length + 1);
      if (list.endsWith('\0\0') || list === '\0') {
        got.push(...list.split('\0').filter(Boolean));
        break;
      }
      expect(rest.length).toBeGreaterThan(1);
      got.push(...list.split('\0').filter(Boolean));
      offset += list.length;
    }
    expect(got).toEqual(names);
  });

  it('DIRECTORY_PART past the end returns the generation and an empty string', () => {
    const { ask } = setup();
    const r = ask(XS_DIRECTORY_PART, 'control\0' + '100\0');
    expect(r.text).toMatch(/^[0-9]+\0\0$/);
  });
});

describe('permissions', () => {
  it('the home belongs to the domain (n<domid>) and what it creates inherits that', () => {
    const { ask } = setup();
    expect(ask(XS_GET_PERMS, '\u002flocal/domain/1\0')).toEqual({ type: XS_GET_PERMS, text: 'n1\0' });
    ask(XS_WRITE, 'made\0x');
    expect(ask(XS_GET_PERMS, 'made\0')).toEqual({ type: XS_GET_PERMS, text: 'n1\0' });
  });

  it('SET_PERMS by the owner takes effect; GET_PERMS returns every entry', () => {
    const { ask } = setup();
    ask(XS_WRITE, 'shared\0x');
    expect(ask(XS_SET_PERMS, 'shared\0n1\0r2\0w3\0')).toEqual({ type: XS_SET_PERMS, text: 'OK\0' });
    expect(ask(XS_GET_PERMS, 'shared\0').text).toBe('n1\0r2\0w3\0');
  });

  it('an r<domid> entry lets that domain read; others get the first entry\'s access', () => {
    const { ask, store, other } = setup();
    const third = store.connect(3);
    ask(XS_WRITE, 'shared\0x');
    ask(XS_SET_PERMS, 'shared\0n1\0r2\0');
    expect(ask(XS_READ, `${HOME}/shared\0`, 0, other)).toEqual({ type: XS_READ, text: 'x' });
    expect(ask(XS_WRITE, `${HOME}/shared\0y`, 0, other)).toEqual(err('EACCES'));
    expect(ask(XS_READ, `${HOME}/shared\0`, 0, third)).toEqual(err('EACCES'));
    ask(XS_SET_PERMS, 'shared\0b1\0');
    expect(ask(XS_WRITE, `${HOME}/shared\0y`, 0, third)).toEqual({ type: XS_WRITE, text: 'OK\0' });
  });

  it('a node created by another domain in a writable directory belongs to its creator', () => {
    const { ask, store, other } = setup();
    ask(XS_WRITE, 'drop\0');
    ask(XS_SET_PERMS, 'drop\0n1\0w2\0');
    expect(ask(XS_WRITE, `${HOME}/drop/note\0hi`, 0, other).type).toBe(XS_WRITE);
    expect(store.getPerms(`${HOME}/drop/note`)).toEqual(['n2', 'w2']);
  });

  it('only the owner may SET_PERMS (EACCES) and it may not give the node away (EPERM)', () => {
    const { ask, other } = setup();
    ask(XS_WRITE, 'shared\0x');
    ask(XS_SET_PERMS, 'shared\0b1\0');
    expect(ask(XS_SET_PERMS, `${HOME}/shared\0n2\0`, 0, other)).toEqual(err('EACCES'));
    expect(ask(XS_SET_PERMS, 'shared\0n2\0')).toEqual(err('EPERM'));
  });

  it('SET_PERMS with a malformed entry or none at all is EINVAL', () => {
    const { ask } = setup();
    for (const p of ['name\0x1\0', 'name\0n\0', 'name\0n70000\0', 'name\0']) expect(ask(XS_SET_PERMS, p), p).toEqual(err('EINVAL'));
  });

  it('the privileged host may change any node\'s owner', () => {
    const { store, ask } = setup();
    store.setPerms(`${HOME}/name`, ['n0', 'r1']);
    expect(ask(XS_GET_PERMS, 'name\0').text).toBe('n0\0r1\0');
    expect(ask(XS_WRITE, 'name\0x')).toEqual(err('EACCES'));
    expect(ask(XS_READ, 'name\0').text).toBe('guest');
  });
});

describe('watches', () => {
  it('WATCH answers OK and queues at once an event with the path as given and the token', () => {
    const { ask, events } = setup();
    expect(ask(XS_WATCH, 'control/shutdown\0tok\0')).toEqual({ type: XS_WATCH, text: 'OK\0' });
    expect(events()).toEqual([{ path: 'control/shutdown', token: 'tok' }]);
  });

  it('fires for a write at or below the watched path, reporting the changed node', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'device\0t\0');
    events();
    ask(XS_WRITE, 'device\0x');
    ask(XS_WRITE, 'device/vif/0/state\0' + '1');
    expect(events()).toEqual([{ path: 'device', token: 't' }, { path: 'device/vif/0/state', token: 't' }]);
  });

  it('does not fire for a parent, a sibling or a name sharing the prefix', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control/shutdown\0t\0');
    events();
    ask(XS_WRITE, 'control\0x');
    ask(XS_WRITE, 'control/sysrq\0x');
    ask(XS_WRITE, 'control/shutdownx\0x');
    expect(events()).toEqual([]);
  });

  it('a relative watch reports relative paths, an absolute one absolute paths', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'memory\0rel\0');
    ask(XS_WATCH, `${HOME}/memory\0abs\0`);
    events();
    ask(XS_WRITE, 'memory/target\0' + '1024');
    expect(events()).toEqual([{ path: 'memory/target', token: 'rel' }, { path: `${HOME}/memory/target`, token: 'abs' }]);
  });

  it('fires for changes made by others, the host included', () => {
    const { ask, events, store, other } = setup();
    ask(XS_WATCH, 'control/shutdown\0t\0');
    events();
    store.write(`${HOME}/control/shutdown`, 'poweroff');
    expect(events()).toEqual([{ path: 'control/shutdown', token: 't' }]);
    ask(XS_WRITE, 'pub\0');
    ask(XS_SET_PERMS, 'pub\0b1\0');
    ask(XS_WATCH, 'pub\0p\0');
    events();
    ask(XS_WRITE, `${HOME}/pub/x\0v`, 0, other);
    expect(events()).toEqual([{ path: 'pub/x', token: 'p' }]);
  });

  it('RM fires watches on the removed node and above it with the removed path', () => {
    const { ask, events } = setup();
    ask(XS_WRITE, 'd/e/f\0x');
    ask(XS_WATCH, 'd\0above\0');
    ask(XS_WATCH, 'd/e\0exact\0');
    events();
    ask(XS_RM, 'd/e\0');
    expect(events()).toEqual([{ path: 'd/e', token: 'above' }, { path: 'd/e', token: 'exact' }]);
  });

  it('RM fires a watch on a node below the removed one with that node\'s path', () => {
    const { ask, events } = setup();
    ask(XS_WRITE, 'd/e/f\0x');
    ask(XS_WATCH, 'd/e/f\0below\0');
    ask(XS_WATCH, 'd/e/nosuch\0never\0');
    events();
    ask(XS_RM, 'd\0');
    expect(events()).toEqual([{ path: 'd/e/f', token: 'below' }]);
  });

  it('MKDIR of an existing node and RM of a missing one fire nothing', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control\0t\0');
    events();
    ask(XS_MKDIR, 'control\0');
    ask(XS_RM, 'control/nosuch\0');
    expect(events()).toEqual([]);
  });

  it('SET_PERMS fires the node\'s watches', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'name\0t\0');
    events();
    ask(XS_SET_PERMS, 'name\0n1\0r0\0');
    expect(events()).toEqual([{ path: 'name', token: 't' }]);
  });

  it('does not tell a watcher about a node it cannot read', () => {
    const { ask, events, other } = setup();
    ask(XS_WATCH, `${HOME}\0peek\0`, 0, other);
    expect(events(other)).toEqual([{ path: HOME, token: 'peek' }]);
    ask(XS_WRITE, 'secret\0x');
    expect(events(other)).toEqual([]);
    ask(XS_WRITE, 'public\0x');
    ask(XS_SET_PERMS, 'public\0n1\0r2\0');
    expect(events(other)).toEqual([{ path: `${HOME}/public`, token: 'peek' }]);
  });

  it('a second WATCH with the same path and token is EEXIST; another token is a second watch', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'cpu\0a\0');
    expect(ask(XS_WATCH, 'cpu\0a\0')).toEqual(err('EEXIST'));
    expect(ask(XS_WATCH, `${HOME}/cpu\0a\0`)).toEqual(err('EEXIST'));
    expect(ask(XS_WATCH, 'cpu\0b\0').type).toBe(XS_WATCH);
    events();
    ask(XS_WRITE, 'cpu/0/availability\0offline');
    expect(events().map((e) => e.token)).toEqual(['a', 'b']);
  });

  it('accepts special @names, which node changes never fire', () => {
    const { ask, events } = setup();
    expect(ask(XS_WATCH, '@releaseDomain\0r\0')).toEqual({ type: XS_WATCH, text: 'OK\0' });
    expect(events()).toEqual([{ path: '@releaseDomain', token: 'r' }]);
    ask(XS_WRITE, 'x\0y');
    expect(events()).toEqual([]);
  });

  it('refuses more than MAX_WATCHES watches with E2BIG', () => {
    const { ask } = setup();
    for (let i = 0; i < MAX_WATCHES; i++) expect(ask(XS_WATCH, `w\0${i}\0`).type).toBe(XS_WATCH);
    expect(ask(XS_WATCH, 'w\0last\0')).toEqual(err('E2BIG'));
  });

  it('refuses a token too long for its events to fit a message with E2BIG', () => {
    const { ask } = setup();
    expect(ask(XS_WATCH, `w\0${'t'.repeat(1023)}\0`)).toEqual(err('E2BIG'));
    expect(ask(XS_WATCH, `w\0${'t'.repeat(1022)}\0`).type).toBe(XS_WATCH);
  });

  it('WATCH without a token is EINVAL', () => {
    const { ask } = setup();
    expect(ask(XS_WATCH, 'control\0')).toEqual(err('EINVAL'));
  });

  it('UNWATCH stops the events; an unknown watch is ENOENT', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control\0t\0');
    expect(ask(XS_UNWATCH, 'control\0t\0')).toEqual({ type: XS_UNWATCH, text: 'OK\0' });
    events();
    ask(XS_WRITE, 'control/x\0y');
    expect(events()).toEqual([]);
    expect(ask(XS_UNWATCH, 'control\0t\0')).toEqual(err('ENOENT'));
  });

  it('RESET_WATCHES drops every watch and open transaction of the connection', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control\0t\0');
    const tx = begin(ask);
    expect(ask(XS_RESET_WATCHES, '')).toEqual({ type: XS_RESET_WATCHES, text: 'OK\0' });
    events();
    ask(XS_WRITE, 'control/x\0y');
    expect(events()).toEqual([]);
    expect(ask(XS_READ, 'domid\0', tx)).toEqual(err('ENOENT'));
  });
});

describe('transactions', () => {
  it('TRANSACTION_START returns a new decimal id each time', () => {
    const { ask } = setup();
    const a = begin(ask);
    const b = begin(ask);
    expect(a).not.toBe(b);
  });

  it('a transaction sees its own writes; others see them only after the commit', () => {
    const { ask } = setup();
    const tx = begin(ask);
    ask(XS_WRITE, 'data/t\0new', tx);
    expect(ask(XS_READ, 'data/t\0', tx).text).toBe('new');
    expect(ask(XS_READ, 'data/t\0')).toEqual(err('ENOENT'));
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual({ type: XS_TRANSACTION_END, text: 'OK\0' });
    expect(ask(XS_READ, 'data/t\0').text).toBe('new');
  });

  it('a transaction reads from its snapshot, not later changes of nodes it has not read', () => {
    const { ask, store } = setup();
    const tx = begin(ask);
    store.write(`${HOME}/name`, 'renamed');
    expect(ask(XS_READ, 'name\0', tx).text).toBe('guest');
  });

  it('watches fire at the commit, not before', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control\0t\0');
    events();
    const tx = begin(ask);
    ask(XS_WRITE, 'control/shutdown\0', tx);
    ask(XS_RM, 'control/shutdown\0', tx);
    ask(XS_WRITE, 'control/x\0' + '1', tx);
    expect(events()).toEqual([]);
    ask(XS_TRANSACTION_END, 'T\0', tx);
    expect(events()).toEqual([
      { path: 'control/shutdown', token: 't' }, { path: 'control/shutdown', token: 't' }, { path: 'control/x', token: 't' },
    ]);
  });

  it('an abort (F) discards the changes and fires nothing', () => {
    const { ask, events } = setup();
    ask(XS_WATCH, 'control\0t\0');
    events();
    const tx = begin(ask);
    ask(XS_WRITE, 'control/x\0' + '1', tx);
    expect(ask(XS_TRANSACTION_END, 'F\0', tx)).toEqual({ type: XS_TRANSACTION_END, text: 'OK\0' });
    expect(ask(XS_READ, 'control/x\0')).toEqual(err('ENOENT'));
    expect(events()).toEqual([]);
  });

  it('a commit is EAGAIN when a node the transaction read changed meanwhile, and ends it', () => {
    const { ask, store } = setup();
    const tx = begin(ask);
    ask(XS_READ, 'control/shutdown\0', tx);
    ask(XS_WRITE, 'data/result\0done', tx);
    store.write(`${HOME}/control/shutdown`, 'reboot');
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual(err('EAGAIN'));
    expect(ask(XS_READ, 'data/result\0')).toEqual(err('ENOENT'));
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual(err('ENOENT'));
  });

  it('a commit is EAGAIN when a node it created was created by someone else meanwhile', () => {
    const { ask, store } = setup();
    const tx = begin(ask);
    ask(XS_WRITE, 'data/slot\0mine', tx);
    store.write(`${HOME}/data/slot`, 'theirs');
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual(err('EAGAIN'));
    expect(store.read(`${HOME}/data/slot`)).toBe('theirs');
  });

  it('a commit is EAGAIN when a directory it listed gained a child', () => {
    const { ask, store } = setup();
    const tx = begin(ask);
    ask(XS_DIRECTORY, 'device\0', tx);
    store.write(`${HOME}/device/vbd`, '');
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual(err('EAGAIN'));
  });

  it('a commit succeeds when only nodes it never looked at changed, keeping both changes', () => {
    const { ask, store } = setup();
    const tx = begin(ask);
    ask(XS_READ, 'memory/target\0', tx);
    ask(XS_WRITE, 'data/a\0' + '1', tx);
    store.write(`${HOME}/control/shutdown`, 'poweroff');
    store.write(`${HOME}/device/deep/node`, 'x');
    expect(ask(XS_TRANSACTION_END, 'T\0', tx)).toEqual({ type: XS_TRANSACTION_END, text: 'OK\0' });
    expect(store.read(`${HOME}/data/a`)).toBe('1');
    expect(store.read(`${HOME}/control/shutdown`)).toBe('poweroff');
    expect(store.read(`${HOME}/device/deep/node`)).toBe('x');
  });

  it('Linux\'s shutdown handshake: read, clear and commit control/shutdown', () => {
    const { ask, store, events } = setup();
    ask(XS_WATCH, 'control/shutdown\0shutdown\0');
    store.write(`${HOME}/control/shutdown`, 'reboot');
    expect(events()).toEqual([{ path: 'control/shutdown', token: 'shutdown' }, { path: 'control/shutdown', token: 'shutdown' }]);
    const tx = begin(ask);
    expect(ask(XS_READ, 'control/shutdown\0', tx).text).toBe('reboot');
    ask(XS_WRITE, 'control/shutdown\0', tx);
    expect(ask(XS_TRANSACTION_END, 'T\0', tx).type).toBe(XS_TRANSACTION_END);
    expect(store.read(`${HOME}/control/shutdown`)).toBe('');
    expect(events()).toEqual([{ path: 'control/shutdown', token: 'shutdown' }]);
  });

  it('a request naming an unknown transaction is ENOENT', () => {
    const { ask } = setup();
    expect(ask(XS_READ, 'domid\0', 77)).toEqual(err('ENOENT'));
  });

  it('TRANSACTION_END outside a transaction is ENOENT, and with neither T nor F EINVAL', () => {
    const { ask } = setup();
    expect(ask(XS_TRANSACTION_END, 'T\0')).toEqual(err('ENOENT'));
    const tx = begin(ask);
    expect(ask(XS_TRANSACTION_END, 'X\0', tx)).toEqual(err('EINVAL'));
  });

  it('transactions do not nest: TRANSACTION_START inside one is EBUSY', () => {
    const { ask } = setup();
    const tx = begin(ask);
    expect(ask(XS_TRANSACTION_START, '\0', tx)).toEqual(err('EBUSY'));
  });

  it('refuses more than MAX_TRANSACTIONS open transactions with ENOSPC', () => {
    const { ask } = setup();
    for (let i = 0; i < MAX_TRANSACTIONS; i++) begin(ask);
    expect(ask(XS_TRANSACTION_START, '\0')).toEqual(err('ENOSPC'));
  });

  it('transaction ids belong to their connection', () => {
    const { ask, other } = setup();
    const tx = begin(ask);
    expect(ask(XS_READ, `${HOME}/domid\0`, tx, other)).toEqual(err('ENOENT'));
  });
});

describe('other requests', () => {
  it('GET_DOMAIN_PATH answers /local/domain/<domid> with a NUL', () => {
    const { ask } = setup();
    expect(ask(XS_GET_DOMAIN_PATH, '7\0')).toEqual({ type: XS_GET_DOMAIN_PATH, text: '/local/domain/7\0' });
    expect(ask(XS_GET_DOMAIN_PATH, 'seven\0')).toEqual(err('EINVAL'));
  });

  it('toolstack-only requests are EACCES for a guest and ENOSYS for the privileged host', () => {
    const { ask, store } = setup();
    expect(ask(XS_INTRODUCE, '2\0' + '100\0' + '3\0')).toEqual(err('EACCES'));
    expect(ask(XS_CONTROL, 'print\0x\0')).toEqual(err('EACCES'));
    expect(ask(XS_INTRODUCE, '2\0' + '100\0' + '3\0', 0, store.host)).toEqual(err('ENOSYS'));
  });

  it('an unknown message type is ENOSYS', () => {
    const { ask } = setup();
    expect(ask(20, 'x\0')).toEqual(err('ENOSYS'));
    expect(ask(99, '')).toEqual(err('ENOSYS'));
  });

  it('a reply type sent as a request (WATCH_EVENT, ERROR) is EINVAL', () => {
    const { ask } = setup();
    expect(ask(XS_WATCH_EVENT, 'a\0b\0')).toEqual(err('EINVAL'));
    expect(ask(XS_ERROR, 'EIO\0')).toEqual(err('EINVAL'));
  });
});

describe('the start-of-day tree of a domU', () => {
  it('holds what xl writes for a PV guest', () => {
    const { store } = setup();
    const entries: Record<string, string> = {
      domid: '1', name: 'guest', vm: `/vm/${UUID}`, 'memory/target': '65536', 'memory/static-max': '65536',
      'cpu/0/availability': 'online', 'store/port': '1', 'store/ring-ref': '10', 'console/ring-ref': '11',
      'console/port': '2', 'console/type': 'xenconsoled', 'console/limit': '1048576', 'console/tty': '',
      control: '', device: '',
    };
    for (const [k, v] of Object.entries(entries)) expect(store.read(`${HOME}/${k}`), k).toBe(v);
    expect(store.directory('/local/domain/1/control')).toEqual([]);
    expect(store.directory('/local/domain/1/device')).toEqual([]);
    expect(store.read(`/vm/${UUID}/name`)).toBe('guest');
    expect(store.read(`/vm/${UUID}/uuid`)).toBe(UUID);
  });

  it('the domain owns everything in its home', () => {
    const { store } = setup();
    for (const p of ['', '/domid', '/control', '/memory/target', '/console/port']) expect(store.getPerms(HOME + p), p).toEqual(['n1']);
  });

  it('the domain may read its /vm entry but not change it', () => {
    const { ask } = setup();
    expect(ask(XS_READ, `/vm/${UUID}/name\0`)).toEqual({ type: XS_READ, text: 'guest' });
    expect(ask(XS_WRITE, `/vm/${UUID}/name\0x`)).toEqual(err('EACCES'));
  });

  it('has one cpu/<n>/availability per vCPU and no console entries without a console', () => {
    const store = new XenStore();
    introduceDomain(store, { domid: 4, name: 'two', uuid: UUID, memoryKiB: 1024, vcpus: 2, store: { mfn: 1, port: 1 } });
    expect(store.directory('/local/domain/4/cpu')).toEqual(['0', '1']);
    expect(store.directory('/local/domain/4/console')).toBeUndefined();
  });

  it('introducing a domain again replaces its old tree', () => {
    const { store } = setup();
    store.write(`${HOME}/stale`, 'x');
    introduceDomain(store, { domid: 1, name: 'again', uuid: UUID, memoryKiB: 2048, store: { mfn: 1, port: 1 } });
    expect(store.read(`${HOME}/stale`)).toBeUndefined();
    expect(store.read(`${HOME}/name`)).toBe('again');
  });

  it('makes a random version-4 uuid when none is given', () => {
    const store = new XenStore();
    introduceDomain(store, { domid: 2, name: 'a', memoryKiB: 1024, store: { mfn: 1, port: 1 } });
    expect(store.read('/local/domain/2/vm')).toMatch(/^\/vm\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects a bad domid, memory size or uuid with a one-line error', () => {
    const store = new XenStore();
    const base = { name: 'a', memoryKiB: 1024, store: { mfn: 1, port: 1 } };
    expect(() => introduceDomain(store, { ...base, domid: 0 })).toThrow(/^domid must be/);
    expect(() => introduceDomain(store, { ...base, domid: 1, memoryKiB: 0 })).toThrow(/^memoryKiB must be/);
    expect(() => introduceDomain(store, { ...base, domid: 1, uuid: 'nope' })).toThrow(/^uuid must look like/);
  });
});
