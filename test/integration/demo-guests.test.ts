// The demo guests for learners (guests/demos/, guests/README.md "Demo guests") booted in Node through
// the worker API, as PV32 and PV64: the paging lab and the privilege lab must narrate what they
// checked and end with "... lab complete" and a poweroff; the hypercall bench must report its rates
// and a hypercall count equal to the hypervisor's; the mini shell answers commands typed into its
// console ring (echo, backspace, help, mem, pt, ticks, unknown commands) and obeys reboot and halt.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnVm, type VmHandle } from '../../workers/host/node.ts';
import type { DomainExit, DomainStats } from '../../workers/api.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const TYPES = ['pv32', 'pv64'] as const;
type GuestType = (typeof TYPES)[number];

interface Run { text: string; exit: DomainExit; stats: DomainStats }

/** Boots an image to its end; the console text has the ring's \r\n turned into \n. */
async function boot(image: string, extra = ''): Promise<Run> {
  const handle = spawnVm();
  try {
    let text = '';
    let done!: (e: DomainExit) => void;
    const stopped = new Promise<DomainExit>((r) => (done = r));
    await handle.create(
      { name: image, kernel: readFileSync(IMAGES + image), kernelName: image, memory: 32, extra, clock: 'deterministic', maxInstructions: 400_000_000 },
      { onConsole: (b) => (text += new TextDecoder().decode(b)), onExit: done },
    );
    await handle.vm.start();
    const exit = await stopped;
    return { text: text.replace(/\r\n/g, '\n'), exit, stats: await handle.vm.stats() };
  } finally {
    await handle.terminate();
  }
}

/** The line an ERROR would be on, for a readable failure; '' when there is none. */
const errorLine = (text: string) => /^.*ERROR.*$/m.exec(text)?.[0] ?? '';

