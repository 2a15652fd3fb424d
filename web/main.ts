// The page: picks a demo guest, boots it in a domain worker, shows its console in a terminal and, in
// a side panel, its counters and the hypercall table with live counts; drives it with Start / Pause /
// Resume / Reset, and Shut down / Reboot, which ask the guest through xenstore control/shutdown as
// `xl shutdown` / `xl reboot` do (a guest that asks to reboot is booted again, as xl's default
// on_reboot = "restart"). The default guest boots when the page opens. Whatever the guest or the
// worker does (crash, bad image, dead worker), the page stays up and says what happened;
// window.__xenwasm exposes the state for tests and tinkering.
import './styles.css';
import type { DomainExit, DomainInfo, DomainStats, Registers, ShutdownRequest } from '../workers/api.ts';
import { createCounters } from './counters.ts';
import { createHypercallPanel } from './hypercalls.ts';
import { Domain } from './domain.ts';
import { DEFAULT_GUEST, fetchGuest, listGuests, type GuestImage } from './guests.ts';
import { setupBench } from './bench.ts';
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
  /** The text of the note under the toolbar (shutdown requests), when one shows. */
  controlNote?: string;
  /** Reboots the guest asked for (each booted it again). */
  reboots: number;
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
  shutdown: $<HTMLButtonElement>('btn-shutdown'),
  reboot: $<HTMLButtonElement>('btn-reboot'),
};
const controlNote = $<HTMLDivElement>('control-note');
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
const hypercalls = createHypercallPanel($('hypercalls'));
setUpTabs();
const guests = listGuests();
const picker = createPicker($<HTMLSelectElement>('guest'), guests, DEFAULT_GUEST, (g) => void boot(g));

const hook: PageHook = {
  get console() {
    return term.text();
  },
  state: 'idle',
  stateLabel: 'idle',
  reboots: 0,
  crossOriginIsolated: self.crossOriginIsolated === true,
};
(window as unknown as { __xenwasm: PageHook }).__xenwasm = hook;

if (!self.crossOriginIsolated) $('isolation-notice').hidden = false;
setupBench();

let domain: Domain | undefined;
let ui: UiState = 'idle';
/** Bumped on every boot: callbacks from an older domain are ignored. */
let generation = 0;
let polling = false;
let pollAgain = false;
let currentFile = '';
let currentGuest: GuestImage | undefined;

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
  refreshControls();
}

/**
 * Shut down needs a running guest; Reboot also a guest that watches control/shutdown and does not
 * say it cannot reboot (it advertised control/feature-* flags without feature-reboot).
 */
function refreshControls() {
  const control = hook.stats?.shutdown_control;
  const running = ui === 'running';
  buttons.shutdown.disabled = !running;
  const rebootable = !!control?.watched && (control.features.length === 0 || control.features.includes('reboot'));
  buttons.reboot.disabled = !running || !rebootable;
  buttons.reboot.title = !running
    ? 'Ask the guest to reboot through xenstore control/shutdown, as xl reboot does'
    : !control?.watched
      ? 'The guest does not watch xenstore control/shutdown, so it cannot be asked to reboot'
      : rebootable
        ? 'Ask the guest to reboot through xenstore control/shutdown, as xl reboot does'
        : 'The guest advertises control/feature-* without feature-reboot: it cannot reboot';
}

function showNote(kind: 'info' | 'warn', text: string) {
  controlNote.dataset.kind = kind;
  controlNote.textContent = text;
  controlNote.hidden = false;
  hook.controlNote = text;
}

function hideNote() {
  controlNote.hidden = true;
  hook.controlNote = undefined;
}

/** Boots `guest`; `reboot` keeps the console (the guest asked to reboot) instead of starting clean. */
async function boot(guest: GuestImage, reboot = false): Promise<void> {
  const my = ++generation;
  const old = domain;
  domain = undefined;
  hook.guest = guest.id;
  hook.info = hook.stats = hook.exit = hook.error = undefined;
  if (!reboot) hook.reboots = 0;
  setState('booting', 'booting…');
  if (!reboot) term.clear();
  term.setCursor(true);
  counters.clear();
  hypercalls.clear();
  hypercalls.setGuestType(undefined);
  hideNote();
  fault.box.hidden = true;
  currentFile = guest.file;
  currentGuest = guest;
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
    hypercalls.setGuestType(d.info?.guestType);
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
  hideNote();
  term.setCursor(false);
  if (exit.state === 'shutdown' && exit.reason === 'reboot' && currentGuest) {
    // xl's default on_reboot = "restart": the same guest boots again, its console kept.
    hook.reboots++;
    term.note('\r\n[domain rebooting]');
    void boot(currentGuest, true);
    return;
  }
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
      hypercalls.update(stats);
      refreshControls();
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

/** Shut down / Reboot: writes control/shutdown and says whether the guest can see it. */
async function requestShutdown(reason: ShutdownRequest) {
  const d = domain;
  if (!d || ui !== 'running') return;
  const name = hook.guest ?? 'the guest';
  try {
    const control = await d.shutdown(reason);
    if (d !== domain || ui !== 'running') return;
    if (control.watched) {
      showNote('info', `Asked ${name} to ${reason === 'reboot' ? 'reboot' : 'power off'} through xenstore ` +
        `(control/shutdown = "${reason}"), as xl ${reason === 'reboot' ? 'reboot' : 'shutdown'} does; waiting for it to act.`);
    } else {
      showNote('warn', `${name} does not watch xenstore control/shutdown, so it cannot see this request ` +
        '(it stays there in case the guest starts watching). Reset destroys the domain and boots it again.');
    }
  } catch (e) {
    // The domain may have stopped between the click and the request; anything else is a bug.
    if (d === domain && ui === 'running') reportBug(e);
  }
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('.tabs [role="tab"]')];
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')!).hidden = !on;
    }
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
      select(next);
      next.focus();
    });
  });
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
buttons.shutdown.addEventListener('click', () => void requestShutdown('poweroff'));
buttons.reboot.addEventListener('click', () => void requestShutdown('reboot'));
buttons.resume.addEventListener('click', () => void control('resume'));

setState('idle');
const first = picker.selected();
if (first) void boot(first);
else infoEl.textContent = 'No guest images found in guests/images/: run `npm run guests` to build them.';
