// From the core's profiler records to costs and a trace (workers/profile/timeline.ts,
// accounting.ts, names.ts), on hand-made record streams with a deterministic clock: what a hypercall
// costs (its interval less the profiler's own per-record cost), how deliveries and the guest's
// handlers nest, where the vCPU's time goes, and how records are named.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { Accounting } from '../../workers/profile/accounting.ts';
import { hypercallLabel, deliveryLabel } from '../../workers/profile/names.ts';
import type { ProfRecord } from '../../workers/profile/records.ts';
import { Timeline } from '../../workers/profile/timeline.ts';
import { TraceEventWriter } from '../../workers/profile/trace-json.ts';
import { validateTrace } from '../../workers/profile/trace-validate.ts';

const NO = L.PROF_NO_SUB;

/** A record at host time `t` ns with `insn` retired instructions (virtual TSC = 10 ns each). */
const r = (kind: number, a: number, b: number, t: number, insn = 0): ProfRecord =>
  ({ kind, vcpu: 0, a, b, insn, tsc: insn * 10, host: t });

const slice = (t: number, insn: number, kernel = true) => r(L.PROF_K_SLICE_BEGIN, kernel ? 1 : 0, 100000, t, insn);
const sliceEnd = (t: number, insn: number, exit = L.EXIT_BUDGET) => r(L.PROF_K_SLICE_END, exit, 0, t, insn);
const enter = (nr: number, sub: number, t: number, insn = 0) => r(L.PROF_K_HCALL_ENTER, nr, sub, t, insn);
const exit = (nr: number, result: number, t: number, insn = 0) => r(L.PROF_K_HCALL_EXIT, nr, result, t, insn);
const deliver = (kind: number, vec: number, t: number, insn = 0) => r(L.PROF_K_DELIVER_BEGIN, kind, vec, t, insn);
const delivered = (kind: number, outcome: number, t: number, insn = 0) => r(L.PROF_K_DELIVER_END, kind, outcome, t, insn);
const mode = (kernel: boolean, t: number, insn = 0) => r(L.PROF_K_MODE, kernel ? 1 : 0, 0, t, insn);

function run(records: ProfRecord[], overheadNs = 0, clock: 'host' | 'guest' = 'host') {
  const acc = new Accounting();
  const writer = new TraceEventWriter({ processName: 'test' });
  const tl = new Timeline(clock, overheadNs, acc, writer);
  for (const rec of records) tl.feed(rec);
  tl.finish();
  const span = tl.now - tl.origin;
  const totals = acc.totals(span);
  const row = (name: string) => totals.rows.find((x) => x.name === name);
  return { totals, row, trace: writer.toJson(), span };
}

