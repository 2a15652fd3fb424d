// v86 as a peer: the npm package `v86` (an x86 emulator with a JIT to wasm), in this process,
// boots the multiboot kernel with `iters=<n>` on its command line, with Debian's SeaBIOS and VGA
// BIOS (package seabios) when installed (v86 can also start a multiboot kernel without a BIOS, but
// then ran this kernel about 25% slower here, so the BIOS is preferred). COM1 bytes arrive through
// the serial0-output-byte event while the guest executes, so the serial markers (markers.ts) are
// stamped at the guest's own port write, together with v86's instruction counter.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { measure, type TimedRun } from '../measure.ts';
import type { Measurement, EmulatorPeerOptions } from '../model.ts';
import { emulatorWarmup, WORKLOAD_PERIOD } from '../workload.ts';
import { parseGuestReport } from '../xenwasm.ts';
import { MarkerClock } from './markers.ts';

export const SEABIOS = '/usr/share/seabios/bios.bin';
export const VGABIOS = '/usr/share/seabios/vgabios.bin';

const require = createRequire(import.meta.url);

/** v86's instruction counter has 32 bits: 16 000 passes of ~241 000 instructions stay below 2^32. */
const MAX_PASSES = 16_000;

/** The installed v86 version, or the reason there is none. */
export function v86Version(): { version?: string; reason?: string } {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve('v86/package.json'), 'utf8')) as { version: string };
    return { version: pkg.version.replace(/\+.*$/, '') };
  } catch {
    return { reason: 'the npm package v86 is not installed (npm install)' };
  }
}

const bytes = (path: string) => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

export function useBios(): boolean {
  return existsSync(SEABIOS) && existsSync(VGABIOS);
}

export async function runV86(kernel: string, n: number, warmup: number, timeoutMs = 600_000): Promise<TimedRun & { output: string }> {
  const { V86 } = await import('v86');
  const bios = useBios() ? { bios: { buffer: bytes(SEABIOS) }, vga_bios: { buffer: bytes(VGABIOS) } } : {};
  return new Promise((resolve, reject) => {
    const emulator = new V86({
      wasm_path: require.resolve('v86/build/v86.wasm'),
      memory_size: 32 * 1024 * 1024,
      multiboot: { buffer: bytes(kernel) },
      cmdline: `iters=${n} warmup=${warmup}`,
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      ...bios,
    });
    const clock = new MarkerClock();
    const count = () => emulator.get_instruction_counter();
    let settled = false;
    const finish = async (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Stop and free the emulator before the next run starts; its own failure to do so is not ours.
      await emulator.stop().then(() => emulator.destroy()).catch(() => {});
      if (error) return reject(error);
      const report = parseGuestReport(clock.output);
      const seconds = clock.seconds;
      if (!report) return reject(new Error('v86: the kernel printed no result line'));
      if (report.failure !== null) return reject(new Error(`the kernel in v86 failed: ${report.failure}`));
      if (seconds === undefined) return reject(new Error('v86: the kernel printed no @begin/@end markers'));
      // The counter is a u32: the difference is right modulo 2^32, and MAX_PASSES keeps it below.
      const instructions = clock.instructions === undefined ? undefined : clock.instructions >>> 0;
      resolve({ ops: report.ops, seconds, instructions, result: report.result, output: clock.output });
    };
    const timer = setTimeout(() => void finish(new Error(`v86 iters=${n}: no result after ${timeoutMs / 1000} s`)), timeoutMs);
    emulator.add_listener('serial0-output-byte', (byte: number) => {
      clock.feed(String.fromCharCode(byte), performance.now(), count);
      if (byte === 10 && /^Bench result: .*\n$/m.test(clock.output)) void finish();
    });
  });
}

export async function measureV86(opts: EmulatorPeerOptions): Promise<Measurement> {
  const v = v86Version();
  const label = `v86 ${v.version ?? ''}${useBios() ? '' : ' (no BIOS)'}`.replace('  ', ' ').trim();
  const base: Measurement = { bench: 'int', target: 'v86', label, status: 'ok', samples: [],
    method: 'serial markers stamped at the port write, with v86\'s instruction counter' };
  if (!v.version) return { ...base, status: 'unavailable', reason: v.reason };
  if (!opts.kernel) return { ...base, status: 'unavailable', reason: opts.unavailable ?? 'no multiboot kernel' };
  const kernel = opts.kernel;
  try {
    const m = await measure((n) => runV86(kernel, n, emulatorWarmup(n)), {
      start: 16, maxOps: MAX_PASSES, multipleOf: WORKLOAD_PERIOD, seconds: opts.seconds, runs: opts.runs, progress: (msg) => opts.progress?.(`${label}: ${msg}`),
    });
    const verify = await runV86(kernel, opts.verifyPasses, WORKLOAD_PERIOD);
    return { ...base, ops: m.ops, samples: m.samples, result: m.result,
      verify: { passes: opts.verifyPasses, result: verify.result, instructions: verify.instructions } };
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0] };
  }
}
