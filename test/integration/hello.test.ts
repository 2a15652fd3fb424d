// Booting the hello demo guest (guests/images/hello-pv32.elf, guests/README.md) in Node: through the
// worker API in a worker thread, and through the `xenwasm run` command as a user runs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnVm, type VmHandle } from '../../workers/host/node.ts';
import type { DomainExit, DomainInfo, DomainStats } from '../../workers/api.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELLO = join(ROOT, 'guests/images/hello-pv32.elf');
const CLI = join(ROOT, 'cli/xenwasm.mjs');
const BANNER = 'xenwasm hello: a Xen PV guest is running';

/** File offset of the entry point of a little-endian ELF32 (through the PT_LOAD that holds it). */
function entryFileOffset(elf: Buffer): number {
  const entry = elf.readUInt32LE(24);
  const phoff = elf.readUInt32LE(28);
  const phentsize = elf.readUInt16LE(42);
  for (let i = 0; i < elf.readUInt16LE(44); i++) {
    const ph = phoff + i * phentsize;
    const [type, offset, vaddr, filesz] = [0, 4, 8, 16].map((o) => elf.readUInt32LE(ph + o));
    if (type === 1 && entry >= vaddr && entry < vaddr + filesz) return offset + (entry - vaddr);
  }
  throw new Error('entry point outside every PT_LOAD');
}

describe('hello-pv32 through the worker API (worker_threads)', () => {
  let handle: VmHandle;
  let info: DomainInfo;
  let exit: DomainExit;
  let stats: DomainStats;
  let consoleText = '';

  beforeAll(async () => {
    handle = spawnVm();
    let done!: (e: DomainExit) => void;
    const stopped = new Promise<DomainExit>((r) => (done = r));
    info = await handle.create(
      {
        name: 'hello',
        kernel: readFileSync(HELLO),
        kernelName: 'hello-pv32.elf',
        memory: 32,
        extra: 'hello from the test',
        clock: 'deterministic',
        maxInstructions: 50_000_000,
      },
      {
        onConsole: (bytes) => (consoleText += new TextDecoder().decode(bytes)),
        onExit: done,
      },
    );
    await handle.vm.start();
    exit = await stopped;
    stats = await handle.vm.stats();
  });

  afterAll(async () => {
    await handle?.terminate();
  });

  it('loads as a PV32 guest', () => {
    expect(info.guestType).toBe('pv32');
    expect(info.nrPages).toBe(32 * 256);
  });

  it('prints the banner', () => {
    expect(consoleText).toContain(BANNER);
  });

  it('prints the start_info magic of a PV32 guest', () => {
    expect(consoleText).toMatch(/magic\s+xen-3\.0-x86_32p/);
  });

  it('prints nr_pages for the memory it was given', () => {
    expect(consoleText).toMatch(/nr_pages\s+8192 \(32 MiB\)/);
  });

  it('prints the command line it was given', () => {
    expect(consoleText).toContain('cmd_line      "hello from the test"');
  });

  it('powers off', () => {
    expect(exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
    expect(consoleText).toContain('hello: powering off');
  });

  it('counts its instructions and hypercalls by name', () => {
    expect(stats.instructions).toBeGreaterThan(0);
    expect(stats.hypercalls.console_io ?? 0).toBeGreaterThan(0);
    expect(stats.hypercalls.sched_op).toBeGreaterThanOrEqual(1);
    expect(stats.hypercalls.xen_version).toBe(2);
  });
});

describe('xenwasm run (the CLI)', () => {
  let dir: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'run', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xenwasm-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('boots the default demo guest, prints its banner and exits 0 on poweroff', () => {
    const r = cli();
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(BANNER);
    expect(r.status).toBe(0);
  });

  it('ends --stats output with one JSON line of counters', () => {
    const r = cli('--stats', '--cmdline', 'stats run');
    expect(r.status).toBe(0);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    const stats = JSON.parse(last);
    expect(Object.keys(stats)).toEqual(['instructions', 'wall_ms', 'mips', 'hypercalls_total', 'hypercalls', 'exceptions', 'events_delivered', 'mmu']);
    expect(stats.instructions).toBeGreaterThan(0);
    expect(stats.wall_ms).toBeGreaterThan(0);
    expect(stats.mips).toBeGreaterThan(0);
    expect(stats.hypercalls.sched_op).toBeGreaterThanOrEqual(1);
    expect(typeof stats.exceptions).toBe('object');
  });

  it('passes --memory and --cmdline to the guest', () => {
    const r = cli('--memory', '16', '--cmdline', 'console=hvc0 quiet');
    expect(r.stdout).toMatch(/nr_pages\s+4096 \(16 MiB\)/);
    expect(r.stdout).toContain('"console=hvc0 quiet"');
  });

  it('exits 2 with one line naming the file for a file that is not an ELF', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'this is a text file, not a kernel\n');
    const r = cli(file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^xenwasm: ${file.replace(/[.]/g, '\\.')}: [^\\n]+\\n$`));
  });

  it('exits 2 with one line naming the file for a truncated ELF', () => {
    const file = join(dir, 'truncated.elf');
    const elf = readFileSync(HELLO);
    writeFileSync(file, elf.subarray(0, Math.floor(elf.length / 2)));
    const r = cli(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^xenwasm: ${file.replace(/[.]/g, '\\.')}: [^\\n]+\\n$`));
  });

  it('exits 1 on a guest crash with the reason, the registers and the trace on stderr', () => {
    // hello with `ud2` at its entry point: no trap table yet, so the #UD crashes the domain.
    const file = join(dir, 'ud2-at-entry.elf');
    const elf = Buffer.from(readFileSync(HELLO));
    elf.set([0x0f, 0x0b], entryFileOffset(elf));
    writeFileSync(file, elf);
    const r = cli(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xenwasm: ${file.replace(/[.]/g, '\\.')}: domain crashed: .*#UD`));
    expect(r.stderr).toMatch(/eip=0x00101000 eflags=0x[0-9a-f]{8}/);
    expect(r.stderr).toMatch(/cs=0xe019 /); // FLAT_RING1_CS
    expect(r.stderr).toMatch(/last \d+ trace entries, oldest first:\n {2}0x00101000 /);
  });

  it('stops at --max-instructions with exit code 3', () => {
    const r = cli('--max-instructions', '1000', '--stats');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/stopped after 1000 instructions/);
    expect(JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!).instructions).toBe(1000);
  });
});
