// QEMU as a peer: qemu-system-i386 with TCG (Debian package qemu-system-x86) boots the multiboot
// kernel (-kernel, -append "iters=<n>"), COM1 on stdout, and leaves through the isa-debug-exit
// device at port 0x501 (exit status 1 = success). The timed region is between the serial markers
// (markers.ts), stamped as the bytes arrive through the pipe. QEMU has no retired-instruction
// counter without TCG plugins (Debian does not ship them), so the table borrows xenwasm's count.
import { spawn, spawnSync } from 'node:child_process';
import { measure, type TimedRun } from '../measure.ts';
import type { Measurement, EmulatorPeerOptions } from '../model.ts';
import { emulatorWarmup, WORKLOAD_PERIOD } from '../workload.ts';
import { parseGuestReport } from '../xenwasm.ts';
import { MarkerClock } from './markers.ts';

export const QEMU = 'qemu-system-i386';
const INSTALL = 'apt-get install -y qemu-system-x86';

/** "7.2.22", or undefined with the reason. */
export function qemuVersion(): { version?: string; reason?: string } {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error) {
    return { reason: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${QEMU} not found (${INSTALL})` : r.error.message };
  }
  const m = /version (\S+)/.exec(r.stdout);
  return m ? { version: m[1] } : { reason: `${QEMU} --version printed no version` };
}

export function runQemu(kernel: string, n: number, warmup: number, timeoutMs = 600_000): Promise<TimedRun & { output: string }> {
  return new Promise((resolve, reject) => {
    const args = ['-accel', 'tcg', '-m', '32', '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none',
      '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0x501,iosize=2', '-kernel', kernel, '-append', `iters=${n} warmup=${warmup}`];
    const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const clock = new MarkerClock();
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => clock.feed(chunk, performance.now()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${QEMU}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const report = parseGuestReport(clock.output);
      const seconds = clock.seconds;
      if (report && report.failure !== null) {
        reject(new Error(`the kernel in QEMU failed: ${report.failure}`));
      } else if (!report || seconds === undefined || code !== 1) {
        const why = stderr.trim().split('\n')[0] || clock.output.trim().split('\n').at(-1) || 'no output';
        reject(new Error(`${QEMU} iters=${n} ended with ${signal ?? `status ${code}`}: ${why}`));
      } else {
        resolve({ ops: report.ops, seconds, result: report.result, output: clock.output });
      }
    });
  });
}

export async function measureQemu(opts: EmulatorPeerOptions): Promise<Measurement> {
  const v = qemuVersion();
  const label = v.version ? `QEMU ${v.version} TCG` : 'QEMU TCG';
  const base: Measurement = { bench: 'int', target: 'qemu', label, status: 'ok', samples: [],
    method: 'serial markers stamped on arrival through the pipe' };
  if (!v.version) return { ...base, status: 'unavailable', reason: v.reason };
  if (!opts.kernel) return { ...base, status: 'unavailable', reason: opts.unavailable ?? 'no multiboot kernel' };
  const kernel = opts.kernel;
  try {
    const m = await measure((n) => runQemu(kernel, n, emulatorWarmup(n)), {
      start: 64, multipleOf: WORKLOAD_PERIOD, seconds: opts.seconds, runs: opts.runs, progress: (msg) => opts.progress?.(`${label}: ${msg}`),
    });
    const verify = await runQemu(kernel, opts.verifyPasses, WORKLOAD_PERIOD);
    return { ...base, ops: m.ops, samples: m.samples, result: m.result, verify: { passes: opts.verifyPasses, result: verify.result } };
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0] };
  }
}
