// `xenwasm run [kernel]`: boots a PV kernel headless in a worker thread and streams its console to
// stdout; keystrokes go to the guest when stdin is a terminal (Ctrl-] leaves, as in `xl console`).
// Ctrl-C (SIGINT, or the key in the terminal) asks the guest to power off through xenstore
// control/shutdown, as `xl shutdown` does; a second Ctrl-C within 5 s destroys it, as `xl destroy`.
// Exit codes: 0 the guest powered off (or asked to reboot/suspend: not restarted), 1 it crashed,
// 2 usage or load error (one line: `xenwasm: <file>: <reason>`), 3 the --max-instructions limit,
// 130 destroyed by the second Ctrl-C. --profile prints what each hypercall cost at exit and --trace
// writes the run as a trace-event JSON file (workers/profile/, docs/profiler.md).
import { formatPageTables } from '../page-tables.ts';
import { formatAudit } from '../../workers/shadow-view.ts';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DomainConfig, DomainExit, VmApi } from '../../workers/api.ts';
import { spawnVm } from '../../workers/host/node.ts';
import { MAX_MEMORY_MIB } from '../../workers/loader/index.ts';
import { formatRegisters, statsLine } from '../report.ts';
import { formatProfile } from '../profile-table.ts';

export const DEFAULT_KERNEL = fileURLToPath(new URL('../../guests/images/hello-pv32.elf', import.meta.url));

/** A bare image name such as `minishell-pv64` (no such file here) names guests/images/<name>.elf. */
function imagePath(arg: string): string {
  if (existsSync(arg) || /[\\/.]/.test(arg)) return arg;
  const image = fileURLToPath(new URL(`../../guests/images/${arg}.elf`, import.meta.url));
  return existsSync(image) ? relative(process.cwd(), image) : arg;
}
const CTRL_RIGHT_BRACKET = 0x1d;
const CTRL_C = 0x03;
/** A second Ctrl-C within this time destroys the domain instead of asking again. */
export const DESTROY_WINDOW_MS = 5000;
/** The exit code after a destroy by Ctrl-C (128 + SIGINT, as a shell reports it). */
export const EXIT_DESTROYED = 130;
const CRASH_TRACE_LINES = 20;

const DEFAULT_MEMORY_MIB = 64;

