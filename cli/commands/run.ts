// `xenwasm run [kernel]`: boots a PV kernel headless in a worker thread and streams its console to
// stdout; keystrokes go to the guest when stdin is a terminal (Ctrl-] leaves, as in `xl console`).
// Ctrl-C (SIGINT, or the key in the terminal) asks the guest to power off through xenstore
// control/shutdown, as `xl shutdown` does; a second Ctrl-C within 5 s destroys it, as `xl destroy`.
// Exit codes: 0 the guest powered off (or asked to reboot/suspend: not restarted), 1 it crashed,
// 2 usage or load error (one line: `xenwasm: <file>: <reason>`), 3 the --max-instructions limit,
// 130 destroyed by the second Ctrl-C.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DomainConfig, DomainExit, VmApi } from '../../workers/api.ts';
import { spawnVm } from '../../workers/host/node.ts';
import { MAX_MEMORY_MIB } from '../../workers/loader/index.ts';
import { formatRegisters, statsLine } from '../report.ts';

export const DEFAULT_KERNEL = fileURLToPath(new URL('../../guests/images/hello-pv32.elf', import.meta.url));
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
  clock: 'realtime' | 'deterministic';
  stats?: boolean;
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
    .argument('[kernel]', 'kernel image: an ELF with Xen notes, or a bzImage (default: the hello demo guest)')
    .option('--memory <MiB>', 'guest RAM in MiB', wholeNumber(1, MAX_MEMORY_MIB), DEFAULT_MEMORY_MIB)
    .option('--cmdline <string>', 'kernel command line (xl.cfg `extra`)')
    .option('--ramdisk <file>', 'initial ramdisk (xl.cfg `ramdisk`), e.g. an initramfs cpio.gz')
    .option('--linux', "boot Debian's stock Linux 6.1 with a busybox initramfs (fetched once with apt-get download into .cache/debian)")
    .option('--max-instructions <n>', 'stop after n guest instructions (exit code 3); 0 = no limit', wholeNumber(0), 0)
    .addOption(new Option('--clock <kind>', 'guest time source').choices(['realtime', 'deterministic']).default('realtime'))
    .option('--stats', 'end with one JSON line: instructions, wall_ms, mips, hypercalls, exceptions')
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
  };
  let lastByte = 0x0a;
  let exited!: (exit: Outcome) => void;
  const stopped = new Promise<Outcome>((resolve) => (exited = resolve));
  /** One line on stderr, on a line of its own even when the guest left its console mid-line. */
  const say = (line: string) => {
    process.stderr.write(`${lastByte !== 0x0a ? '\n' : ''}xenwasm: ${line}\n`);
    lastByte = 0x0a;
  };

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

    if (options.stats) {
      if (lastByte !== 0x0a) process.stdout.write('\n');
      process.stdout.write(statsLine(await handle.vm.stats()) + '\n');
    }
    return report(file, exit);
  } finally {
    await handle.terminate();
  }
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