describe('hypercall costs', () => {
  it('time a hypercall from entry to return, less one clock read per record it spans', () => {
    const { row, totals } = run([
      slice(0, 0), enter(17, 0, 100), exit(17, 0x40011, 400), enter(17, 0, 500), exit(17, 0x40011, 700),
      enter(1, NO, 800), r(L.PROF_K_PT_UPDATE, 0, 0, 850), exit(1, 0, 1000), sliceEnd(1100, 30),
    ], 50);
    expect(row('xen_version/version')).toMatchObject({ kind: 'hypercall', nr: 17, sub: 0, count: 2 });
    expect(row('xen_version/version')!.time).toMatchObject({ total: 250 + 150, min: 150, max: 250, mean: 200 });
    // mmu_update spans one page-table record: two reads of the clock beside its own.
    expect(row('mmu_update')!.time.total).toBe(200 - 2 * 50);
    expect(row('mmu_update')!.sub).toBeUndefined();
    expect(totals.hypercalls).toBe(3);
    expect(totals.ptUpdates).toBe(1);
  });

  it('keeps the mean unbiased when the clock is coarser than the call: a tick of 500 ns, 50 ns calls', () => {
    // One call in ten straddles a tick and reads 500 ns, the others 0: the mean is still 50 ns.
    const recs = [slice(0, 0)];
    for (let i = 0; i < 10; i++) recs.push(enter(17, 0, 1000 * i), exit(17, 0, 1000 * i + (i === 3 ? 500 : 0)));
    recs.push(sliceEnd(20000, 5));
    const t = run(recs, 0).row('xen_version/version')!.time;
    expect(t.mean).toBe(50);
    expect(t).toMatchObject({ p50: 0, max: 500 });
  });

  it('counts an interval that came out below the overhead as 0 in its percentiles, not its mean', () => {
    const { row } = run([slice(0, 0), enter(17, 0, 100), exit(17, 0, 100), enter(17, 0, 200), exit(17, 0, 350), sliceEnd(400, 5)], 50);
    expect(row('xen_version/version')!.time).toMatchObject({ min: 0, max: 100, total: 50, mean: 25 });
  });

  it('give each row its share of the time inside the core', () => {
    const { row, totals } = run([slice(0, 0), enter(29, 0, 100), exit(29, 0, 300), sliceEnd(1000, 10)]);
    expect(totals.coreNs).toBe(1000);
    expect(row('sched_op/yield')!.share).toBeCloseTo(0.2, 10);
  });

  it('ignore the calibration records', () => {
    const { totals } = run([enter(L.PROF_CALIBRATE, 0, 0), exit(L.PROF_CALIBRATE, 0, 40), slice(50, 0), sliceEnd(60, 1)]);
    expect(totals.hypercalls).toBe(0);
    expect(totals.rows).toEqual([]);
  });
});

describe('deliveries and handlers', () => {
  it('time the bounce, then the guest handler until the iret that returns from it', () => {
    const { row } = run([
      slice(0, 0, false),
      deliver(L.PROF_D_FAULT, 14, 100, 10), mode(true, 120, 10), delivered(L.PROF_D_FAULT, L.PROF_OUT_BOUNCED, 200, 10),
      enter(23, NO, 900, 60), mode(false, 950, 60), exit(23, 0, 1000, 60),
      sliceEnd(1100, 70),
    ]);
    expect(row('bounce #PF')).toMatchObject({ kind: 'delivery', count: 1 });
    expect(row('bounce #PF')!.time.total).toBe(100);
    expect(row('#PF handler')).toMatchObject({ kind: 'handler', count: 1 });
    expect(row('#PF handler')!.time.total).toBe(800);
    expect(row('#PF handler')!.instructions.total).toBe(50);
  });

  it('start a handler delivered inside a hypercall when the hypercall returns (failsafe inside iret)', () => {
    const { row, trace } = run([
      slice(0, 0),
      deliver(L.PROF_D_EVENT, 0, 10), delivered(L.PROF_D_EVENT, L.PROF_OUT_BOUNCED, 20),
      enter(23, NO, 100, 5), deliver(L.PROF_D_FAULT + 4, 1, 110, 5), delivered(4, L.PROF_OUT_BOUNCED, 120, 5), exit(23, 0, 150, 5),
      enter(23, NO, 400, 25), exit(23, 0, 450, 25),
      sliceEnd(500, 30),
    ]);
    expect(row('upcall handler')!.time.total).toBe(150 - 20); // ended by the first iret
    expect(row('failsafe handler')!.time.total).toBe(450 - 150); // started when that iret returned
    expect(validateTrace(trace).errors).toEqual([]);
  });

  it('nest an upcall delivered on the way out of a #PF bounce: the upcall handler returns first', () => {
    const { row } = run([
      slice(0, 0),
      deliver(L.PROF_D_FAULT, 14, 10), deliver(L.PROF_D_EVENT, 0, 20), delivered(L.PROF_D_EVENT, L.PROF_OUT_BOUNCED, 30),
      delivered(L.PROF_D_FAULT, L.PROF_OUT_BOUNCED, 40),
      enter(23, NO, 100, 10), exit(23, 0, 110, 10), // returns from the upcall handler
      enter(23, NO, 300, 30), exit(23, 0, 310, 30), // returns from the #PF handler
      sliceEnd(400, 40),
    ]);
    expect(row('upcall handler')!.time.total).toBe(110 - 40);
    expect(row('#PF handler')!.time.total).toBe(310 - 40);
    expect(row('bounce #PF')!.time.total).toBe(30);
  });

  it('leave the host\'s turns between slices out of a handler\'s time', () => {
    const { row } = run([
      slice(0, 0), deliver(L.PROF_D_EVENT, 0, 10), delivered(L.PROF_D_EVENT, L.PROF_OUT_BOUNCED, 20),
      sliceEnd(100, 10), slice(5100, 10), // 5 µs serving the console between the two slices
      enter(23, NO, 200 + 5000, 20), exit(23, 0, 220 + 5000, 20), sliceEnd(300 + 5000, 30),
    ]);
    expect(row('upcall handler')!.time.total).toBe(220 - 20);
  });

  it('end every handler when the guest is back in user mode, however it got there', () => {
    const { row } = run([
      slice(0, 0, false),
      deliver(L.PROF_D_SYSCALL, 0, 10), mode(true, 15), delivered(L.PROF_D_SYSCALL, L.PROF_OUT_BOUNCED, 20),
      mode(false, 500, 40), // e.g. a PV32 kernel returning with a plain IRET
      sliceEnd(600, 50),
    ]);
    expect(row('syscall handler')!.time.total).toBe(480);
  });

  it('name emulated and refused deliveries for what became of them, with no handler', () => {
    const { totals } = run([
      slice(0, 0),
      deliver(L.PROF_D_FAULT, 14, 10), delivered(L.PROF_D_FAULT, L.PROF_OUT_EMULATED, 30),
      deliver(L.PROF_D_SOFTINT, 0x81, 40), delivered(L.PROF_D_SOFTINT, L.PROF_OUT_FAILED, 50),
      sliceEnd(100, 3),
    ]);
    expect(totals.rows.map((x) => x.name)).toEqual(['emulate #PF', 'int $0x81 not delivered']);
  });
});

