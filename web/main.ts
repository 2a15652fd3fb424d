// The page: picks a demo guest, boots it in a domain worker, shows its console in a terminal and its
// counters in a side panel, and drives it with Start / Pause / Resume / Reset. The default guest boots
// when the page opens. Whatever the guest or the worker does (crash, bad image, dead worker), the page
// stays up and says what happened; window.__xenwasm exposes the state for tests and tinkering.
import './styles.css';
import type { DomainExit, DomainInfo, DomainStats, Registers } from '../workers/api.ts';
import { createCounters } from './counters.ts';
import { Domain } from './domain.ts';
import { DEFAULT_GUEST, fetchGuest, listGuests, type GuestImage } from './guests.ts';
import { createPicker } from './picker.ts';
import { createTerminal } from './terminal.ts';

type UiState = 'idle' | 'booting' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'error';

/** What tests (and curious users in the devtools console) can read. */
interface PageHook {
  readonly console: string;
  state: UiState;
  stateLabel: string;
  guest?: string;
  info?: DomainInfo;
  stats?: DomainStats;
  exit?: DomainExit;
  error?: string;
  crossOriginIsolated: boolean;
}

const STATS_INTERVAL_MS = 250;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const stateEl = $<HTMLSpanElement>('state');
const infoEl = $<HTMLDivElement>('guest-info');
const buttons = {
  start: $<HTMLButtonElement>('btn-start'),
  pause: $<HTMLButtonElement>('btn-pause'),
  resume: $<HTMLButtonElement>('btn-resume'),
  reset: $<HTMLButtonElement>('btn-reset'),
};
const fault = {
  box: $<HTMLElement>('fault'),
  title: $<HTMLElement>('fault-title'),
  message: $<HTMLElement>('fault-message'),
  registers: $<HTMLElement>('fault-registers'),
  traceBox: $<HTMLDetailsElement>('fault-trace-box'),
  trace: $<HTMLElement>('fault-trace'),
};

const term = createTerminal($('terminal'), (bytes) => {
  if (domain && (ui === 'running' || ui === 'paused')) domain.sendInput(bytes).catch(reportBug);
});
const counters = createCounters($('counters'));
const guests = listGuests();
const picker = createPicker($<HTMLSelectElement>('guest'), guests, DEFAULT_GUEST, (g) => void boot(g));

const hook: PageHook = {
  get console() {
    return term.text();
  },
  state: 'idle',
  stateLabel: 'idle',
  crossOriginIsolated: self.crossOriginIsolated === true,
};
(window as unknown as { __xenwasm: PageHook }).__xenwasm = hook;

if (!self.crossOriginIsolated) $('isolation-notice').hidden = false;

let domain: Domain | undefined;
let ui: UiState = 'idle';
/** Bumped on every boot: callbacks from an older domain are ignored. */
let generation = 0;
let polling = false;
let pollAgain = false;
let currentFile = '';

function setState(state: UiState, label: string = state) {
  ui = state;
  hook.state = state;
  hook.stateLabel = label;
  stateEl.dataset.state = state;
  stateEl.textContent = label;
  const live = state === 'running' || state === 'paused';
  buttons.start.disabled = !(state === 'idle' || state === 'shutdown' || state === 'crashed' || state === 'error') || !picker.selected();
  buttons.pause.disabled = state !== 'running';
  buttons.resume.disabled = state !== 'paused';
  buttons.reset.disabled = !(live || state === 'shutdown' || state === 'crashed' || state === 'error') || !picker.selected();
  picker.setEnabled(state !== 'booting');
}

async function boot(guest: GuestImage): Promise<void> {
  const my = ++generation;
  const old = domain;
  domain = undefined;
  hook.guest = guest.id;
  hook.info = hook.stats = hook.exit = hook.error = undefined;
  setState('booting', 'booting…');
  term.clear();
  counters.clear();
  fault.box.hidden = true;
  currentFile = guest.file;
  infoEl.textContent = `${guest.file}: loading`;
  await old?.destroy();
  try {
    const kernel = await fetchGuest(guest);
    if (my !== generation) return;
    const d = await Domain.boot(
      { name: guest.id, kernel, kernelName: guest.file, clock: 'realtime' },
      {
        onConsole: (bytes) => my === generation && term.write(bytes),
        onExit: (exit) => my === generation && exited(exit),
      },
    );
    if (my !== generation) return void d.destroy();
    domain = d;
    hook.info = d.info;
    infoEl.textContent = describe(guest, d.info!);
    if (ui === 'booting') setState('running');
    void poll();
    term.focus();
  } catch (e) {
    if (my === generation) failed(e instanceof Error ? e.message : String(e));
  }
}

function describe(guest: GuestImage, info: DomainInfo): string {
  const mib = (info.nrPages * 4) / 1024;
  const os = [info.notes.GUEST_OS, info.notes.GUEST_VERSION].filter(Boolean).join(' ');
  const parts = [guest.file, info.guestType, `${mib} MiB`, `entry 0x${info.entry.toString(16)}`];
  if (os) parts.push(os);
  return parts.join(' · ');
}

