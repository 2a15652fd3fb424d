// `npm run bench`: every benchmark in one run, in Node, one target after another (never two at once:
// they would share the machine's cores): the xenwasm benchmark guests (PV32 and PV64) in a domain
// worker, then the same integer workload in v86 and in QEMU (multiboot kernel) and natively, and
// the native getppid system call. Prints the table (bench/report.ts), writes the session as JSON
// (bench/results/latest.json by default). Method and error: bench/README.md.
// Usage: npm run bench -- [--runs 5] [--seconds 1] [--only xenwasm,v86,qemu,native] [--json <file>]
//        [--markdown]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, type } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { spawnVm } from '../workers/host/node.ts';
import type { Machine, Measurement, Session } from './model.ts';
import { buildPeerPrograms, ROOT } from './peers/build.ts';
import { measureNative } from './peers/native.ts';
import { measureQemu, qemuVersion } from './peers/qemu.ts';
import { measureV86, v86Version } from './peers/v86.ts';
import { figures, ratios, renderMarkdown, renderText } from './report.ts';
import { VERIFY_PASSES } from './workload.ts';
import { XENWASM_BENCHES, XenwasmBench, type GuestType } from './xenwasm.ts';

const TARGETS = ['xenwasm', 'v86', 'qemu', 'native'] as const;
type Target = (typeof TARGETS)[number];

interface Options {
  runs: number;
  seconds: number;
  only: Target[];
  json: string;
  markdown?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.01 || n > 60) throw new InvalidArgumentError('expected seconds from 0.01 to 60');
  return n;
}

function targets(value: string): Target[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((t) => !(TARGETS as readonly string[]).includes(t));
  if (bad || !list.length) throw new InvalidArgumentError(`expected a comma-separated list of ${TARGETS.join(', ')}`);
  return list as Target[];
}

/** "AMD EPYC (family 26, model 2, 2596 MHz)" from /proc/cpuinfo; os.cpus() elsewhere. */
function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1].trim();
    const name = field('model name');
    const detail = [field('cpu family') && `family ${field('cpu family')}`, field('model') && `model ${field('model')}`,
      field('cpu MHz') && `${Math.round(Number(field('cpu MHz')))} MHz`].filter(Boolean).join(', ');
    if (name) return detail ? `${name} (${detail})` : name;
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return `${m[1]}, ${type()} ${release()}`;
  } catch {
    // no os-release
  }
  return `${type()} ${release()}`;
}

/** Progress on stderr: one line rewritten in place on a terminal, plain lines otherwise. */
function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
  else process.stderr.write(`${message}\n`);
}

async function main(options: Options): Promise<void> {
  const want = (t: Target) => options.only.includes(t);
  const { runs } = options;
  const machine: Machine = {
    cpu: cpuModel(),
    nproc: availableParallelism(),
    os: osName(),
    node: process.versions.node,
    host: 'node',
  };
  const measurements: Measurement[] = [];

  const peers = want('v86') || want('qemu') || want('native') ? buildPeerPrograms() : undefined;
  if (peers?.gcc) machine.gcc = peers.gcc;

  if (want('xenwasm')) {
    const bench = new XenwasmBench({
      spawn: spawnVm,
      image: async (file) => new Uint8Array(readFileSync(join(ROOT, 'guests', 'images', file))),
      progress,
    });
    try {
      for (const { bench: id } of XENWASM_BENCHES) {
        for (const guestType of ['pv32', 'pv64'] as GuestType[]) {
          measurements.push(await bench.measure(id, guestType, runs, options.seconds));
        }
      }
    } finally {
      await bench.close();
    }
  }
  const common = { runs, seconds: options.seconds, verifyPasses: VERIFY_PASSES, progress };
  if (want('v86')) {
    machine.v86 = v86Version().version;
    measurements.push(await measureV86({ ...common, kernel: peers?.multiboot, unavailable: peers?.errors.multiboot }));
  }
  if (want('qemu')) {
    machine.qemu = qemuVersion().version;
    measurements.push(await measureQemu({ ...common, kernel: peers?.multiboot, unavailable: peers?.errors.multiboot }));
  }
  if (want('native')) {
    const n32 = { exe: peers?.nativeI686, unavailable: peers?.errors.nativeI686, target: 'native-i686', label: 'native i686' };
    const n64 = { exe: peers?.nativeX64, unavailable: peers?.errors.nativeX64, target: 'native-x86_64', label: 'native x86-64' };
    measurements.push(await measureNative({ ...common, ...n32, bench: 'int' }));
    measurements.push(await measureNative({ ...common, ...n64, bench: 'int' }));
    measurements.push(await measureNative({ ...common, ...n64, label: 'native x86-64 (syscall)', bench: 'getppid', verifyPasses: undefined }));
    measurements.push(await measureNative({ ...common, ...n32, label: 'native i686 (int $0x80)', bench: 'getppid', verifyPasses: undefined }));
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

  const session: Session = { date: new Date().toISOString(), machine, runs, seconds: options.seconds, measurements };
  process.stdout.write(renderText(session) + '\n');
  if (options.markdown) process.stdout.write('\n' + renderMarkdown(session) + '\n');
  mkdirSync(dirname(options.json), { recursive: true });
  writeFileSync(options.json, JSON.stringify({ ...session, figures: figures(session), ratios: ratios(session) }, null, 2) + '\n');
  process.stdout.write(`results: ${relative(process.cwd(), options.json) || options.json}\n`);
  if (measurements.some((m) => m.status === 'failed')) process.exitCode = 1;
}

const program = new Command('bench')
  .description('xenwasm benchmarks side by side with v86, QEMU (TCG) and the native CPU; prints a table, writes JSON')
  .option('--runs <n>', 'timed runs per measurement (median, min and max are over these)', positiveInt, 5)
  .option('--seconds <s>', 'target wall time of one timed run', seconds, 1)
  .addOption(new Option('--only <targets>', `comma-separated subset of ${TARGETS.join(', ')}`).argParser(targets)
    .default([...TARGETS], 'all'))
  .addOption(new Option('--json <file>', 'where to write the results')
    .default(join(ROOT, 'bench', 'results', 'latest.json'), 'bench/results/latest.json'))
  .option('--markdown', 'also print the tables as Markdown (for README.md)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'bench: ')) });

try {
  program.parse(process.argv);
  await main(program.opts<Options>());
} catch (e) {
  if ((e as { code?: string }).code?.startsWith('commander.')) {
    process.exitCode = (e as { exitCode: number }).exitCode === 0 ? 0 : 2;
  } else {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
