// The trace-event files the profiler writes (workers/profile/trace-json.ts) and the checker that
// says whether a file is valid Trace Event Format (trace-validate.ts): required fields per phase,
// balanced begin/end per track, nested complete events, timestamps that never go back on a track.
import { describe, expect, it } from 'vitest';
import { TraceEventWriter, vcpuTid, stateTid } from '../../workers/profile/trace-json.ts';
import { validateTrace } from '../../workers/profile/trace-validate.ts';

const ev = (e: Record<string, unknown>) => ({ pid: 1, tid: 1, ...e });
const check = (events: unknown[]) => validateTrace({ traceEvents: events });

describe('the trace writer', () => {
  it('writes the JSON Object Format with process and thread names, in ns display units', () => {
    const w = new TraceEventWriter({ processName: 'xenwasm hello' });
    w.begin('vcpu', 1000, 'xen_version/version', 'hypercall', { nr: 17, sub: 0 });
    w.end('vcpu', 1250, { result: 0x40011 });
    const doc = JSON.parse(w.toJson({ clock: 'host' }));
    expect(doc.displayTimeUnit).toBe('ns');
    expect(doc.otherData).toEqual({ clock: 'host' });
    const meta = doc.traceEvents.filter((e: { ph: string }) => e.ph === 'M');
    expect(meta).toContainEqual({ name: 'process_name', ph: 'M', pid: 1, args: { name: 'xenwasm hello' } });
    expect(meta).toContainEqual({ name: 'thread_name', ph: 'M', pid: 1, tid: vcpuTid(0), args: { name: 'vCPU 0' } });
    expect(meta).toContainEqual({ name: 'thread_name', ph: 'M', pid: 1, tid: stateTid(0), args: { name: 'vCPU 0 state' } });
  });

  it('puts ts in microseconds from the first event, with nanosecond precision', () => {
    const w = new TraceEventWriter({ processName: 'd' });
    w.begin('vcpu', 5_000_000, 'a', 'c');
    w.end('vcpu', 5_001_234);
    const timed = JSON.parse(w.toJson()).traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
    expect(timed.map((e: { ts: number }) => e.ts)).toEqual([0, 1.234]);
  });

  it('writes vCPU slices and instants on the vCPU track and states on their own track', () => {
    const w = new TraceEventWriter({ processName: 'd' });
    w.begin('state', 0, 'kernel', 'state');
    w.instant(10, 'upcall', 'event');
    w.end('state', 20);
    const [state, instant] = JSON.parse(w.toJson()).traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
    expect(state).toMatchObject({ ph: 'B', tid: stateTid(0), name: 'kernel' });
    expect(instant).toMatchObject({ ph: 'i', s: 't', tid: vcpuTid(0), name: 'upcall', ts: 0.01 });
  });

  it('makes files the checker accepts', () => {
    const w = new TraceEventWriter({ processName: 'd' });
    w.begin('vcpu', 0, '#PF handler', 'handler');
    w.begin('vcpu', 5, 'iret', 'hypercall');
    w.end('vcpu', 9);
    w.end('vcpu', 9);
    w.instant(12, 'timer', 'timer', { singleshot: true, periodic: false });
    const c = validateTrace(w.toJson());
    expect(c.errors).toEqual([]);
    expect(c).toMatchObject({ slices: 2, instants: 1, tracks: 1 });
    expect(c.sliceNames.get('iret')).toBe(1);
  });
});

