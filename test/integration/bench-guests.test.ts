// The benchmark guests (guests/bench/, images guests/images/bench-*.elf) booted through the worker
// API as `npm run bench` boots them: each does exactly the operations its command line asks for and
// reports SUCCESS; the subtraction the harness relies on is exact; and the integer workload gives
// the same checksum and the same instruction count on every target that can run here (native
// i386/x86-64 processes built with gcc, v86 from npm, QEMU when installed).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPeerPrograms, type PeerPrograms } from '../../bench/peers/build.ts';
import { runNative } from '../../bench/peers/native.ts';
import { runQemu, QEMU } from '../../bench/peers/qemu.ts';
import { runV86 } from '../../bench/peers/v86.ts';
import { WORKLOAD_PERIOD } from '../../bench/workload.ts';
import { XenwasmBench, type GuestType } from '../../bench/xenwasm.ts';
import { spawnVm } from '../../workers/host/node.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const TYPES: GuestType[] = ['pv32', 'pv64'];
const hasQemu = !spawnSync(QEMU, ['--version']).error;

let bench: XenwasmBench;
beforeAll(() => {
  bench = new XenwasmBench({ spawn: spawnVm, image: async (file) => new Uint8Array(readFileSync(IMAGES + file)) });
});
afterAll(async () => {
  await bench.close();
});

describe.each(TYPES)('benchmark guests (%s)', (type) => {
  it('null hypercall: does n xen_version calls, all with the same answer', async () => {
    const r = await bench.runGuest(`bench-hypercall-${type}.elf`, 1000);
    expect(r).toMatchObject({ bench: 'hypercall', ops: 1000, result: '0x00000000', failure: null });
    expect(r.stats.hypercalls.xen_version).toBe(1001);   // one more before the loop
  });

  it('event: n round trips over a loopback interdomain channel, each done when its send returns', async () => {
    const r = await bench.runGuest(`bench-event-${type}.elf`, 500);
    expect(r).toMatchObject({ bench: 'event', ops: 500, result: '0x00000000', failure: null });
    expect(r.stats.hypercalls.iret).toBe(500);            // one upcall per round trip
  });

  it('context switch: n NEW_BASEPTR switches, each into the right address space', async () => {
    const r = await bench.runGuest(`bench-ctxswitch-${type}.elf`, 400);
    expect(r).toMatchObject({ bench: 'ctxswitch', ops: 400, result: '0x00000000', failure: null });
    expect(r.stats.hypercalls.mmuext_op).toBe(400 + 4 + 1); // the switches, 4 pins, the switch back
  });

  it('page-table update: n mmu_update calls, each visible through the window at once', async () => {
    const r = await bench.runGuest(`bench-ptupdate-${type}.elf`, 1000);
    expect(r).toMatchObject({ bench: 'ptupdate', ops: 1000, result: '0x00000000', failure: null });
    expect(r.stats.hypercalls.mmu_update).toBe(1001);     // one more restores the mapping
  });

  it('integer workload: any period of passes retires the same instructions, so the subtraction measures the loop', async () => {
    const one = await bench.timedRun(`bench-int-${type}.elf`, WORKLOAD_PERIOD);
    const two = await bench.timedRun(`bench-int-${type}.elf`, 2 * WORKLOAD_PERIOD);
    expect(one.instructions).toBeGreaterThan(WORKLOAD_PERIOD * 100_000);
    // Exact but for printing the count and checksum (other digits): a few dozen instructions.
    expect(Math.abs(two.instructions! - 2 * one.instructions!)).toBeLessThan(200);
  });

  it('refuses a malformed command line with a FAILURE line instead of measuring nothing', async () => {
    await expect(bench.boot(`bench-hypercall-${type}.elf`, 'iters=12x')).rejects.toThrow(/bad command line "iters=12x"/);
  });
});

describe('the integer workload on every target', () => {
  let peers: PeerPrograms;
  let xenwasm: { result: string; instructions: number };

  beforeAll(async () => {
    peers = buildPeerPrograms();
    const r = await bench.timedRun('bench-int-pv32.elf', WORKLOAD_PERIOD);
    xenwasm = { result: r.result, instructions: r.instructions! };
  });

  it('builds the multiboot kernel and both native programs with the guests\' gcc flags', () => {
    expect(peers.errors).toEqual({ multiboot: undefined, nativeI686: undefined, nativeX64: undefined });
  });

  it('gives the PV32 guest\'s checksum as a native i386 and x86-64 process', () => {
    expect(runNative(peers.nativeI686!, 'int', WORKLOAD_PERIOD).result).toBe(xenwasm.result);
    expect(runNative(peers.nativeX64!, 'int', WORKLOAD_PERIOD).result).toBe(xenwasm.result);
  });

  it('gives the same checksum and instruction count in v86 as in xenwasm (the same i686 code)', async () => {
    const r = await runV86(peers.multiboot!, WORKLOAD_PERIOD, WORKLOAD_PERIOD);
    expect(r.result).toBe(xenwasm.result);
    expect(Math.abs(r.instructions! - xenwasm.instructions) / xenwasm.instructions).toBeLessThan(1e-4);
  });

  it.runIf(hasQemu)('gives the same checksum in QEMU (TCG)', async () => {
    expect((await runQemu(peers.multiboot!, WORKLOAD_PERIOD, WORKLOAD_PERIOD)).result).toBe(xenwasm.result);
  });
});
