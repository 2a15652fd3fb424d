// The profiler on real guests (docs/profiler.md): its counts are the guest's own (the benchmark
// guests do exactly the operations they report) and the core's (DomainStats), on every demo and
// test guest; its trace is valid Trace Event Format; a deterministic domain profiled with the guest
// clock gives the same trace on every run; and `xenwasm run --profile` prints a table whose counts
// add up to the hypercalls of --stats, while --trace writes a valid file.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainConfig, DomainExit, DomainStats, ProfileOptions, ProfileSnapshot } from '../../workers/api.ts';
import { spawnVm, type VmHandle } from '../../workers/host/node.ts';
import { hypercallName } from '../../workers/hypercalls.ts';
import { validateTrace } from '../../workers/profile/trace-validate.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGES = join(ROOT, 'guests/images/');
const TYPES = ['pv32', 'pv64'] as const;

interface Run {
  text: string;
  exit: DomainExit;
  stats: DomainStats;
  profile: ProfileSnapshot;
  trace: string;
}

interface Boot {
  cmdline?: string;
  options?: ProfileOptions;
  config?: Partial<DomainConfig>;
  /** Console text to wait for, then keyboard input or a shutdown request (as abi-guests.test.ts). */
  prompt?: string;
  input?: string;
  shutdown?: boolean;
  /** Instructions to run (step) before profiling starts. */
  before?: number;
}

let handle: VmHandle;
beforeAll(() => {
  handle = spawnVm();
});
afterAll(async () => {
  await handle.terminate();
});

/** Boots an image in the shared worker with the profiler on, runs it to its end, returns everything. */
async function boot(image: string, b: Boot = {}): Promise<Run> {
  let text = '';
  let acted = false;
  let done!: (e: DomainExit) => void;
  const stopped = new Promise<DomainExit>((r) => (done = r));
  await handle.create(
    { name: image, kernel: readFileSync(IMAGES + image), memory: 32, clock: 'deterministic', extra: b.cmdline ?? '', maxInstructions: 400_000_000, ...b.config },
    {
      onConsole: (bytes) => {
        text += new TextDecoder().decode(bytes);
        if (b.prompt && !acted && text.includes(b.prompt)) {
          acted = true;
          if (b.input) void handle.vm.sendInput(new TextEncoder().encode(b.input));
          if (b.shutdown) void handle.vm.shutdown('poweroff');
        }
      },
      onExit: done,
    },
  );
  try {
    if (b.before) await handle.vm.step(b.before);
    await handle.vm.startProfiling(b.options);
    await handle.vm.start();
    const exit = await stopped;
    const profile = await handle.vm.stopProfiling();
    return { text, exit, stats: await handle.vm.stats(), profile, trace: await handle.vm.profileTrace() };
  } finally {
    await handle.vm.destroy();
  }
}

/** Calls per row name (hypercall rows only). */
function counts(p: ProfileSnapshot): Record<string, number> {
  return Object.fromEntries(p.rows.filter((r) => r.kind === 'hypercall').map((r) => [r.name, r.count]));
}

/** The profile's calls folded per hypercall number, as the core counts them (CNT_HYPERCALL). */
function byNumber(p: ProfileSnapshot): number[] {
  const out = new Array(64).fill(0);
  for (const r of p.rows) if (r.kind === 'hypercall' && r.nr! < 64) out[r.nr!] += r.count;
  return out;
}

/** What changed between two profiles' counts of every row kind ("name": after - before). */
function difference(before: ProfileSnapshot, after: ProfileSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of after.rows) out[r.name] = r.count;
  for (const r of before.rows) out[r.name] = (out[r.name] ?? 0) - r.count;
  return Object.fromEntries(Object.entries(out).filter(([, n]) => n !== 0));
}

function guestOps(text: string): number {
  const m = /^bench \S+: ops (\d+) result 0x00000000\r?$/m.exec(text);
  expect(m, `no result line in: ${text.slice(-300)}`).not.toBeNull();
  expect(text).toContain('Bench result: SUCCESS');
  return Number(m![1]);
}