describe('the trace checker', () => {
  it('accepts the JSON Array Format too', () => {
    expect(validateTrace([ev({ name: 'a', ph: 'B', ts: 1 }), ev({ ph: 'E', ts: 2 })]).errors).toEqual([]);
  });

  it('refuses text that is not JSON, and JSON without events', () => {
    expect(validateTrace('{"traceEvents": [').errors[0]).toMatch(/^not JSON/);
    expect(validateTrace({ events: [] }).errors).toEqual(['no traceEvents array (neither the JSON Object nor the JSON Array form)']);
  });

  it('wants a known phase, a pid, a tid, a name and a non-negative ts on timed events', () => {
    const c = check([
      ev({ name: 'a', ph: 'Q', ts: 1 }),
      { name: 'a', ph: 'i', ts: 1, tid: 1 },
      ev({ ph: 'i', ts: 1 }),
      ev({ name: 'a', ph: 'i' }),
      ev({ name: 'a', ph: 'i', ts: -3 }),
      { name: 'a', ph: 'i', ts: 1, pid: 1 },
    ]);
    expect(c.errors).toEqual([
      'event 0: unknown phase "Q"',
      'event 1 (i): pid missing',
      'event 2 (i): name missing',
      'event 3 (i): ts missing or not a non-negative number',
      'event 4 (i): ts missing or not a non-negative number',
      'event 5 (i): tid missing',
    ]);
  });

  it('wants metadata events to be known names with args', () => {
    const c = check([{ name: 'process_colour', ph: 'M', pid: 1, args: {} }, { name: 'thread_name', ph: 'M', pid: 1, tid: 1 }]);
    expect(c.errors).toEqual(['event 0 (M): unknown metadata name "process_colour"', 'event 1 (M): args missing']);
  });

  it('finds an end without a begin, an end naming another slice, and a begin never ended', () => {
    expect(check([ev({ ph: 'E', ts: 1 })]).errors).toEqual(['event 0 (E): no open slice on track 1/1']);
    expect(check([ev({ name: 'a', ph: 'B', ts: 1 }), ev({ name: 'b', ph: 'E', ts: 2 })]).errors)
      .toEqual(['event 1 (E): closes "b" but "a" is open']);
    expect(check([ev({ name: 'a', ph: 'B', ts: 1 }), ev({ name: 'b', ph: 'B', ts: 2 }), ev({ ph: 'E', ts: 3 })]).errors)
      .toEqual(['track 1/1: 1 slice(s) never closed (innermost "a")']);
  });

  it('balances begin and end per track, not across tracks', () => {
    expect(check([ev({ name: 'a', ph: 'B', ts: 1 }), ev({ ph: 'E', ts: 2, tid: 2 })]).errors).toEqual([
      'event 1 (E): no open slice on track 1/2',
      'track 1/1: 1 slice(s) never closed (innermost "a")',
    ]);
  });

  it('finds time going back on a track, but not across tracks', () => {
    expect(check([ev({ name: 'a', ph: 'i', ts: 5 }), ev({ name: 'b', ph: 'i', ts: 4 })]).errors)
      .toEqual(['event 1 (i): ts 4 goes back on track 1/1 (previous 5)']);
    expect(check([ev({ name: 'a', ph: 'i', ts: 5 }), ev({ name: 'b', ph: 'i', ts: 4, tid: 2 })]).errors).toEqual([]);
  });

  it('wants complete events to have a duration and to nest', () => {
    expect(check([ev({ name: 'a', ph: 'X', ts: 1 })]).errors).toEqual(['event 0 (X): dur missing or negative']);
    expect(check([ev({ name: 'a', ph: 'X', ts: 0, dur: 10 }), ev({ name: 'b', ph: 'X', ts: 2, dur: 3 })]).errors).toEqual([]);
    expect(check([ev({ name: 'a', ph: 'X', ts: 0, dur: 10 }), ev({ name: 'b', ph: 'X', ts: 5, dur: 10 })]).errors)
      .toEqual(['event 1 (X): overlaps the slice it starts in (ends 15 after 10)']);
    expect(check([ev({ name: 'a', ph: 'X', ts: 0, dur: 10 }), ev({ name: 'b', ph: 'X', ts: 10, dur: 10 })]).errors).toEqual([]);
  });

  it('checks the scope of instants and the values of counters', () => {
    expect(check([ev({ name: 'a', ph: 'i', ts: 1, s: 'x' })]).errors).toEqual(['event 0 (i): scope must be g, p or t']);
    expect(check([ev({ name: 'c', ph: 'C', ts: 1, args: { n: 'many' } })]).errors).toEqual(['event 0 (C): args must hold numbers']);
  });
});
