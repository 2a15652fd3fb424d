// The domain worker under Node's worker_threads (workers/host/node.ts): the TypeScript worker starts
// through its tsx bootstrap, the Vm answers through Comlink, errors cross the thread with their
// one-line message, and terminate() ends the thread.
import { afterEach, describe, expect, it } from 'vitest';
import type * as Comlink from 'comlink';
import { spawnVm, type VmHandle } from '../../workers/host/node.ts';
import { makeHandle } from '../../workers/host/handle.ts';
import type { VmApi } from '../../workers/api.ts';

const quiet = { onConsole() {}, onExit() {} };

describe('the domain worker in Node', () => {
  let handle: VmHandle | undefined;
  afterEach(async () => {
    await handle?.terminate();
    handle = undefined;
  });

  it('answers through Comlink before a domain exists', async () => {
    handle = spawnVm();
    await expect(handle.vm.stats()).rejects.toThrow('no domain: call create() first');
  });

  it('refuses a file that is not a kernel with a LoadError naming the file', async () => {
    handle = spawnVm();
    const err = await handle.create({ kernel: new TextEncoder().encode('#!/bin/sh\necho hi\n'), kernelName: 'script.sh' }, quiet).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('LoadError');
    expect((err as Error).message).toMatch(/^script\.sh: [^\n]+$/);
  });

  it('refuses a config with an impossible memory size before reading the image', async () => {
    handle = spawnVm();
    await expect(handle.create({ kernel: new Uint8Array(), memory: 1.5 }, quiet)).rejects.toThrow('memory must be a whole number from 1 to 2047, got 1.5');
  });

  it('ends the thread on terminate(), even twice, and refuses calls afterwards', async () => {
    handle = spawnVm();
    await handle.vm.stats().catch(() => {});
    await handle.terminate();
    await handle.terminate();
    await expect(handle.vm.stats()).rejects.toThrow('the domain worker has ended');
  });

});

describe('a handle whose worker dies', () => {
  it('fails pending and later calls with the cause instead of hanging', async () => {
    let notify!: (why: Error) => void;
    const never = () => new Promise(() => {});
    const remote = { stats: never, start: never, destroy: never } as unknown as Comlink.Remote<VmApi>;
    const h = makeHandle(remote, { end() {}, onDeath: (n) => (notify = n) });
    const pending = h.vm.stats();
    notify(new Error('the domain worker failed: out of memory'));
    await expect(pending).rejects.toThrow('the domain worker failed: out of memory');
    await expect(h.vm.start()).rejects.toThrow('the domain worker failed: out of memory');
  });
});