function exited(exit: DomainExit) {
  hook.exit = exit;
  term.setCursor(false);
  if (exit.state === 'shutdown' && exit.reason !== 'crash') {
    setState('shutdown', `shutdown (${exit.reason ?? 'unknown'})`);
    term.note(`\r\n[domain shut down: ${exit.reason ?? 'unknown reason'}]`);
  } else if (exit.state === 'limit') {
    setState('shutdown', 'stopped (instruction limit)');
    term.note(`\r\n[domain stopped: ${exit.message ?? 'instruction limit reached'}]`);
  } else {
    const message = exit.message ?? (exit.reason === 'crash' ? 'the guest reported a crash (SCHEDOP_shutdown, crash)' : 'unknown cause');
    setState('crashed', 'crashed');
    showFault('Domain crashed', message, exit.registers, exit.trace);
    term.note(`\r\n[domain crashed: ${message}]`);
  }
  // The domain still answers stats() until it is destroyed: show the final numbers.
  void poll();
}

function failed(message: string) {
  hook.error = message;
  setState('error', 'error');
  term.setCursor(false);
  if (!hook.info) infoEl.textContent = `${currentFile}: not started`;
  showFault('The domain could not run', message);
  const d = domain;
  domain = undefined;
  void d?.destroy();
}

function showFault(title: string, message: string, regs?: Registers, trace?: string[]) {
  fault.title.textContent = title;
  fault.message.textContent = message;
  fault.registers.textContent = regs ? formatRegisters(regs) : '';
  fault.registers.hidden = !regs;
  fault.trace.textContent = trace?.join('\n') ?? '';
  fault.traceBox.hidden = !trace?.length;
  fault.box.hidden = false;
}

function formatRegisters(r: Registers): string {
  const wide = !r.guestType.endsWith('32');
  const hex = (v: bigint, digits = wide ? 16 : 8) => v.toString(16).padStart(digits, '0');
  const name = (n: string) => (wide ? n : n.replace(/^r/, 'e'));
  const gprs: [string, bigint][] = [
    ['rax', r.rax], ['rbx', r.rbx], ['rcx', r.rcx], ['rdx', r.rdx],
    ['rsi', r.rsi], ['rdi', r.rdi], ['rbp', r.rbp], ['rsp', r.rsp],
  ];
  if (wide) {
    gprs.push(['r8', r.r8], ['r9', r.r9], ['r10', r.r10], ['r11', r.r11], ['r12', r.r12], ['r13', r.r13], ['r14', r.r14], ['r15', r.r15]);
  }
  const lines: string[] = [];
  for (let i = 0; i < gprs.length; i += 4) {
    lines.push(gprs.slice(i, i + 4).map(([n, v]) => `${(wide ? n : name(n)).padStart(3)}=${hex(v)}`).join('  '));
  }
  lines.push(`${name('rip').padStart(3)}=${hex(r.rip)}  ${name('rflags')}=${hex(r.rflags, 8)}  cpl=${r.cpl}  ${r.guestType}`);
  const sel = (n: string, v: number) => `${n}=${v.toString(16).padStart(4, '0')}`;
  lines.push([sel('cs', r.cs), sel('ss', r.ss), sel('ds', r.ds), sel('es', r.es), sel('fs', r.fs), sel('gs', r.gs)].join('  '));
  lines.push(`cr0=${hex(r.cr0, 8)}  cr2=${hex(r.cr2)}  cr3=${hex(r.cr3)}  cr4=${hex(r.cr4, 8)}`);
  return lines.join('\n');
}

async function poll(): Promise<void> {
  const d = domain;
  if (!d) return;
  if (polling) {
    // One already in flight may predate what the caller wants to see (an exit): ask again after it.
    pollAgain = true;
    return;
  }
  polling = true;
  try {
    const stats = await d.stats();
    if (d === domain) {
      hook.stats = stats;
      counters.update(stats, performance.now(), ui === 'running' || ui === 'booting');
    }
  } catch (e) {
    if (d === domain) reportBug(e);
  } finally {
    polling = false;
  }
  if (pollAgain) {
    pollAgain = false;
    await poll();
  }
}

setInterval(() => {
  if (ui === 'running') void poll();
}, STATS_INTERVAL_MS);

async function control(action: 'pause' | 'resume') {
  const d = domain;
  if (!d) return;
  try {
    await d[action]();
    if (d !== domain || (ui !== 'running' && ui !== 'paused')) return;
    setState(action === 'pause' ? 'paused' : 'running');
    void poll();
    term.focus();
  } catch (e) {
    reportBug(e);
  }
}

function reportBug(e: unknown) {
  console.error(e);
  failed(e instanceof Error ? e.message : String(e));
}

buttons.start.addEventListener('click', () => {
  const g = picker.selected();
  if (g) void boot(g);
});
buttons.reset.addEventListener('click', () => {
  const g = picker.selected();
  if (g) void boot(g);
});
buttons.pause.addEventListener('click', () => void control('pause'));
buttons.resume.addEventListener('click', () => void control('resume'));

setState('idle');
const first = picker.selected();
if (first) void boot(first);
else infoEl.textContent = 'No guest images found in guests/images/: run `npm run guests` to build them.';