describe('where the time goes', () => {
  it('splits the recording into user, kernel, hypervisor, blocked and host time', () => {
    const { totals } = run([
      slice(0, 0, false), // user from 0
      deliver(L.PROF_D_SYSCALL, 0, 100, 10), mode(true, 110, 10), delivered(L.PROF_D_SYSCALL, L.PROF_OUT_BOUNCED, 150, 10),
      enter(29, 1, 400, 40), exit(29, 0, 450, 40), // sched_op/block
      sliceEnd(500, 45, L.EXIT_BLOCKED),
      // Still blocked (bit 1 of a): a timer fires, nothing is pending yet.
      r(L.PROF_K_SLICE_BEGIN, 3, 100000, 2000, 45), r(L.PROF_K_TIMER, 1, 0, 2000, 45), sliceEnd(2010, 45, L.EXIT_BLOCKED),
      slice(3000, 45), sliceEnd(3500, 95), // runs 50 instructions in the kernel
    ]);
    expect(totals.states).toEqual({
      user: { ns: 100, instructions: 10 },
      kernel: { ns: 250 + 50 + 500, instructions: 30 + 5 + 50 },
      hypervisor: { ns: 50 + 50, instructions: 0 },
      blocked: { ns: 1500 + 10 + 990, instructions: 0 },
      host: { ns: 0, instructions: 0 },
    });
    expect(totals.timers).toBe(1);
    expect(totals.coreNs).toBe(500 + 10 + 500);
    expect(totals.instructions).toBe(95);
  });

  it('counts the gaps between slices as the host\'s time unless the vCPU blocked', () => {
    const { totals } = run([slice(0, 0), sliceEnd(100, 10), slice(300, 10), sliceEnd(400, 20)]);
    expect(totals.states.host.ns).toBe(200);
    expect(totals.states.kernel.ns).toBe(200);
  });

  it('with the guest clock, times everything in guest time: the hypervisor takes none', () => {
    const { row, totals } = run([slice(0, 0), enter(17, 0, 100, 5), exit(17, 0, 900, 5), sliceEnd(1000, 25)], 0, 'guest');
    expect(row('xen_version/version')!.time.total).toBe(0);
    expect(totals.coreNs).toBe(250);
  });
});

