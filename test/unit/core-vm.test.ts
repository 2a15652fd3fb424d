// The domain host (workers/vm.ts) driven by a scripted fake core: slices, every exit code, console
// streaming, input, blocking, limits, pause/step, statistics. The real core is exercised by the
// integration boots (test/integration/).
import { describe, expect, it } from 'vitest';
import { Vm } from '../../workers/vm.ts';
import { SHUTDOWN_REASONS } from '../../workers/core.ts';
import type { DomainConfig, DomainExit } from '../../workers/api.ts';
import * as L from '../../workers/layout.gen.ts';
import { FakeCore, busy, CONSOLE_PORT, STORE_PORT, RING, type Step } from './helpers/fake-core.ts';

function boot(steps: Step[], config: Partial<DomainConfig> = {}) {
  const fake = new FakeCore(steps);
  const vm = new Vm();
  const log: string[] = [];
  const chunks: Uint8Array[] = [];
  const exits: DomainExit[] = [];
  let done!: (e: DomainExit) => void;
  const exit = new Promise<DomainExit>((r) => (done = r));
  vm.attach(fake.core, { kernel: new Uint8Array(), clock: 'deterministic', ...config }, {
    onConsole(bytes) {
      chunks.push(bytes);
      log.push('console');
    },
    onExit(e) {
      exits.push(e);
      log.push('exit');
      done(e);
    },
  });
  const text = () => new TextDecoder().decode(Buffer.concat(chunks));
  return { fake, vm, log, text, exit, exits };
}

const shutdown = (reason: number, text = ''): Step => (_, m) => {
  m.ringWrite(text);
  m.retire(1);
  m.setExit(reason);
  return L.EXIT_SHUTDOWN;
};

const repeat = (n: number, step: Step) => Array.from({ length: n }, () => step);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the run loop', () => {
  it('streams console_io output until the guest first uses its PV ring, then only the ring', async () => {
    const d = boot([
      (_, m) => {
        m.hvcWrite('early boot\n');
        m.retire(5);
        return L.EXIT_BUDGET;
      },
      (_, m) => {
        m.hvcWrite('line 1\n'); // a guest printing to both consoles
        m.ringWrite('line 1\r\n');
        m.retire(5);
        return L.EXIT_BUDGET;
      },
      (_, m) => {
        m.hvcWrite('line 2\n');
        return shutdown(0, 'line 2\r\n')(0, m);
      },
    ]);
    await d.vm.start();
    await d.exit;
    expect(d.text()).toBe('early boot\nline 1\r\nline 2\r\n');
    expect(d.fake.core.u32(RING + 3080)).toBe(d.fake.core.u32(RING + 3084)); // out_cons caught up
    expect(d.fake.core.u32(L.HVC_BASE + L.HVC_CONS)).toBe(d.fake.core.u32(L.HVC_BASE + L.HVC_PROD));
  });

  it('reports a poweroff once, after the last console bytes', async () => {
    const d = boot([busy, shutdown(0, 'last words\n')]);
    await d.vm.start();
    expect(await d.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
    expect(d.log).toEqual(['console', 'exit']);
    expect(d.exits).toHaveLength(1);
    expect((await d.vm.stats()).state).toBe('shutdown');
  });

  it.each(SHUTDOWN_REASONS.map((r, i) => [r, i] as const))('names shutdown code %s (%i) as Xen does', async (name, code) => {
    const d = boot([shutdown(code)]);
    await d.vm.start();
    expect((await d.exit).reason).toBe(name);
  });

  it('attaches registers and trace to a shutdown with reason crash', async () => {
    const d = boot([shutdown(3)]);
    await d.vm.start();
    const exit = await d.exit;
    expect(exit).toMatchObject({ state: 'shutdown', reason: 'crash' });
    expect(exit.registers?.guestType).toBe('pv32');
    expect(exit.trace).toEqual([]);
  });

  it('runs slices of sliceInstructions', async () => {
    const d = boot([busy, busy, busy, shutdown(0)], { sliceInstructions: 1234 });
    await d.vm.start();
    await d.exit;
    expect(d.fake.budgets).toEqual([1234, 1234, 1234, 1234]);
    expect((await d.vm.stats()).slices).toBe(4);
  });

  it('uses 200000 instructions per slice by default', async () => {
    const d = boot([shutdown(0)]);
    await d.vm.start();
    await d.exit;
    expect(d.fake.budgets).toEqual([200_000]);
  });

  it('stops at maxInstructions with a limit exit and never runs past it', async () => {
    const d = boot(repeat(10, busy), { sliceInstructions: 100, maxInstructions: 250 });
    await d.vm.start();
    expect(await d.exit).toMatchObject({ state: 'limit', message: expect.stringContaining('250 instructions') });
    expect(d.fake.budgets).toEqual([100, 100, 50]);
    expect((await d.vm.stats()).instructions).toBe(250);
  });

  it('reports a crash with the core message, the registers and the trace, oldest first', async () => {
    const d = boot([
      (_, m) => {
        m.retire(3);
        m.setRegister(L.CPU_RIP, 0xc0101234n);
        m.setRegister(L.CPU_GPR + 8 * 0, 0xdeadn); // rax
        m.trace(0xc0101230n, L.TRACE_KIND_INSN, 0x9001_0f90);
        m.trace(0xc0101232n, L.TRACE_KIND_HYPERCALL, 18);
        m.trace(0xc0101234n, L.TRACE_KIND_EXCEPTION, 14);
        m.setExit(0, 'unimplemented opcode 0F 3A at 0xc0101234');
        return L.EXIT_CRASH;
      },
    ]);
    await d.vm.start();
    const exit = await d.exit;
    expect(exit.state).toBe('crashed');
    expect(exit.message).toBe('unimplemented opcode 0F 3A at 0xc0101234');
    expect(exit.registers).toMatchObject({ rip: 0xc0101234n, rax: 0xdeadn, guestType: 'pv32' });
    expect(exit.trace).toEqual([
      '0xc0101230  insn       90 0f 01 90',
      '0xc0101232  hypercall  18 console_io',
      '0xc0101234  exception  14 #PF',
    ]);
    expect((await d.vm.stats()).state).toBe('crashed');
  });

  it('turns an exception thrown by the core (an abort) into a crash naming a core error', async () => {
    const d = boot([
      () => {
        throw new Error('core abort: index out of range at assembly/cpu/decode.ts:10:5');
      },
    ]);
    await d.vm.start();
    expect(await d.exit).toMatchObject({ state: 'crashed', message: expect.stringMatching(/^core error: core abort: index out of range/) });
  });

  it('treats a bare-machine exit code as a crash of the PV domain', async () => {
    const d = boot([() => L.EXIT_SENTINEL]);
    await d.vm.start();
    expect(await d.exit).toMatchObject({ state: 'crashed', message: expect.stringContaining(`exit code ${L.EXIT_SENTINEL}`) });
  });

  it('clears every kicked host port, the xenstore port included, and runs on', async () => {
    const d = boot([
      (_, m) => {
        m.kick(CONSOLE_PORT);
        m.kick(STORE_PORT);
        m.kick(40);
        return L.EXIT_HOST_EVENT;
      },
      (_, m) => {
        expect(m.hostPorts()).toEqual([0, 0]);
        return L.EXIT_YIELD;
      },
      shutdown(0),
    ]);
    await d.vm.start();
    expect((await d.exit).reason).toBe('poweroff');
    expect(d.fake.remainingSteps).toBe(0);
  });

  it('sets the host clock before each slice in realtime, and deterministic time once', async () => {
    const rt = boot([busy, shutdown(0)], { clock: 'realtime' });
    expect(rt.fake.clocks).toEqual([]);
    await rt.vm.start();
    await rt.exit;
    expect(rt.fake.clocks.map((c) => c[0])).toEqual([1, 1]);
    expect(rt.fake.clocks[1][1]).toBeGreaterThanOrEqual(rt.fake.clocks[0][1]);

    const det = boot([busy, shutdown(0)], { clock: 'deterministic' });
    await det.vm.start();
    await det.exit;
    expect(det.fake.clocks).toEqual([[0, 0]]);
  });
});