/** The profile agrees with the core's own counters, lost nothing, and its trace is valid. */
function expectConsistent(run: Run): void {
  expect(run.profile.lostRecords).toBe(0);
  expect(run.profile.hypercalls).toBe(run.stats.hypercalls_total);
  expect(byNumber(run.profile)).toEqual(run.stats.hypercalls_by_nr);
  for (const [name, n] of Object.entries(run.stats.hypercalls)) {
    const rows = run.profile.rows.filter((r) => r.kind === 'hypercall' && hypercallName(r.nr!) === name);
    expect(rows.reduce((s, r) => s + r.count, 0), name).toBe(n);
  }
  const check = validateTrace(run.trace);
  expect(check.errors).toEqual([]);
  expect(check.tracks).toBe(2);
  const slices = Object.fromEntries(check.sliceNames);
  for (const [name, n] of Object.entries(counts(run.profile))) expect(slices[name], name).toBe(n);
}

describe.each(TYPES)('the hypercall bench demo guest (%s)', (type) => {
  it('profiles exactly the hypercalls the guest counts itself ("hypercalls issued: N")', async () => {
    const run = await boot(`hcall-bench-${type}.elf`, { cmdline: 'iters=2000' });
    const issued = Number(/^hypercalls issued: (\d+)/m.exec(run.text)?.[1]);
    expect(issued).toBeGreaterThan(6000); // null hypercalls, event sends and page-table updates, 2000 each
    expect(run.profile.hypercalls).toBe(issued);
    expectConsistent(run);
  }, 120_000);
});

describe.each(TYPES)('the hypercall benchmark guest (%s)', (type) => {
  const image = `bench-hypercall-${type}.elf`;
  let zero: Run;
  let full: Run;
  beforeAll(async () => {
    zero = await boot(image, { cmdline: 'iters=0' });
    full = await boot(image, { cmdline: 'iters=3000' });
  }, 120_000);

  it('counts exactly the xen_version calls the guest says it made, and nothing else changes', () => {
    expect(guestOps(zero.text)).toBe(0);
    expect(guestOps(full.text)).toBe(3000);
    expect(difference(zero.profile, full.profile)).toEqual({ 'xen_version/version': 3000 });
    expect(counts(full.profile)['xen_version/version']).toBe(3001); // one more before the loop
  });

  it('agrees with the core\'s counters and writes a valid trace with a slice per hypercall', () => {
    expectConsistent(zero);
    expectConsistent(full);
  });

  it('times every call: a cost per call, percentiles in order, a histogram holding every call', () => {
    const row = full.profile.rows.find((r) => r.name === 'xen_version/version')!;
    expect(row).toMatchObject({ kind: 'hypercall', nr: 17, sub: 0, count: 3001 });
    expect(row.time.p50).toBeLessThanOrEqual(row.time.p99);
    expect(row.time.p99).toBeLessThanOrEqual(row.time.max);
    expect(row.time.histogram.reduce((s, b) => s + b.count, 0)).toBe(3001);
    expect(row.instructions.max).toBe(0); // the hypervisor's own work retires no guest instruction
    expect(full.profile.clock).toBe('host');
    expect(full.profile.clockInfo.overheadNs).toBeGreaterThan(0);
    expect(full.profile.instructions).toBe(full.stats.instructions);
  });
});

