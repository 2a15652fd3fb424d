// Checks a trace against the Trace Event Format (the "JSON Object" or "JSON Array" form that
// chrome://tracing and ui.perfetto.dev read): every event has its phase's required fields, duration
// slices balance per track (each E closes the innermost open B of its pid/tid; X slices nest), and
// timestamps never go back within a track. Used by the tests and usable on any trace file.
// Returns every problem found (with the event's index), not just the first.

export interface TraceCheck {
  errors: string[];
  events: number;
  /** Distinct (pid, tid) tracks with timed events. */
  tracks: number;
  /** Completed slices (B/E pairs and X events) and instants. */
  slices: number;
  instants: number;
  /** Names of the slices seen, with counts. */
  sliceNames: Map<string, number>;
}

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'M', 'C', 'b', 'e', 'n', 's', 't', 'f', 'P', 'O', 'N', 'D', 'R', 'c']);
const METADATA = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);
const MAX_ERRORS = 50;

type Event = Record<string, unknown>;

interface TrackState {
  lastTs: number;
  open: string[];
  /** End times of the X slices that enclose the current time. */
  xEnds: number[];
}

const isId = (v: unknown) => typeof v === 'number' || typeof v === 'string';
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateTrace(input: string | unknown): TraceCheck {
  const check: TraceCheck = { errors: [], events: 0, tracks: 0, slices: 0, instants: 0, sliceNames: new Map() };
  const fail = (msg: string) => {
    if (check.errors.length < MAX_ERRORS) check.errors.push(msg);
  };
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      fail(`not JSON: ${(e as Error).message}`);
      return check;
    }
  }
  const events = Array.isArray(doc) ? doc : isObject(doc) ? doc.traceEvents : undefined;
  if (!Array.isArray(events)) {
    fail('no traceEvents array (neither the JSON Object nor the JSON Array form)');
    return check;
  }
  if (isObject(doc) && doc.displayTimeUnit !== undefined && doc.displayTimeUnit !== 'ms' && doc.displayTimeUnit !== 'ns') {
    fail(`displayTimeUnit must be "ms" or "ns", not ${JSON.stringify(doc.displayTimeUnit)}`);
  }
  check.events = events.length;
  const tracks = new Map<string, TrackState>();
  const named = (name: string) => check.sliceNames.set(name, (check.sliceNames.get(name) ?? 0) + 1);

  events.forEach((e: unknown, i) => {
    const at = `event ${i}`;
    if (!isObject(e)) return fail(`${at}: not an object`);
    const ev = e as Event;
    const ph = ev.ph;
    if (typeof ph !== 'string' || !PHASES.has(ph)) return fail(`${at}: unknown phase ${JSON.stringify(ph)}`);
    if (!isId(ev.pid)) fail(`${at} (${ph}): pid missing`);
    if (ev.args !== undefined && !isObject(ev.args)) fail(`${at} (${ph}): args is not an object`);
    if (ph === 'M') {
      if (typeof ev.name !== 'string' || !METADATA.has(ev.name)) fail(`${at} (M): unknown metadata name ${JSON.stringify(ev.name)}`);
      if (!isObject(ev.args)) fail(`${at} (M): args missing`);
      if (String(ev.name).startsWith('thread') && !isId(ev.tid)) fail(`${at} (M): tid missing`);
      return;
    }
    if (ph !== 'E' && (typeof ev.name !== 'string' || ev.name === '')) fail(`${at} (${ph}): name missing`);
    if (!isTime(ev.ts)) return fail(`${at} (${ph}): ts missing or not a non-negative number`);
    if (!isId(ev.tid) && ph !== 'C') fail(`${at} (${ph}): tid missing`);
    const key = `${String(ev.pid)}/${String(ev.tid)}`;
    let track = tracks.get(key);
    if (!track) tracks.set(key, (track = { lastTs: -Infinity, open: [], xEnds: [] }));
    if (ev.ts < track.lastTs) fail(`${at} (${ph}): ts ${ev.ts} goes back on track ${key} (previous ${track.lastTs})`);
    track.lastTs = Math.max(track.lastTs, ev.ts);
    while (track.xEnds.length && track.xEnds[track.xEnds.length - 1] <= ev.ts) track.xEnds.pop();
    switch (ph) {
      case 'B':
        track.open.push(String(ev.name));
        break;
      case 'E': {
        const top = track.open.pop();
        if (top === undefined) fail(`${at} (E): no open slice on track ${key}`);
        else {
          if (typeof ev.name === 'string' && ev.name !== top) fail(`${at} (E): closes "${ev.name}" but "${top}" is open`);
          check.slices++;
          named(top);
        }
        break;
      }
      case 'X': {
        if (!isTime(ev.dur)) {
          fail(`${at} (X): dur missing or negative`);
          break;
        }
        const end = ev.ts + ev.dur;
        const outer = track.xEnds[track.xEnds.length - 1];
        if (outer !== undefined && end > outer) fail(`${at} (X): overlaps the slice it starts in (ends ${end} after ${outer})`);
        track.xEnds.push(end);
        check.slices++;
        named(String(ev.name));
        break;
      }
      case 'i':
      case 'I':
        if (ev.s !== undefined && !['g', 'p', 't'].includes(ev.s as string)) fail(`${at} (i): scope must be g, p or t`);
        check.instants++;
        break;
      case 'C':
        if (!isObject(ev.args) || !Object.values(ev.args).every((v) => typeof v === 'number')) fail(`${at} (C): args must hold numbers`);
        break;
      default:
        break;
    }
  });
  for (const [key, track] of tracks) {
    if (track.open.length) fail(`track ${key}: ${track.open.length} slice(s) never closed (innermost "${track.open[track.open.length - 1]}")`);
  }
  check.tracks = tracks.size;
  return check;
}