interface RunOptions {
  memory: number;
  cmdline?: string;
  ramdisk?: string;
  linux?: boolean;
  maxInstructions: number;
  /** commander's --no-* switches: false when given. */
  tlb: boolean;
  shadows: boolean;
  decodeCache: boolean;
  decodedRuns: boolean;
  jit: boolean;
  audit?: boolean;
  pageTables?: string;
  clock: 'realtime' | 'deterministic';
  stats?: boolean;
  profile?: boolean;
  trace?: string;
  profileClock: 'host' | 'guest';
}

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number ${max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of at least ${min}`}`);
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('boot a PV kernel headless; its console goes to stdout')
    .argument('[kernel]', 'kernel image: an ELF with Xen notes, a bzImage, or the name of an image in guests/images/ such as paging-lab-pv64 (default: the hello demo guest)')
    .option('--memory <MiB>', 'guest RAM in MiB', wholeNumber(1, MAX_MEMORY_MIB), DEFAULT_MEMORY_MIB)
    .option('--cmdline <string>', 'kernel command line (xl.cfg `extra`)')
    .option('--ramdisk <file>', 'initial ramdisk (xl.cfg `ramdisk`), e.g. an initramfs cpio.gz')
    .option('--linux', "boot Debian's stock Linux 6.1 with a busybox initramfs (fetched once with apt-get download into .cache/debian)")
    .option('--max-instructions <n>', 'stop after n guest instructions (exit code 3); 0 = no limit', wholeNumber(0), 0)
    .addOption(new Option('--clock <kind>', 'guest time source').choices(['realtime', 'deterministic']).default('realtime'))
    .option('--stats', 'end with one JSON line: instructions, wall_ms, mips, hypercalls, exceptions, TLB and shadow counters')
    .option('--no-tlb', 'switch the software TLB off (every access uses the shadows or walks the page tables)')
    .option('--no-shadows', 'switch the shadow page tables off (a CR3 change flushes the TLB; docs/shadow-page-tables.md)')
    .option('--no-decode-cache', 'switch the decoded-instruction cache off')
    .option('--no-decoded-runs', 'run each decoded instruction on its own (no runs without per-instruction bookkeeping)')
    .option('--no-jit', 'do not compile hot blocks of decoded instructions to wasm (docs/jit.md)')
    .option('--audit', 'check the TLB and the shadows against the guest page tables after every page-table operation; exit 1 on a disagreement')
    .option('--page-tables <va>', 'at exit, print the guest page-table entries, shadow and TLB entries for VA[,pages] (hex), e.g. 0xffffffff81000000,4')
    .option('--profile', 'print at exit what each hypercall cost: count, mean, p50, p99, share of the run (docs/profiler.md)')
    .option('--trace <file.json>', 'write the run as a trace (Trace Event Format: open it in ui.perfetto.dev or chrome://tracing)')
    .addOption(new Option('--profile-clock <clock>', 'time --profile and --trace by the host clock or by guest time (deterministic)')
      .choices(['host', 'guest']).default('host'))
    .addHelpText('after', [
      '',
      'Keystrokes go to the guest when stdin is a terminal; Ctrl-] leaves.',
      'Ctrl-C asks the guest to power off through xenstore control/shutdown (as xl shutdown);',
      'a second Ctrl-C within 5 s destroys the domain (as xl destroy).',
      'Exit codes: 0 the guest powered off, 1 it crashed (report on stderr), 2 usage or load error,',
      '3 stopped by --max-instructions, 130 destroyed by Ctrl-C.',
    ].join('\n'))
    .action(async (kernel: string | undefined, options: RunOptions) => {
      process.exitCode = await run(kernel, options);
    });
}

function readReason(e: unknown): string {
  switch ((e as { code?: string }).code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'is a directory';
    case 'EACCES': return 'permission denied';
    default: return (e as Error).message;
  }
}

/** Debian's defaults for --linux: enough memory for the kernel and its page cache, hvc0 as the console. */
const LINUX_MEMORY_MIB = 256;
const LINUX_CMDLINE = 'console=hvc0';