describe('the event and page-table benchmark guests', () => {
  it.each(TYPES)('event (%s): two sends, one upcall, one handler and one iret per round trip', async (type) => {
    const zero = await boot(`bench-event-${type}.elf`, { cmdline: 'iters=0' });
    const full = await boot(`bench-event-${type}.elf`, { cmdline: 'iters=400' });
    expect(guestOps(full.text)).toBe(400);
    expect(difference(zero.profile, full.profile)).toEqual({
      'event_channel_op/send': 800, iret: 400, 'bounce upcall': 400, 'upcall handler': 400,
    });
    const handler = full.profile.rows.find((r) => r.name === 'upcall handler')!;
    expect(handler.instructions.min).toBeGreaterThan(0);
    expect(full.profile.eventsPending - zero.profile.eventsPending).toBe(800);
    expectConsistent(full);
  }, 120_000);

  it.each(TYPES)('page-table update (%s): one mmu_update and one entry written per operation', async (type) => {
    const zero = await boot(`bench-ptupdate-${type}.elf`, { cmdline: 'iters=0' });
    const full = await boot(`bench-ptupdate-${type}.elf`, { cmdline: 'iters=700' });
    expect(guestOps(full.text)).toBe(700);
    expect(difference(zero.profile, full.profile)).toEqual({ mmu_update: 700 });
    expect(full.profile.ptUpdates - zero.profile.ptUpdates).toBe(700);
    expectConsistent(full);
  }, 120_000);
});

describe('recording', () => {
  it('gives the same trace on every run of a deterministic domain timed by the guest clock', async () => {
    const a = await boot('bench-event-pv32.elf', { cmdline: 'iters=50', options: { clock: 'guest' } });
    const b = await boot('bench-event-pv32.elf', { cmdline: 'iters=50', options: { clock: 'guest' } });
    expect(validateTrace(a.trace).errors).toEqual([]);
    expect(a.trace).toBe(b.trace);
    expect(a.profile.clock).toBe('guest');
  }, 120_000);

  it('loses nothing when one slice makes far more records than the core\'s buffer holds', async () => {
    // 40 000 records in what would be one slice: the core ends slices early so the host drains.
    const run = await boot('bench-hypercall-pv64.elf', { cmdline: 'iters=20000', config: { sliceInstructions: 50_000_000 } });
    expect(guestOps(run.text)).toBe(20000);
    expect(run.profile.lostRecords).toBe(0);
    expect(counts(run.profile)['xen_version/version']).toBe(20001);
    expect(run.stats.slices).toBeGreaterThan(2);
    expectConsistent(run);
  }, 120_000);

  it('records only from startProfiling() on', async () => {
    const run = await boot('hello-pv64.elf', { before: 30_000 });
    expect(run.profile.hypercalls).toBeGreaterThan(0);
    expect(run.profile.hypercalls).toBeLessThan(run.stats.hypercalls_total);
    expect(validateTrace(run.trace).errors).toEqual([]);
  }, 120_000);

  it('keeps no trace records when asked for none, and still counts everything', async () => {
    const run = await boot('hello-pv32.elf', { options: { traceRecords: 0 } });
    expect(run.profile.traceRecords).toBe(0);
    expect(run.profile.hypercalls).toBe(run.stats.hypercalls_total);
    expect(validateTrace(run.trace).errors).toEqual([]);
  }, 120_000);

  it('refuses bad options with a message naming them', async () => {
    await handle.create({ kernel: readFileSync(IMAGES + 'hello-pv32.elf'), memory: 16 }, { onConsole() {}, onExit() {} });
    try {
      await expect(handle.vm.startProfiling({ clock: 'wall' as 'host' })).rejects.toThrow(/profile clock must be 'host' or 'guest', got "wall"/);
      await expect(handle.vm.startProfiling({ traceRecords: -1 })).rejects.toThrow(/traceRecords must be a whole number/);
    } finally {
      await handle.vm.destroy();
    }
  });
});

// Every demo and test guest, as the page and the CLI would run them.
const GUESTS: [string, Boot][] = [
  ['hello', {}], ['hello-raw', {}],
  ...(['traps', 'user', 'events', 'memory', 'grants', 'xenstore'].map((a) => [`test-${a}`, {}] as [string, Boot])),
  ['test-console', { prompt: 'type a line and press Enter', input: 'hello xenwasm\r' }],
  ['test-shutdown', { prompt: 'waiting for a shutdown request', shutdown: true }],
  // The demo guests (guests/README.md); the mini shell is driven from the keyboard.
  ['paging-lab', {}], ['privilege-lab', {}], ['hcall-bench', { cmdline: 'iters=2000' }],
  ['minishell', { prompt: 'mini$ ', input: 'mem\rhalt\r' }],
];