describe.each(TYPES)('paging lab (%s)', (type) => {
  let run: Run;
  it('narrates every step and ends with "paging lab complete" and a poweroff', async () => {
    run = await boot(`paging-lab-${type}.elf`);
    expect(errorLine(run.text)).toBe('');
    expect(run.text).toContain(`xenwasm paging lab: how a PV kernel maps memory (${type})`);
    expect(run.text.trimEnd().endsWith('paging lab complete')).toBe(true);
    expect(run.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
  }, 60_000);

  it('walks its own tables, one line per level, and the walk agrees with the P2M', () => {
    const levels = type === 'pv64' ? ['L4', 'L3', 'L2', 'L1'] : ['L3', 'L2', 'L1'];
    for (const l of levels) expect(run.text).toMatch(new RegExp(`^  ${l}\\[ *\\d+\\] = 0x[0-9a-f]+  P`, 'm'));
    expect(run.text).toMatch(/the frame the walk ends at is the one the P2M list gives/);
  });

  it('is refused a writable mapping of its own page table (-EBUSY)', () => {
    expect(run.text).toContain('is refused with -16 (EBUSY)');
  });

  it('builds, pins and hooks in an L1, and reads frame A through it', () => {
    expect(run.text).toContain('pinned it (mmuext_op PIN_L1_TABLE)');
    expect(run.text).toMatch(/VA 0x[0-9a-f]+ \(L2 entry \d+, L1 entry 0\) now reads "frame A"/);
  });

  it('takes the page faults it provokes, with the error codes the SDM gives', () => {
    expect(run.text).toMatch(/it faulted: #PF \(vector 14\) with error code 0x0 \(not present, read, kernel mode\), cr2 0x[0-9a-f]+, as expected/);
    expect(run.text).toMatch(/it faulted: #PF \(vector 14\) with error code 0x3 \(present, write, kernel mode\), cr2 0x[0-9a-f]+, as expected/);
    expect(run.stats.exceptions['#PF']).toBe(5); // unmapped read, read-only write, 2 copy-on-write, read after teardown
  });

  it('shares a frame copy-on-write: one copy for the child, none for the parent', () => {
    expect(run.text).toContain('after 1 copy, the child reads "child v2" and the parent still reads "shared v1"');
    expect(run.text).toContain('no second copy: the parent wrote frame C itself, which now reads "parent v2"');
  });
});

describe.each(TYPES)('privilege lab (%s)', (type) => {
  let run: Run;
  it('ends with "privilege lab complete" and a poweroff', async () => {
    run = await boot(`privilege-lab-${type}.elf`);
    expect(errorLine(run.text)).toBe('');
    expect(run.text.trimEnd().endsWith('privilege lab complete')).toBe(true);
    expect(run.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
  }, 60_000);

  it(`shows the kernel in ring ${type === 'pv32' ? 1 : 3}, with mov %cr3 emulated and cli refused`, () => {
    expect(run.text).toContain(type === 'pv32' ? 'our code segment is 0xe019: RPL 1' : 'our code segment is 0xe033: RPL 3');
    expect(run.text).toMatch(/mov %cr3 is privileged: it trapped to Xen, which emulated it and gave 0x[0-9a-f]+000,/);
    expect(run.text).toContain('cli faulted with #GP(0)');
  });

  it('runs a user process in ring 3 that makes system calls and exits', () => {
    expect(run.text).toContain(`the first system call came from cs ${type === 'pv32' ? '0xe02b' : '0xe033'} (RPL 3: ring 3)`);
    expect(run.text).toContain('[hello] write("hello from user mode")');
    expect(run.text).toContain('it exited with code 0 after 2 system calls');
  });

  it('kills a user process that runs hlt (#GP)', () => {
    expect(run.text).toMatch(/killed by #GP with error code 0x0 at ip 0x[0-9a-f]+ \(cs 0x[0-9a-f]+\): hlt is privileged/);
  });

  if (type === 'pv32') {
    it('kills a user process that tries the hypercall gate (#GP(0x412))', () => {
      expect(run.text).toMatch(/killed by #GP with error code 0x412 .*: int \$0x82, the hypercall gate, admits ring 1 only/);
    });

    it('protects the kernel with the US bit: a user read gives #PF 0x5', () => {
      expect(run.text).toMatch(/killed by #PF with error code 0x5 \(present, read, user mode\)/);
    });
  } else {
    it('turns a user-mode "hypercall" into a system call to the kernel', () => {
      expect(run.text).toContain('arrived at our syscall callback as system call 17, not at Xen; we answered -38 (ENOSYS)');
    });

    it('shows user mode reading the kernel through the kernel\'s table, then #PF 0x4 with a user table', () => {
      expect(run.text).toContain('it read 0x5ec2e7: with the kernel\'s table, user mode sees the kernel');
      expect(run.text).toContain('pinned the new L4 (mmuext_op PIN_L4_TABLE');
      expect(run.text).toMatch(/killed by #PF with error code 0x4 \(not present, read, user mode\)/);
      expect(run.text).toContain('under its own table the hello process still works: exit code 0 after 2 system calls');
    });
  }
});

describe.each(TYPES)('hypercall bench (%s)', (type) => {
  let run: Run;
  it('runs each loop iters times and powers off', async () => {
    run = await boot(`hcall-bench-${type}.elf`, 'iters=2000');
    expect(errorLine(run.text)).toBe('');
    expect(run.text).toContain('each loop runs 2000 times (iters=2000)');
    expect(run.text).toContain('hypercall bench complete');
    expect(run.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
  }, 60_000);

  it('prints the clock step and the calibration; 2000 operations are too short to time here', () => {
    expect(run.text).toMatch(/the clock moves in steps of about \d+ ns here/);
    expect(run.text).toMatch(/one plain guest instruction takes \d+\.\d ns/);
    // Deterministic time advances between slices of 200,000 instructions: 2000 operations of a loop
    // span fewer than 10 steps, and the guest says so instead of printing a meaningless rate.
    expect(run.text.match(/^ {2}2000 operations in \d+ ns: too short to time/gm)).toHaveLength(3);
  });

  it('counts the hypercalls of each loop: 1 per null call, 3 per event round trip, 1 per update', () => {
    expect(run.text).toContain('2000 hypercalls counted by the guest: 1 per operation');
    expect(run.text).toContain('6000 hypercalls counted by the guest: 3 per operation');
    expect(run.stats.hypercalls.xen_version).toBe(2001); // one more reads the version first
    expect(run.stats.hypercalls.iret).toBe(2000); // one upcall per round trip
    expect(run.stats.hypercalls.mmu_update).toBe(2001); // one more restores the window
  });

  it('ends with "hypercalls issued: N", N equal to the hypervisor\'s count for the domain', () => {
    const last = run.text.trimEnd().split('\n').at(-1)!;
    const n = Number(/^hypercalls issued: (\d+) /.exec(last)?.[1]);
    expect(n).toBe(run.stats.hypercalls_total);
  });

  it('runs each loop for a time when given no count, and prints ns and instruction-times per operation', async () => {
    const timed = await boot(`hcall-bench-${type}.elf`, 'ms=40');
    expect(errorLine(timed.text)).toBe('');
    expect(timed.text).toContain('each loop runs for at least 40 ms of guest time');
    const rates = [...timed.text.matchAll(/^ {2}\d+ operations in (\d+) ns: (\d+\.\d) ns each = (\d+\.\d) instruction-times; \d+ per second$/gm)];
    expect(rates).toHaveLength(3);
    for (const [, ns, per, times] of rates) {
      expect(Number(ns)).toBeGreaterThanOrEqual(40e6);
      expect(Number(per)).toBeGreaterThan(0);
      expect(Number(times)).toBeGreaterThan(1); // a hypercall costs more than one plain instruction
    }
    expect(Number(/hypercalls issued: (\d+)/.exec(timed.text)?.[1])).toBe(timed.stats.hypercalls_total);
  }, 60_000);

  it('refuses a malformed command line with an ERROR line and a crash', async () => {
    const bad = await boot(`hcall-bench-${type}.elf`, 'iters=12x');
    expect(bad.text).toContain('hypercall bench: ERROR: bad command line "iters=12x"');
    expect(bad.exit).toMatchObject({ state: 'shutdown', reason: 'crash' });
  }, 60_000);
});

/** An interactive mini shell: type a line, get what it printed before the next prompt. */
class Shell {
  text = '';
  exit?: DomainExit;
  private stopped!: Promise<DomainExit>;
  private constructor(private readonly handle: VmHandle) {}

  static async boot(type: GuestType): Promise<Shell> {
    const shell = new Shell(spawnVm());
    const image = `minishell-${type}.elf`;
    let done!: (e: DomainExit) => void;
    shell.stopped = new Promise<DomainExit>((r) => (done = r)).then((e) => (shell.exit = e));
    await shell.handle.create(
      { name: image, kernel: readFileSync(IMAGES + image), kernelName: image, memory: 32, clock: 'deterministic', maxInstructions: 400_000_000 },
      { onConsole: (b) => (shell.text += new TextDecoder().decode(b).replace(/\r\n/g, '\n')), onExit: done },
    );
    await shell.handle.vm.start();
    await shell.waitFor((t) => t.endsWith('mini$ '));
    return shell;
  }

  private waitFor(ok: (text: string) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (ok(this.text)) { clearInterval(poll); resolve(); }
        else if (this.exit) { clearInterval(poll); reject(new Error(`the shell stopped: ${JSON.stringify(this.exit)}; output: ${this.text.slice(-300)}`)); }
      }, 5);
    });
  }

  /** Types bytes (with \r for Enter) and returns the console text up to the next prompt. */
  async type(keys: string): Promise<string> {
    const from = this.text.length;
    await this.handle.vm.sendInput(new TextEncoder().encode(keys));
    await this.waitFor((t) => t.length > from && t.endsWith('\nmini$ '));
    return this.text.slice(from, this.text.length - 'mini$ '.length);
  }

  /** Types a command that ends the domain; resolves with its exit. */
  async typeFinal(keys: string): Promise<DomainExit> {
    await this.handle.vm.sendInput(new TextEncoder().encode(keys));
    return this.stopped;
  }

  close(): Promise<void> {
    return this.handle.terminate();
  }
}

describe.each(TYPES)('mini shell (%s)', (type) => {
  it('answers typed commands, with echo and backspace, and powers off on halt', async () => {
    const sh = await Shell.boot(type);
    try {
      expect(sh.text).toContain(`xenwasm mini shell: a tiny OS on the Xen console (${type})`);

      // Typed characters come back as they are typed; the line runs on Enter.
      expect(await sh.type('echo hello   world\r')).toBe('echo hello   world\nhello   world\n');
      // Backspace (DEL) erases on screen ("\b \b") and in the line.
      expect(await sh.type('echp\x7fo fixed\r')).toBe('echp\b \bo fixed\nfixed\n');

      const help = await sh.type('help\r');
      for (const c of ['help', 'mem', 'pt ADDR', 'ticks', 'echo TEXT', 'reboot', 'halt']) expect(help).toMatch(new RegExp(`^  ${c} `, 'm'));

      expect(await sh.type('frobnicate now\r')).toBe('frobnicate now\nfrobnicate: unknown command (type help)\n');
      expect(await sh.type('\r')).toBe('\n');

      const mem = await sh.type('mem\r');
      expect(mem).toContain('memory: 8192 pages of 4 KiB (32 MiB)');
      for (const region of ['kernel image', 'P2M list', 'start_info', 'console ring', 'bootstrap page tables', 'boot stack', 'the frame pool']) {
        expect(mem).toContain(region);
      }
      expect(Number(/free frames: (\d+) in the pool/.exec(mem)?.[1])).toBeGreaterThan(100);

      const pt = await sh.type('pt 0x101000\r');
      const levels = type === 'pv64' ? ['L4', 'L3', 'L2', 'L1'] : ['L3', 'L2', 'L1'];
      expect([...pt.matchAll(/^ {2}(L\d)\[ *\d+\] = 0x[0-9a-f]+ {2}P/gm)].map((m) => m[1])).toEqual(levels);
      expect(pt).toMatch(/=> 0x101000 is machine address 0x[0-9a-f]*000: (writable|read-only)/);
      expect(await sh.type('pt 40000000\r')).toContain('=> 0x40000000 is not mapped by these tables');
      expect(await sh.type(type === 'pv64' ? 'pt ffff800000000000\r' : 'pt f5800000\r')).toContain('belongs to Xen');
      expect(await sh.type('pt 0xzz\r')).toContain('pt: "0xzz" is not an address');
      expect(await sh.type('pt\r')).toContain('pt: give a virtual address');

      const t1 = await sh.type('ticks\r');
      const t2 = await sh.type('ticks\r');
      const ticks = (t: string) => Number(/ticks: (\d+) timer ticks/.exec(t)?.[1]);
      const uptimeNs = (t: string) => Number(/pvclock system time: (\d+) ns/.exec(t)?.[1]);
      const sleeps = (t: string) => Number(/slept (\d+) times in sched_op\(SCHEDOP_block\)/.exec(t)?.[1]);
      expect(ticks(t2)).toBeGreaterThan(ticks(t1)); // time goes on while it waits for keys
      expect(ticks(t2) * 10e6).toBeLessThanOrEqual(uptimeNs(t2)); // 10 ms ticks since boot
      expect(sleeps(t2)).toBeGreaterThan(sleeps(t1)); // it sleeps between events instead of spinning

      expect(await sh.typeFinal('halt\r')).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
      expect(sh.text).toContain('halt: powering off');
    } finally {
      await sh.close();
    }
  }, 120_000);

  it('asks Xen for a reboot on reboot', async () => {
    const sh = await Shell.boot(type);
    try {
      expect(await sh.typeFinal('reboot\r')).toMatchObject({ state: 'shutdown', reason: 'reboot' });
      expect(sh.text).toContain('reboot: asking Xen to restart the domain');
    } finally {
      await sh.close();
    }
  }, 60_000);
});

describe('xenwasm run <demo name>', () => {
  it('boots an image of guests/images/ by its bare name', () => {
    const cli = fileURLToPath(new URL('../../cli/xenwasm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'run', 'privilege-lab-pv64', '--clock', 'deterministic'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('privilege lab complete');
    expect(r.status).toBe(0);
  }, 60_000);
});