describe('console input', () => {
  it('writes input into in[], bumps in_prod and notifies the console port', async () => {
    const d = boot([]);
    await d.vm.sendInput(new TextEncoder().encode('ls\r'));
    expect(d.fake.core.u32(RING + 3076)).toBe(3); // in_prod
    expect(d.fake.events).toEqual([CONSOLE_PORT]);
    expect(d.fake.ringRead()).toBe('ls\r');
  });

  it('keeps what does not fit in[] and delivers it when the guest kicks the console port', async () => {
    const input = 'x'.repeat(1500);
    const d = boot([
      (_, m) => {
        expect(m.ringRead()).toHaveLength(1024);
        m.kick(CONSOLE_PORT); // "I consumed input"
        return L.EXIT_HOST_EVENT;
      },
      (_, m) => {
        expect(m.ringRead()).toHaveLength(476);
        return L.EXIT_YIELD;
      },
      shutdown(0),
    ]);
    await d.vm.sendInput(new TextEncoder().encode(input));
    await d.vm.start();
    await d.exit;
    expect(d.fake.events).toEqual([CONSOLE_PORT, CONSOLE_PORT]);
  });

  it('wakes a blocked vCPU with no timer when input arrives', async () => {
    const d = boot([() => L.EXIT_BLOCKED, (_, m) => (m.ringRead() === 'k' ? shutdown(0)(0, m) : L.EXIT_CRASH)], { clock: 'realtime' });
    await d.vm.start();
    await sleep(30);
    expect(d.fake.budgets).toHaveLength(1); // still asleep
    await d.vm.sendInput(new TextEncoder().encode('k'));
    expect((await d.exit).reason).toBe('poweroff');
  });
});