describe.each(GUESTS)('%s with the profiler on', (name, b) => {
  it.each(TYPES)('%s: runs to the end as without it, counting every hypercall the core counts', async (type) => {
    const run = await boot(`${name}-${type}.elf`, b);
    expect(run.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
    if (name.startsWith('test-')) expect(run.text).toContain('Test result: SUCCESS');
    expectConsistent(run);
  }, 120_000);
});

// ---- the command line ----

const CLI = join(ROOT, 'cli/xenwasm.mjs');

/** Runs `xenwasm` (asynchronously, so two can run at once). */
function xenwasm(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The hypercall table of --profile: name -> count, and the total row's count. */
function parseTable(stdout: string): { rows: Record<string, number>; total: number } {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => /^hypercall\s{2,}count\s{2,}mean\s{2,}p50\s{2,}p99\s{2,}total\s{2,}share$/.test(l));
  expect(head, `no table header in:\n${stdout.slice(-2000)}`).toBeGreaterThanOrEqual(0);
  const rows: Record<string, number> = {};
  for (let i = head + 1; ; i++) {
    const cells = lines[i].split(/\s{2,}/);
    const count = Number(cells[1].replace(/,/g, ''));
    if (cells[0] === 'total') return { rows, total: count };
    rows[cells[0]] = count;
  }
}

const CLI_GUESTS = GUESTS.filter(([, b]) => !b.prompt).flatMap(([name]) => TYPES.map((t) => `${name}-${t}.elf`));

describe('xenwasm run --profile --trace', () => {
  let dir: string;
  const results = new Map<string, Awaited<ReturnType<typeof xenwasm>>>();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xenwasm-profile-'));
    // Two at a time: the machine has two cores.
    const queue = [...CLI_GUESTS];
    await Promise.all([0, 1].map(async () => {
      for (let image = queue.shift(); image; image = queue.shift()) {
        results.set(image, await xenwasm(['run', join(IMAGES, image), '--clock', 'deterministic', '--profile', '--stats', '--trace', join(dir, `${image}.json`)]));
      }
    }));
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CLI_GUESTS)('%s: a table whose counts add up to the hypercalls of --stats, and a valid trace', (image) => {
    const r = results.get(image)!;
    expect(r.status, r.stderr).toBe(0);
    const { rows, total } = parseTable(r.stdout);
    const stats = JSON.parse(r.stdout.trim().split('\n').pop()!) as { hypercalls: Record<string, number> };
    const statsTotal = Object.values(stats.hypercalls).reduce((s, n) => s + n, 0);
    expect(Object.values(rows).reduce((s, n) => s + n, 0)).toBe(statsTotal);
    expect(total).toBe(statsTotal);
    for (const [name, n] of Object.entries(stats.hypercalls)) {
      const sum = Object.entries(rows).filter(([row]) => row.split('/')[0] === name).reduce((s, [, c]) => s + c, 0);
      expect(sum, name).toBe(n);
    }
    expect(r.stderr).toContain(`trace written to ${join(dir, `${image}.json`)}`);
    expect(validateTrace(readFileSync(join(dir, `${image}.json`), 'utf8')).errors).toEqual([]);
  });

  it('says where the time went and what the clock is worth', () => {
    const out = results.get('hello-pv32.elf')!.stdout;
    expect(out).toMatch(/^xenwasm profile \(host time\): \d+ hypercalls, [\d,]+ guest instructions, .* inside the core$/m);
    expect(out).toMatch(/^vCPU 0: user [\d.]+%, kernel [\d.]+%, hypervisor [\d.]+%, blocked [\d.]+%, host [\d.]+% of /m);
    expect(out).toMatch(/^clock: performance\.now\(\), steps of .* subtracted per interval/m);
  });

  it('exits 2 with one line, before booting, when the trace file cannot be written', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--trace', '/no/such/dir/t.json'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('xenwasm: /no/such/dir/t.json: cannot write the trace: no such file\n');
    expect(r.stdout).toBe('');
  });
});
