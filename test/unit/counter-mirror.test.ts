// The shared counter mirror (workers/counter-mirror.ts): a worker publishes the core's counter
// region into a SharedArrayBuffer after every slice, and a reader gets the same numbers stats() gives,
// without a message; a reader never returns a copy taken while the writer was in the middle of one.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as L from '../../workers/layout.gen.ts';
import { CounterMirror, MIRROR_SIZE, readCounters } from '../../workers/counter-mirror.ts';
import { spawnVm } from '../../workers/host/node.ts';
import type { DomainExit } from '../../workers/api.ts';

const HELLO = fileURLToPath(new URL('../../guests/images/hello-pv64.elf', import.meta.url));

/** A fake core memory holding known counters. */
function coreBytes(fill: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(L.CNT_BASE + L.CNT_SIZE);
  fill(new DataView(bytes.buffer));
  return bytes;
}

describe('the counter mirror', () => {
  it('copies every counter of the CNT region and the run time', () => {
    const mirror = CounterMirror.create()!;
    const bytes = coreBytes((v) => {
      v.setBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, 123_456_789n, true);
      v.setBigUint64(L.CNT_BASE + L.CNT_HYPERCALLS_TOTAL, 42n, true);
      v.setBigUint64(L.CNT_BASE + L.CNT_TLB_MISSES, 7n, true);
      v.setBigUint64(L.CNT_BASE + L.CNT_HYPERCALL + 8 * 18, 40n, true); // console_io
      v.setBigUint64(L.CNT_BASE + L.CNT_EXCEPTION + 8 * 14, 3n, true); // #PF
    });
    mirror.publish(bytes, 12.5);
    const c = readCounters(mirror.buffer)!;
    expect(c.instructions).toBe(123_456_789);
    expect(c.hypercalls_total).toBe(42);
    expect(c.tlb_misses).toBe(7);
    expect(c.hypercalls_by_nr).toHaveLength(L.CNT_HYPERCALL_MAX);
    expect(c.hypercalls_by_nr[18]).toBe(40);
    expect(c.exceptions_by_vector[14]).toBe(3);
    expect(c.wall_ms).toBe(12.5);
    expect(mirror.buffer.byteLength).toBe(MIRROR_SIZE);
  });

  it('gives no reading while the writer is in the middle of a copy (odd sequence word)', () => {
    const mirror = CounterMirror.create()!;
    mirror.publish(coreBytes(() => {}), 1);
    const seq = new Int32Array(mirror.buffer);
    Atomics.add(seq, L.CNT_SIZE / 4, 1); // a writer started and has not finished
    expect(readCounters(mirror.buffer)).toBeUndefined();
    Atomics.add(seq, L.CNT_SIZE / 4, 1);
    expect(readCounters(mirror.buffer)).toBeDefined();
  });

  it("matches stats() for a domain that ran, read from the worker's buffer in this thread", async () => {
    const handle = spawnVm();
    try {
      let done!: (e: DomainExit) => void;
      const stopped = new Promise<DomainExit>((r) => (done = r));
      await handle.create({ kernel: readFileSync(HELLO), kernelName: 'hello-pv64.elf', memory: 16, clock: 'deterministic' }, { onConsole() {}, onExit: done });
      const buffer = await handle.vm.counters();
      expect(buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(readCounters(buffer!)!.instructions).toBe(0);
      await handle.vm.start();
      await stopped;
      const stats = await handle.vm.stats();
      const c = readCounters(buffer!)!;
      expect(c.instructions).toBe(stats.instructions);
      expect(c.instructions).toBeGreaterThan(0);
      expect(c.hypercalls_total).toBe(stats.hypercalls_total);
      expect(c.hypercalls_by_nr).toEqual(stats.hypercalls_by_nr);
      expect(c.tlb_misses).toBe(stats.tlb_misses);
      expect(c.wall_ms).toBeCloseTo(stats.wall_ms, 2);
    } finally {
      await handle.terminate();
    }
  });
});