describe('blocking', () => {
  it('sleeps until the next timer in realtime', async () => {
    let blockedAt = 0;
    const d = boot([
      (_, m) => {
        blockedAt = performance.now();
        m.nextTimer = m.clocks.at(-1)![1] + 40e6; // 40 ms of guest time ahead
        return L.EXIT_BLOCKED;
      },
      shutdown(0),
    ], { clock: 'realtime' });
    await d.vm.start();
    await d.exit;
    expect(performance.now() - blockedAt).toBeGreaterThanOrEqual(35);
  });

  it('does not wait for an armed timer in deterministic time', async () => {
    const d = boot([
      (_, m) => {
        m.nextTimer = 10e9; // ten seconds of guest time ahead
        return L.EXIT_BLOCKED;
      },
      shutdown(0),
    ]);
    const t0 = performance.now();
    await d.vm.start();
    await d.exit;
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('pause, resume and step', () => {
  it('pause() stops between slices and resume() carries on', async () => {
    const d = boot([...repeat(100_000, busy)], { sliceInstructions: 10 });
    await d.vm.start();
    await sleep(20);
    await d.vm.pause();
    const ran = d.fake.budgets.length;
    expect(ran).toBeGreaterThan(0);
    expect((await d.vm.stats()).state).toBe('paused');
    await sleep(20);
    expect(d.fake.budgets.length).toBe(ran);
    await d.vm.resume();
    await sleep(20);
    expect(d.fake.budgets.length).toBeGreaterThan(ran);
    await d.vm.destroy();
  });

  it('step(n) retires exactly n instructions and leaves the domain paused', async () => {
    const d = boot(repeat(10, busy), { sliceInstructions: 100 });
    await d.vm.step(250);
    expect(d.fake.budgets).toEqual([100, 100, 50]);
    const stats = await d.vm.stats();
    expect(stats.instructions).toBe(250);
    expect(stats.state).toBe('paused');
  });

  it('refuses to step a running domain', async () => {
    const d = boot(repeat(100_000, busy), { sliceInstructions: 10 });
    await d.vm.start();
    await expect(d.vm.step(1)).rejects.toThrow(/paused/);
    await d.vm.destroy();
  });
});

describe('statistics and inspection', () => {
  it('names hypercalls and exception vectors and derives mips from wall time', async () => {
    const d = boot([
      (_, m) => {
        m.retire(1_000_000);
        m.count(L.CNT_HYPERCALLS_TOTAL, 3);
        m.count(L.CNT_HYPERCALL + 8 * 18, 2);
        m.count(L.CNT_HYPERCALL + 8 * 29, 1);
        m.count(L.CNT_EXCEPTIONS_TOTAL, 5);
        m.count(L.CNT_EXCEPTION + 8 * 14, 4);
        m.count(L.CNT_EXCEPTION + 8 * 13, 1);
        const until = performance.now() + 5;
        while (performance.now() < until); // some wall time inside run()
        m.setExit(0);
        return L.EXIT_SHUTDOWN;
      },
    ]);
    await d.vm.start();
    await d.exit;
    const s = await d.vm.stats();
    expect(s.hypercalls).toEqual({ console_io: 2, sched_op: 1 });
    expect(s.hypercalls_by_nr).toHaveLength(L.CNT_HYPERCALL_MAX);
    expect(s.hypercalls_by_nr[18]).toBe(2);
    expect(s.hypercalls_by_nr[29]).toBe(1);
    expect(s.hypercalls_by_nr.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.hypercalls_total).toBe(3);
    expect(s.exceptions).toEqual({ '#PF': 4, '#GP': 1 });
    expect(s.exceptions_total).toBe(5);
    expect(s.wall_ms).toBeGreaterThanOrEqual(5);
    expect(s.mips).toBeCloseTo(1_000_000 / (s.wall_ms * 1000), 1);
  });

  it('reads guest memory by machine address and refuses ranges outside the domain', async () => {
    const d = boot([]);
    d.fake.core.bytes.set([1, 2, 3], L.GUEST_RAM_BASE + 0x2000);
    expect(await d.vm.readMachine(0x2000, 3)).toEqual(new Uint8Array([1, 2, 3]));
    const size = (16 + L.XEN_EXTRA_FRAMES) * L.PAGE_SIZE;
    await expect(d.vm.readMachine(size - 1, 2)).rejects.toThrow(/outside the domain/);
    await expect(d.vm.readMachine(-1, 1)).rejects.toThrow(/outside the domain/);
  });

  it('uses the core\'s readRflags() when it exports one', async () => {
    const fake = new FakeCore([], { rflags: 0x246n });
    expect(fake.core.registers().rflags).toBe(0x246n);
  });

  it('on_poweroff = destroy frees the domain but keeps its final statistics', async () => {
    const d = boot([busy, shutdown(0)], { on_poweroff: 'destroy', sliceInstructions: 7 });
    await d.vm.start();
    await d.exit;
    const s = await d.vm.stats();
    expect(s).toMatchObject({ state: 'destroyed', instructions: 8 });
    await expect(d.vm.registers()).rejects.toThrow(/destroyed/);
  });
});