async function run(kernelArg: string | undefined, options: RunOptions): Promise<number> {
  if (options.linux) {
    if (kernelArg || options.ramdisk) {
      console.error('xenwasm: --linux brings its own kernel and ramdisk: give neither');
      return 2;
    }
    try {
      const { prepareDebianGuest } = await import('../../scripts/debian-guest.ts');
      const g = prepareDebianGuest();
      kernelArg = g.kernel;
      options.ramdisk = g.initramfs;
      if (options.memory === DEFAULT_MEMORY_MIB) options.memory = LINUX_MEMORY_MIB;
      options.cmdline ??= LINUX_CMDLINE;
    } catch (e) {
      console.error(`xenwasm: --linux: cannot fetch Debian's kernel and busybox: ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
  }
  if (kernelArg) kernelArg = imagePath(kernelArg);
  const file = kernelArg ?? relative(process.cwd(), DEFAULT_KERNEL);
  let kernel: Uint8Array;
  try {
    kernel = readFileSync(kernelArg ?? DEFAULT_KERNEL);
  } catch (e) {
    console.error(`xenwasm: ${file}: ${readReason(e)}`);
    return 2;
  }
  let ramdisk: Uint8Array | undefined;
  if (options.ramdisk) {
    try {
      ramdisk = readFileSync(options.ramdisk);
    } catch (e) {
      console.error(`xenwasm: ${options.ramdisk}: ${readReason(e)}`);
      return 2;
    }
  }

  const config: DomainConfig = {
    name: 'xenwasm-run',
    kernel,
    kernelName: file,
    ramdisk,
    memory: options.memory,
    extra: options.cmdline ?? '',
    maxInstructions: options.maxInstructions,
    clock: options.clock,
    switches: {
      tlb: options.tlb, shadows: options.shadows, decodeCache: options.decodeCache, decodedRuns: options.decodedRuns,
      jit: options.jit,
    },
    auditPageTables: !!options.audit,
  };
  let pageTablesArg: { va: bigint; count: number } | undefined;
  if (options.pageTables !== undefined) {
    const m = /^(0x)?([0-9a-f]+)(?:,(\d+))?$/i.exec(options.pageTables);
    const count = m?.[3] === undefined ? 1 : Number(m[3]);
    if (!m || count < 1 || count > 4096) {
      console.error(`xenwasm: --page-tables ${options.pageTables}: expected a hex virtual address and an optional page count 1..4096, e.g. 0xffffffff81000000,4`);
      return 2;
    }
    pageTablesArg = { va: BigInt('0x' + m[2]), count };
  }
  let lastByte = 0x0a;
  let exited!: (exit: Outcome) => void;
  const stopped = new Promise<Outcome>((resolve) => (exited = resolve));
  /** One line on stderr, on a line of its own even when the guest left its console mid-line. */
  const say = (line: string) => {
    process.stderr.write(`${lastByte !== 0x0a ? '\n' : ''}xenwasm: ${line}\n`);
    lastByte = 0x0a;
  };

  // The trace file is opened before the guest boots, so a bad path costs no run.
  let traceFd: number | undefined;
  if (options.trace) {
    try {
      traceFd = openSync(options.trace, 'w');
    } catch (e) {
      console.error(`xenwasm: ${options.trace}: cannot write the trace: ${readReason(e)}`);
      return 2;
    }
  }
  const profiling = !!options.profile || traceFd !== undefined;

  const handle = spawnVm();
  try {
    try {
      await handle.create(config, {
        onConsole(bytes) {
          if (bytes.length) lastByte = bytes[bytes.length - 1];
          process.stdout.write(bytes);
        },
        onExit: exited,
      });
    } catch (e) {
      // Load errors already name the file ("<file>: not an ELF file"); others do not need to.
      console.error(`xenwasm: ${(e as Error).message}`);
      return 2;
    }
    if (profiling) await handle.vm.startProfiling({ clock: options.profileClock, traceRecords: traceFd !== undefined ? undefined : 0 });
    const interrupt = interruptHandler(handle.vm, say, () => exited('destroyed'));
    // Input to a domain that just stopped has nowhere to go: drop it.
    const stopInput = forwardTerminalInput((bytes) => handle.vm.sendInput(bytes).catch(() => {}), () => exited('detached'), interrupt);
    process.on('SIGINT', interrupt);
    let exit: Outcome;
    try {
      await handle.vm.start();
      exit = await stopped;
    } finally {
      stopInput();
      process.off('SIGINT', interrupt);
    }

    let traceFailed = false;
    if (profiling) {
      const profile = await handle.vm.stopProfiling();
      if (options.profile) {
        if (lastByte !== 0x0a) process.stdout.write('\n');
        process.stdout.write(formatProfile(profile).join('\n') + '\n');
        lastByte = 0x0a;
      }
      if (traceFd !== undefined) traceFailed = !writeTrace(options.trace!, traceFd, await handle.vm.profileTrace(), profile.traceTruncated);
    }
    if (options.stats) {
      if (lastByte !== 0x0a) process.stdout.write('\n');
      process.stdout.write(statsLine(await handle.vm.stats()) + '\n');
    }
    if (pageTablesArg) {
      if (lastByte !== 0x0a) process.stdout.write('\n');
      try {
        process.stdout.write(formatPageTables(await handle.vm.pageTables(pageTablesArg.va, pageTablesArg.count)).join('\n') + '\n');
      } catch (e) {
        say(`--page-tables: ${(e as Error).message}`);
      }
      lastByte = 0x0a;
    }
    let auditFailed = false;
    if (options.audit) {
      const audit = await handle.vm.audit();
      const errors = (await handle.vm.stats()).audit_errors + audit.disagreements;
      if (errors > 0) {
        auditFailed = true;
        say(`audit: ${errors} disagreements between the TLB or shadows and the guest page tables; at exit:\n${formatAudit(audit)}`);
      }
    }
    const code = report(file, exit);
    if (auditFailed && code === 0) return 1;
    return traceFailed && code === 0 ? 2 : code;
  } finally {
    if (traceFd !== undefined) closeSync(traceFd);
    await handle.terminate();
  }
}

/** Writes the trace JSON; says where it went (stderr). False, with the reason said, on a write error. */
function writeTrace(path: string, fd: number, json: string, truncated: boolean): boolean {
  try {
    writeFileSync(fd, json);
  } catch (e) {
    console.error(`xenwasm: ${path}: cannot write the trace: ${readReason(e)}`);
    return false;
  }
  const note = truncated ? ' (the first million records only: the run was longer)' : '';
  console.error(`xenwasm: trace written to ${path}${note}: open it in ui.perfetto.dev or chrome://tracing`);
  return true;
}

type Outcome = DomainExit | 'detached' | 'destroyed';

/**
 * Ctrl-C: the first asks the guest to power off through xenstore (xl shutdown) and says whether it
 * can see the request; another within DESTROY_WINDOW_MS destroys the domain (xl destroy).
 */
function interruptHandler(vm: VmApi, say: (line: string) => void, destroy: () => void): () => void {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last <= DESTROY_WINDOW_MS) {
      destroy();
      return;
    }
    last = now;
    const again = `Ctrl-C again within ${DESTROY_WINDOW_MS / 1000} s destroys the domain`;
    vm.shutdown('poweroff').then(
      (control) => say(control.watched
        ? `asked the guest to power off (xenstore control/shutdown, as xl shutdown); ${again}`
        : `the guest does not watch xenstore control/shutdown, so it may never see the power-off request; ${again}`),
      (e: Error) => say(`cannot ask the guest to power off: ${e.message}; ${again}`),
    );
  };
}

/** Tells the user how the domain ended (stderr) and returns the exit code. */
function report(file: string, exit: Outcome): number {
  if (exit === 'detached') {
    console.error('\nxenwasm: detached (Ctrl-]); the domain was destroyed');
    return 0;
  }
  if (exit === 'destroyed') {
    console.error(`xenwasm: ${file}: destroyed by a second Ctrl-C, as xl destroy does`);
    return EXIT_DESTROYED;
  }
  if (exit.state === 'limit') {
    console.error(`xenwasm: ${file}: ${exit.message}`);
    return 3;
  }
  if (exit.state === 'shutdown' && exit.reason !== 'crash' && exit.reason !== 'watchdog') {
    if (exit.reason !== 'poweroff') console.error(`xenwasm: ${file}: the guest asked to ${exit.reason}; xenwasm does not restart domains`);
    return 0;
  }
  const why = exit.state !== 'shutdown' ? exit.message
    : exit.reason === 'watchdog' ? 'its watchdog expired (SCHEDOP_watchdog): Xen shut it down with reason watchdog'
      : `the guest shut down with reason ${exit.reason}`;
  console.error(`xenwasm: ${file}: domain crashed: ${why}`);
  if (exit.registers) for (const line of formatRegisters(exit.registers)) console.error(`  ${line}`);
  const trace = exit.trace?.slice(-CRASH_TRACE_LINES) ?? [];
  if (trace.length) {
    console.error(`last ${trace.length} trace entries, oldest first:`);
    for (const line of trace) console.error(`  ${line}`);
  }
  return 1;
}

/**
 * When stdin is a terminal: raw mode, every keystroke to the guest, except Ctrl-] (detaches) and
 * Ctrl-C (raw mode turns it into a byte instead of SIGINT: `interrupt`). Otherwise stdin is left
 * alone. Returns the function that restores the terminal.
 */
function forwardTerminalInput(send: (bytes: Uint8Array) => unknown, detach: () => void, interrupt: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (data: Buffer) => {
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== CTRL_C && data[i] !== CTRL_RIGHT_BRACKET) continue;
      if (i > from) send(new Uint8Array(data.subarray(from, i)));
      from = i + 1;
      if (data[i] === CTRL_RIGHT_BRACKET) return detach();
      interrupt();
    }
    if (from < data.length) send(new Uint8Array(data.subarray(from)));
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
