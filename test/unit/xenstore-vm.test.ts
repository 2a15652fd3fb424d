// The xenstore backend wired into the domain host (workers/vm.ts), driven by the scripted fake core:
// a kicked store port gets its requests answered and the port raised, a reply wakes a vCPU that
// blocked waiting for it, and Vm.shutdown() reaches a guest watching control/shutdown.
import { describe, expect, it } from 'vitest';
import { Vm } from '../../workers/vm.ts';
import type { DomainConfig, DomainExit } from '../../workers/api.ts';
import * as L from '../../workers/layout.gen.ts';
import { XS_READ, XS_WATCH, XS_WATCH_EVENT, XS_WRITE } from '../../workers/backends/xenstore-wire.ts';
import { FakeCore, NR_PAGES, STORE_PORT, type Step } from './helpers/fake-core.ts';
import { XenStoreGuest, type Reply } from './helpers/xenstore-guest.ts';

const STORE_MFN = 7;
const DOMID = 4;

function boot(steps: Step[], config: Partial<DomainConfig> = {}, storePort = STORE_PORT) {
  const fake = new FakeCore(steps);
  fake.core.setU32(L.DOM_BASE + L.DOM_STORE_MFN, STORE_MFN);
  fake.core.setU32(L.DOM_BASE + L.DOM_STORE_PORT, storePort);
  fake.core.setU32(L.DOM_BASE + L.DOM_DOMID, DOMID);
  const guest = new XenStoreGuest(fake.core.bytes, L.GUEST_RAM_BASE + STORE_MFN * L.PAGE_SIZE);
  const vm = new Vm();
  let done!: (e: DomainExit) => void;
  const exit = new Promise<DomainExit>((r) => (done = r));
  vm.attach(fake.core, { kernel: new Uint8Array(), clock: 'deterministic', name: 'web1', ...config }, {
    onConsole() {},
    onExit: (e) => done(e),
  });
  return { fake, guest, vm, exit };
}

const poweroff: Step = (_, m) => {
  m.retire(1);
  m.setExit(0);
  return L.EXIT_SHUTDOWN;
};

/** A step in which the guest sends a request and kicks the store port. */
const request = (guest: () => XenStoreGuest, type: number, payload: string, reqId: number): Step => (_, m) => {
  guest().send(type, payload, { reqId });
  m.kick(STORE_PORT);
  m.retire(1);
  return L.EXIT_HOST_EVENT;
};

describe('xenstore in the domain host', () => {
  it('answers a request when the guest kicks the store port, and raises that port', async () => {
    let replies: Reply[] = [];
    const d = boot([
      request(() => d.guest, XS_READ, 'domid\0', 21),
      (_, m) => {
        replies = d.guest.receive();
        expect(m.hostPorts()).toEqual([0, 0]);
        return poweroff(0, m);
      },
    ]);
    await d.vm.start();
    await d.exit;
    expect(replies).toEqual([expect.objectContaining({ type: XS_READ, reqId: 21, text: String(DOMID) })]);
    expect(d.fake.events).toEqual([STORE_PORT]);
  });

  it('gives the guest the start-of-day tree: its name from the config and its RAM in KiB', async () => {
    let replies: Reply[] = [];
    const d = boot([
      (_, m) => {
        d.guest.send(XS_READ, 'name\0', { reqId: 1 });
        d.guest.send(XS_READ, 'memory/target\0', { reqId: 2 });
        m.kick(STORE_PORT);
        return L.EXIT_HOST_EVENT;
      },
      (_, m) => {
        replies = d.guest.receive();
        return poweroff(0, m);
      },
    ]);
    await d.vm.start();
    await d.exit;
    expect(replies.map((r) => r.text)).toEqual(['web1', String(NR_PAGES * 4)]);
  });

  it('runs a vCPU that blocked on a request the store has just answered, instead of waiting', async () => {
    let replies: Reply[] = [];
    const d = boot([
      (_, m) => {
        d.guest.send(XS_READ, 'domid\0', { reqId: 3 });
        m.retire(1);
        return L.EXIT_BLOCKED;
      },
      (_, m) => {
        replies = d.guest.receive();
        return poweroff(0, m);
      },
    ]);
    d.fake.nextTimer = -1; // nothing else would ever wake it
    await d.vm.start();
    const outcome = await Promise.race([d.exit, new Promise((r) => setTimeout(() => r('still waiting'), 2000))]);
    expect(outcome).toMatchObject({ state: 'shutdown' });
    expect(replies).toEqual([expect.objectContaining({ reqId: 3 })]);
  });

  it('shutdown(reason) writes control/shutdown and raises the store port for a guest watching it', async () => {
    const d = boot([request(() => d.guest, XS_WATCH, 'control/shutdown\0sd\0', 1)]);
    await d.vm.step(1);
    expect(d.guest.receive().map((r) => r.type)).toEqual([XS_WATCH, XS_WATCH_EVENT]);
    d.fake.events.length = 0;
    await d.vm.shutdown('reboot');
    expect(d.fake.events).toEqual([STORE_PORT]);
    expect(d.guest.receive()).toEqual([expect.objectContaining({ type: XS_WATCH_EVENT, reqId: 0, text: 'control/shutdown\0sd\0' })]);
  });

  it('shutdown() defaults to poweroff and records the request even before the guest watches', async () => {
    const d = boot([request(() => d.guest, XS_READ, 'control/shutdown\0', 9)]);
    await d.vm.shutdown();
    expect(d.fake.events).toEqual([]); // nothing to tell a guest that watches nothing
    await d.vm.step(1);
    expect(d.guest.receive()).toEqual([expect.objectContaining({ type: XS_READ, reqId: 9, text: 'poweroff' })]);
  });

  it('shutdown() and stats() tell whether the guest watches control/shutdown and what it advertises', async () => {
    const d = boot([
      request(() => d.guest, XS_WRITE, 'control/feature-reboot\x001', 1),
      request(() => d.guest, XS_WATCH, 'control\0ctl\0', 2),
    ]);
    expect(await d.vm.shutdown('poweroff')).toEqual({ watched: false, features: [] });
    expect((await d.vm.stats()).shutdown_control).toEqual({ watched: false, features: [] });
    await d.vm.step(1);
    expect((await d.vm.stats()).shutdown_control).toEqual({ watched: false, features: ['reboot'] });
    await d.vm.step(1); // a watch on control/ covers control/shutdown
    expect(await d.vm.shutdown('reboot')).toEqual({ watched: true, features: ['reboot'] });
  });

  it('shutdown() refuses an unknown reason, a stopped domain and a domain without xenstore', async () => {
    const d = boot([poweroff]);
    await expect(d.vm.shutdown('halt' as never)).rejects.toThrow(/^shutdown reason must be poweroff, reboot or suspend/);
    await d.vm.start();
    await d.exit;
    await expect(d.vm.shutdown()).rejects.toThrow(/^cannot shut down a domain that is shutdown$/);
    const bare = boot([], {}, 0);
    await expect(bare.vm.shutdown()).rejects.toThrow(/no xenstore/);
    await expect(new Vm().shutdown()).rejects.toThrow(/no domain/);
  });
});