describe('the trace of a recording', () => {
  it('is valid, with slices for hypercalls, deliveries and handlers and instants for faults and upcalls', () => {
    const { trace } = run([
      slice(0, 0, false),
      deliver(L.PROF_D_FAULT, 14, 100, 10), mode(true, 110, 10), delivered(L.PROF_D_FAULT, L.PROF_OUT_BOUNCED, 150, 10),
      enter(32, 4, 200, 20), r(L.PROF_K_EVENT_PENDING, 0, 3, 210, 20), exit(32, 0, 250, 20),
      deliver(L.PROF_D_EVENT, 0, 260, 20), delivered(L.PROF_D_EVENT, L.PROF_OUT_BOUNCED, 270, 20),
      enter(23, NO, 400, 40), exit(23, 0, 420, 40),
      enter(23, NO, 500, 50), mode(false, 510, 50), exit(23, 0, 520, 50),
      sliceEnd(600, 60),
    ]);
    const c = validateTrace(trace);
    expect(c.errors).toEqual([]);
    expect(Object.fromEntries(c.sliceNames)).toMatchObject({
      '#PF': 1, '#PF handler': 1, 'event_channel_op/send': 1, upcall: 1, 'upcall handler': 1, iret: 2,
      user: 2, kernel: 4, hypervisor: 5,
    });
    const names = JSON.parse(trace).traceEvents.filter((e: { ph: string }) => e.ph === 'i').map((e: { name: string }) => e.name);
    expect(names).toEqual(['fault #PF', 'event port 3', 'upcall']);
  });

  it('closes what is still open when the recording stops', () => {
    const { trace } = run([slice(0, 0), deliver(L.PROF_D_EVENT, 0, 10), delivered(L.PROF_D_EVENT, L.PROF_OUT_BOUNCED, 20), sliceEnd(50, 5)]);
    expect(validateTrace(trace).errors).toEqual([]);
  });
});

describe('names', () => {
  it('name hypercalls with their sub-op as Xen does', () => {
    expect(hypercallLabel(32, 4)).toBe('event_channel_op/send');
    expect(hypercallLabel(29, 1)).toBe('sched_op/block');
    expect(hypercallLabel(26, 3)).toBe('mmuext_op/pin_l4_table');
    expect(hypercallLabel(26, 5)).toBe('mmuext_op/new_baseptr');
    expect(hypercallLabel(12, 9)).toBe('memory_op/memory_map');
    expect(hypercallLabel(24, 10)).toBe('vcpu_op/register_vcpu_info');
    expect(hypercallLabel(16, 1)).toBe('event_channel_op_compat/bind_virq');
    expect(hypercallLabel(1, undefined)).toBe('mmu_update');
    expect(hypercallLabel(23, undefined)).toBe('iret');
  });

  it('show a sub-op or a hypercall Xen has no name for as its number', () => {
    expect(hypercallLabel(29, 42)).toBe('sched_op/42');
    expect(hypercallLabel(60, undefined)).toBe('hypercall_60');
    expect(hypercallLabel(0xffff, undefined)).toBe('hypercall_65535+');
  });

  it('name deliveries by vector, instruction or kind', () => {
    expect(deliveryLabel(L.PROF_D_FAULT, 14)).toBe('#PF');
    expect(deliveryLabel(L.PROF_D_SOFTINT, 0x80)).toBe('int $0x80');
    expect(deliveryLabel(L.PROF_D_SOFTINT, 3)).toBe('int3');
    expect(deliveryLabel(L.PROF_D_SYSCALL, 1)).toBe('sysenter');
    expect(deliveryLabel(L.PROF_D_EVENT, 0)).toBe('upcall');
    expect(deliveryLabel(L.PROF_D_FAILSAFE, 1)).toBe('failsafe');
  });
});
