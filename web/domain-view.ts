// One domain's part of the page: its guest picker and boot options (command line, memory, your own
// kernel and ramdisk by file input or drop), its controls (Start, Pause, Resume, Reset, Shut down,
// Reboot, Destroy: xl create / pause / unpause / shutdown / reboot / destroy), its xterm.js console,
// live charts, counters and the hypercall table, each fed from its own worker (web/domain.ts).
// A new kernel is built in a fresh worker first; only when the loader accepts it does it replace the
// running domain, so a bad file leaves a one-line error (the loader's) and everything else running.
// A guest that asks to reboot is built again with its console kept (xl's on_reboot = "restart").
import type { DomainExit, DomainInfo, DomainStats, ShutdownRequest } from '../workers/api.ts';
import type { CounterSample } from '../workers/counter-mirror.ts';
import { createCharts } from './charts.ts';
import { createCounters } from './counters.ts';
import { Domain } from './domain.ts';
import { DEFAULT_MEMORY_MIB, fetchImage, type GuestEntry } from './guests.ts';
import { createHypercallPanel } from './hypercalls.ts';
import { Inspector, type InspectHook } from './inspector.ts';
import { dragHasFiles, droppedFiles, head, looksLikeBzImage, readBytes, sortDropped, type KernelFiles } from './kernel-files.ts';
import { createPicker } from './picker.ts';
import { formatRegisters } from './registers.ts';
import { Sampler, type Reading } from './sampler.ts';
import { createTerminal } from './terminal.ts';

export type DomainState = 'idle' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'error' | 'destroyed';
/** What the page shows: the domain's state, or 'booting' while a new kernel is being built. */
export type UiState = DomainState | 'booting';

const SAMPLE_MS = 250;
/** Linux wants more than the demo guests' 64 MiB. */
const BZIMAGE_MEMORY_MIB = 256;

/** What tests (and curious users in the devtools console) can read about one domain. */
export interface DomainHook {
  readonly id: number;
  readonly console: string;
  state: UiState;
  stateLabel: string;
  /** The picker entry booted, or "custom" for the user's own kernel. */
  guest?: string;
  kernelName?: string;
  info?: DomainInfo;
  stats?: DomainStats;
  /** The last reading of the counters and where it came from. */
  counters?: CounterSample;
  source?: Reading['source'];
  readings: number;
  chartPoints: number;
  exit?: DomainExit;
  /** A crash or a failure while running. */
  error?: string;
  /** The last kernel that could not be loaded (the loader's one-line message). */
  loadError?: string;
  controlNote?: string;
  /** Reboots the guest asked for (each built it again). */
  reboots: number;
  /** Domains built in this view so far (boots, resets and reboots). */
  boots: number;
  /** The educator views: page tables, privilege, step (web/inspector.ts). */
  readonly inspect: InspectHook;
}

export interface DomainViewEvents {
  /** The title or the state changed (the page's tab shows both). */
  changed(view: DomainView): void;
}

type Source = { kind: 'guest'; entry: GuestEntry } | { kind: 'custom'; files: KernelFiles };

export class DomainView {
  readonly el: HTMLElement;
  readonly hook: DomainHook;
  private readonly $: <T extends HTMLElement>(role: string) => T;
  private readonly term;
  private readonly counters;
  private readonly charts;
  private readonly hypercalls;
  private readonly inspector: Inspector;
  private readonly picker;
  private readonly buttons: Record<'start' | 'pause' | 'resume' | 'reset' | 'shutdown' | 'reboot' | 'destroy', HTMLButtonElement>;
  private domain?: Domain;
  private sampler?: Sampler;
  private state: DomainState = 'idle';
  /** The state as shown: "shutdown (poweroff)" for state shutdown. */
  private label = 'idle';
  private booting = false;
  /** Bumped on every boot: an older boot that finishes late is dropped. */
  private generation = 0;
  private custom?: KernelFiles;
  /** What the current domain was built from (Reset and reboots build it again). */
  private source?: Source;
  private built = { cmdline: '', memory: DEFAULT_MEMORY_MIB };
  private timer: ReturnType<typeof setInterval>;
  title = '';

  constructor(readonly id: number, template: HTMLTemplateElement, guests: GuestEntry[], defaultId: string, private readonly events: DomainViewEvents) {
    this.el = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
    this.el.id = `domain-${id}`;
    this.el.dataset.domain = String(id);
    this.$ = <T extends HTMLElement>(role: string) => {
      const found = this.el.querySelector<T>(`[data-role="${role}"]`);
      if (!found) throw new Error(`the domain template has no data-role="${role}"`);
      return found;
    };
    const $ = this.$;
    this.buttons = {
      start: $('start'), pause: $('pause'), resume: $('resume'), reset: $('reset'),
      shutdown: $('shutdown'), reboot: $('reboot'), destroy: $('destroy'),
    };
    this.term = createTerminal($('terminal'), (bytes) => {
      const d = this.domain;
      if (d && (this.state === 'running' || this.state === 'paused')) d.sendInput(bytes).catch((e) => this.bug(e));
    });
    this.charts = createCharts($('charts'));
    this.counters = createCounters($('counters'));
    this.hypercalls = createHypercallPanel($('hypercalls'));
    this.inspector = new Inspector($('inspect'), { stepped: () => this.sampler?.tick(true) });
    this.picker = createPicker($<HTMLSelectElement>('guest'), guests, defaultId, () => this.picked());
    const view = this;
    this.hook = {
      id,
      get console() {
        return view.term.text();
      },
      state: 'idle',
      stateLabel: 'idle',
      readings: 0,
      get chartPoints() {
        return view.charts.points;
      },
      reboots: 0,
      boots: 0,
      inspect: this.inspector.hook,
    };
    this.setUpSideTabs();
    this.setUpFiles();
    this.buttons.start.addEventListener('click', () => void this.boot());
    this.buttons.reset.addEventListener('click', () => void this.boot());
    this.buttons.pause.addEventListener('click', () => void this.control('pause'));
    this.buttons.resume.addEventListener('click', () => void this.control('resume'));
    this.buttons.shutdown.addEventListener('click', () => void this.requestShutdown('poweroff'));
    this.buttons.reboot.addEventListener('click', () => void this.requestShutdown('reboot'));
    this.buttons.destroy.addEventListener('click', () => void this.destroy());
    // Enter in the command line or memory field builds the domain again with them.
    for (const field of ['cmdline', 'memory']) {
      $(field).addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !this.booting) void this.boot();
      });
    }
    this.applyDefaults(this.picker.selected());
    this.timer = setInterval(() => {
      if (this.state !== 'running') return;
      this.sampler?.tick();
      this.inspector.tick();
    }, SAMPLE_MS);
    this.render();
    $('info').textContent = 'Pick a guest and press Start, or drop your own kernel on the console.';
  }

  /** Builds and runs the picked guest (or the user's kernel) in place of what runs now. */
  async boot(reboot = false): Promise<void> {
    const source: Source | undefined = reboot ? this.source : this.pickedSource();
    if (!source) return;
    const my = ++this.generation;
    // A reboot keeps the configuration the domain was built with, as xl does.
    const cmdline = reboot ? this.built.cmdline : this.$<HTMLInputElement>('cmdline').value.trim();
    const memory = reboot ? this.built.memory : Number(this.$<HTMLInputElement>('memory').value) || DEFAULT_MEMORY_MIB;
    const name = source.kind === 'guest' ? source.entry.file : source.files.kernel.name;
    this.booting = true;
    this.hideLoadError();
    this.setInfo(`${name}: loading`);
    this.render();
    let domain: Domain | undefined;
    try {
      const [kernel, ramdisk] = await this.readSource(source);
      if (my !== this.generation) return;
      domain = await Domain.create({
        name: source.kind === 'guest' ? source.entry.id : name,
        kernel,
        kernelName: name,
        ramdisk,
        memory,
        extra: cmdline,
        clock: 'realtime',
        recordTransitions: true, // the privilege view shows them
      });
    } catch (e) {
      if (my !== this.generation) return;
      this.booting = false;
      this.restorePick();
      this.loadFailed(e instanceof Error ? e.message : String(e));
      return;
    }
    if (my !== this.generation) return void domain.destroy();
    // The loader accepted it: this domain replaces the old one.
    const old = this.domain;
    this.domain = domain;
    void old?.destroy();
    this.source = source;
    this.built = { cmdline, memory };
    this.booting = false;
    this.hook.guest = source.kind === 'guest' ? source.entry.id : 'custom';
    this.hook.kernelName = name;
    this.hook.info = domain.info;
    this.hook.stats = this.hook.exit = this.hook.error = this.hook.counters = undefined;
    this.hook.readings = 0;
    this.hook.boots++;
    if (!reboot) this.hook.reboots = 0;
    this.title = source.kind === 'guest' ? source.entry.id : name;
    if (!reboot) this.term.clear();
    this.term.setCursor(true);
    this.counters.clear();
    this.charts.clear();
    this.hypercalls.clear();
    this.hypercalls.setGuestType(domain.info.guestType);
    this.inspector.attach(domain.inspect, domain.info.guestType);
    this.hideNote();
    this.$('fault').hidden = true;
    this.setInfo(describe(name, domain.info, source.kind === 'custom' ? source.files.ramdisk?.name : source.entry.ramdiskFile, cmdline));
    const d = domain;
    this.sampler = new Sampler(
      d,
      (r) => this.reading(d, r),
      (s) => this.gotStats(d, s),
      (e) => d === this.domain && this.bug(e),
    );
    this.setState('running');
    try {
      await this.sampler.init();
      await d.start({
        onConsole: (bytes) => d === this.domain && this.term.write(bytes),
        onExit: (exit) => d === this.domain && this.exited(exit),
      });
      this.sampler.tick(true);
    } catch (e) {
      if (d === this.domain) this.bug(e);
    }
  }

  /** Files dropped on this domain (or chosen with its inputs): sorts them and boots the kernel. */
  async dropFiles(files: readonly File[]): Promise<void> {
    try {
      this.useCustom(await sortDropped(files));
    } catch (e) {
      this.loadFailed(e instanceof Error ? e.message : String(e));
      return;
    }
    await this.boot();
  }

  /** Shows this view (tabs layout) and redraws what was drawn while hidden. */
  shown(): void {
    this.charts.refresh();
  }

  focus(): void {
    this.term.focus();
  }

  /** xl destroy: ends the worker at once; the console and the last numbers stay. */
  async destroy(): Promise<void> {
    const d = this.domain;
    if (!d) return;
    this.sampler?.tick(true);
    this.domain = undefined;
    this.sampler = undefined;
    this.generation++;
    this.booting = false;
    this.inspector.attach(undefined);
    await d.destroy();
    this.term.setCursor(false);
    this.term.note('\r\n[domain destroyed]');
    this.hideNote();
    this.setState('destroyed');
  }

  /** The view goes away: destroys the domain, ends its worker and frees the terminal. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.generation++;
    const d = this.domain;
    this.domain = undefined;
    this.sampler = undefined;
    this.el.remove();
    this.term.dispose();
    await d?.destroy();
  }

  // ---- state ------------------------------------------------------------------------------------

  private setState(state: DomainState, label: string = state) {
    this.state = state;
    this.label = label;
    this.render();
    this.inspector.setState(state);
  }

  private render() {
    const ui: UiState = this.booting ? 'booting' : this.state;
    const label = this.booting ? 'booting…' : this.label;
    this.hook.state = ui;
    this.hook.stateLabel = label;
    const el = this.$('state');
    el.dataset.state = ui;
    el.textContent = label;
    this.el.dataset.state = ui;
    const stopped = this.state === 'idle' || this.state === 'shutdown' || this.state === 'crashed' || this.state === 'error' || this.state === 'destroyed';
    const live = this.state === 'running' || this.state === 'paused';
    const canBoot = !!this.pickedSource();
    this.buttons.start.disabled = this.booting || !stopped || !canBoot;
    this.buttons.pause.disabled = this.booting || this.state !== 'running';
    this.buttons.resume.disabled = this.booting || this.state !== 'paused';
    this.buttons.reset.disabled = this.booting || !canBoot || this.state === 'idle';
    this.buttons.destroy.disabled = !this.domain;
    this.picker.setEnabled(!this.booting);
    this.refreshControls(live);
    this.events.changed(this);
  }

  /**
   * Shut down needs a running guest; Reboot also a guest that watches control/shutdown and does not
   * say it cannot reboot (it advertised control/feature-* flags without feature-reboot).
   */
  private refreshControls(live = this.state === 'running' || this.state === 'paused') {
    const control = this.hook.stats?.shutdown_control;
    const running = live && this.state === 'running' && !this.booting;
    const rebootable = !!control?.watched && (control.features.length === 0 || control.features.includes('reboot'));
    this.buttons.shutdown.disabled = !running;
    this.buttons.reboot.disabled = !running || !rebootable;
    this.buttons.reboot.title = !running
      ? 'Ask the guest to reboot through xenstore control/shutdown, as xl reboot does'
      : !control?.watched
        ? 'The guest does not watch xenstore control/shutdown, so it cannot be asked to reboot'
        : rebootable
          ? 'Ask the guest to reboot through xenstore control/shutdown, as xl reboot does'
          : 'The guest advertises control/feature-* without feature-reboot: it cannot reboot';
  }

  private reading(d: Domain, r: Reading) {
    if (d !== this.domain) return;
    this.hook.counters = r.counters;
    this.hook.source = r.source;
    this.hook.readings++;
    this.counters.update(r, this.state === 'running');
    this.charts.push(r);
    this.hypercalls.update(r.counters.hypercalls_by_nr);
  }

  private gotStats(d: Domain, s: DomainStats) {
    if (d !== this.domain) return;
    this.hook.stats = s;
    this.refreshControls();
  }

  private exited(exit: DomainExit) {
    this.hook.exit = exit;
    this.hideNote();
    this.term.setCursor(false);
    if (exit.state === 'shutdown' && exit.reason === 'reboot' && this.source) {
      this.hook.reboots++;
      this.term.note('\r\n[domain rebooting]');
      void this.boot(true);
      return;
    }
    if (exit.state === 'shutdown' && exit.reason !== 'crash') {
      this.setState('shutdown', `shutdown (${exit.reason ?? 'unknown'})`);
      this.term.note(`\r\n[domain shut down: ${exit.reason ?? 'unknown reason'}]`);
    } else if (exit.state === 'limit') {
      this.setState('shutdown', 'stopped (instruction limit)');
      this.term.note(`\r\n[domain stopped: ${exit.message ?? 'instruction limit reached'}]`);
    } else {
      const message = exit.message ?? (exit.reason === 'crash' ? 'the guest reported a crash (SCHEDOP_shutdown, crash)' : 'unknown cause');
      this.hook.error = message;
      this.setState('crashed');
      this.showFault('Domain crashed', message, exit);
      this.term.note(`\r\n[domain crashed: ${message}]`);
    }
    // The mirror already holds the final counters (shown as averages now); stats() the final state.
    this.sampler?.tick(true);
  }

  /** A kernel that could not be loaded: one line, and whatever ran before keeps running. */
  private loadFailed(message: string) {
    this.hook.loadError = message;
    const el = this.$('load-error');
    el.textContent = message;
    el.hidden = false;
    if (!this.domain) {
      this.setInfo('not started');
      this.setState('error', 'error');
    } else {
      this.setInfo(this.describeCurrent());
      this.render();
    }
  }

  /** Something failed while the domain ran (a dead worker, a refused call): the domain is done. */
  private bug(e: unknown) {
    console.error(e);
    const message = e instanceof Error ? e.message : String(e);
    this.hook.error = message;
    this.showFault('The domain could not run', message);
    const d = this.domain;
    this.domain = undefined;
    this.sampler = undefined;
    this.inspector.attach(undefined);
    this.setState('error', 'error');
    void d?.destroy();
  }

  private showFault(title: string, message: string, exit?: DomainExit) {
    this.$('fault-title').textContent = title;
    this.$('fault-message').textContent = message;
    const regs = this.$('fault-registers');
    regs.textContent = exit?.registers ? formatRegisters(exit.registers) : '';
    regs.hidden = !exit?.registers;
    this.$('fault-trace').textContent = exit?.trace?.join('\n') ?? '';
    this.$('fault-trace-box').hidden = !exit?.trace?.length;
    this.$('fault').hidden = false;
  }

  private showNote(kind: 'info' | 'warn', text: string) {
    const el = this.$('control-note');
    el.dataset.kind = kind;
    el.textContent = text;
    el.hidden = false;
    this.hook.controlNote = text;
  }

  private hideNote() {
    this.$('control-note').hidden = true;
    this.hook.controlNote = undefined;
  }

  private hideLoadError() {
    this.$('load-error').hidden = true;
    this.hook.loadError = undefined;
  }

  private setInfo(text: string) {
    this.$('info').textContent = text;
  }

  private describeCurrent(): string {
    const info = this.domain?.info;
    return info && this.hook.kernelName ? describe(this.hook.kernelName, info) : '';
  }

  // ---- controls -----------------------------------------------------------------------------------

  private async control(action: 'pause' | 'resume') {
    const d = this.domain;
    if (!d) return;
    try {
      await d[action]();
      if (d !== this.domain || (this.state !== 'running' && this.state !== 'paused')) return;
      this.setState(action === 'pause' ? 'paused' : 'running');
      this.sampler?.tick(true);
      this.term.focus();
    } catch (e) {
      if (d === this.domain) this.bug(e);
    }
  }

  /** Shut down / Reboot: writes control/shutdown and says whether the guest can see it. */
  private async requestShutdown(reason: ShutdownRequest) {
    const d = this.domain;
    if (!d || this.state !== 'running') return;
    const name = this.title || 'the guest';
    try {
      const control = await d.shutdown(reason);
      if (d !== this.domain || this.state !== 'running') return;
      const verb = reason === 'reboot' ? 'reboot' : 'power off';
      if (control.watched) {
        this.showNote('info', `Asked ${name} to ${verb} through xenstore (control/shutdown = "${reason}"), as xl ` +
          `${reason === 'reboot' ? 'reboot' : 'shutdown'} does; waiting for it to act.`);
      } else {
        this.showNote('warn', `${name} does not watch xenstore control/shutdown, so it cannot see this request ` +
          '(it stays there in case the guest starts watching). Destroy ends the domain at once.');
      }
    } catch (e) {
      // The domain may have stopped between the click and the request; anything else is a bug.
      if (d === this.domain && this.state === 'running') this.bug(e);
    }
  }

  // ---- sources ------------------------------------------------------------------------------------

  private pickedSource(): Source | undefined {
    if (this.picker.customPicked()) return this.custom ? { kind: 'custom', files: this.custom } : undefined;
    const entry = this.picker.selected();
    return entry ? { kind: 'guest', entry } : undefined;
  }

  private async readSource(source: Source): Promise<[Uint8Array, Uint8Array | undefined]> {
    if (source.kind === 'guest') {
      const e = source.entry;
      return Promise.all([
        fetchImage(e.url, e.file),
        e.ramdiskUrl ? fetchImage(e.ramdiskUrl, e.ramdiskFile ?? 'ramdisk') : undefined,
      ]);
    }
    const { kernel, ramdisk } = source.files;
    return Promise.all([readBytes(kernel), ramdisk ? readBytes(ramdisk) : undefined]);
  }

  private picked() {
    if (!this.picker.customPicked()) this.applyDefaults(this.picker.selected());
    void this.boot();
  }

  /** A picked entry brings its command line and memory. */
  private applyDefaults(entry: GuestEntry | undefined) {
    this.$<HTMLInputElement>('cmdline').value = entry?.cmdline ?? '';
    this.$<HTMLInputElement>('memory').value = String(entry?.memory ?? DEFAULT_MEMORY_MIB);
  }

  /** After a kernel that could not be loaded: the picker shows again what runs (if anything does). */
  private restorePick() {
    const s = this.domain ? this.source : undefined;
    if (!s) return;
    if (s.kind === 'custom') {
      this.custom = s.files;
      this.picker.setCustom(customLabel(s.files));
    } else {
      this.custom = undefined;
      this.picker.clearCustom();
      this.picker.pick(s.entry.id);
    }
  }

  private useCustom(files: KernelFiles) {
    this.custom = files;
    this.picker.setCustom(customLabel(files));
    void head(files.kernel).then((h) => {
      const mem = this.$<HTMLInputElement>('memory');
      if (looksLikeBzImage(h) && Number(mem.value) < BZIMAGE_MEMORY_MIB) mem.value = String(BZIMAGE_MEMORY_MIB);
    });
  }

  private setUpFiles() {
    const kernelInput = this.$<HTMLInputElement>('kernel-file');
    const ramdiskInput = this.$<HTMLInputElement>('ramdisk-file');
    kernelInput.addEventListener('change', () => {
      const f = kernelInput.files?.[0];
      kernelInput.value = '';
      if (!f) return;
      this.useCustom({ kernel: f, ramdisk: this.custom?.ramdisk ?? this.pendingRamdisk });
      void this.boot();
    });
    ramdiskInput.addEventListener('change', () => {
      const f = ramdiskInput.files?.[0];
      ramdiskInput.value = '';
      if (!f) return;
      if (this.custom) {
        this.useCustom({ kernel: this.custom.kernel, ramdisk: f });
        void this.boot();
      } else {
        this.pendingRamdisk = f;
        this.setInfo(`ramdisk ${f.name} ready: now choose or drop a kernel`);
      }
    });
    const zone = this.$('drop-zone');
    let depth = 0;
    zone.addEventListener('dragenter', (e) => {
      if (!dragHasFiles(e.dataTransfer)) return;
      depth++;
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => {
      if (depth > 0 && --depth === 0) zone.classList.remove('dragging');
    });
    zone.addEventListener('dragover', (e) => {
      if (!dragHasFiles(e.dataTransfer)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = 'copy';
    });
    zone.addEventListener('drop', (e) => {
      depth = 0;
      zone.classList.remove('dragging');
      const files = droppedFiles(e.dataTransfer);
      if (files.length === 0) return;
      e.preventDefault();
      e.stopPropagation();
      void this.dropFiles(files);
    });
  }

  private pendingRamdisk?: File;

  private setUpSideTabs() {
    const tabs = [...this.el.querySelectorAll<HTMLButtonElement>('.side-pane [role="tab"]')];
    const panel = (t: HTMLButtonElement) => this.el.querySelector<HTMLElement>(`[data-panel="${t.dataset.tab}"]`)!;
    const select = (tab: HTMLButtonElement) => {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute('aria-selected', String(on));
        t.tabIndex = on ? 0 : -1;
        panel(t).hidden = !on;
      }
      this.charts.refresh();
    };
    tabs.forEach((tab, i) => {
      const p = panel(tab);
      p.id = `${this.el.id}-${tab.dataset.tab}`;
      tab.id = `${p.id}-tab`;
      tab.setAttribute('aria-controls', p.id);
      p.setAttribute('aria-labelledby', tab.id);
      tab.addEventListener('click', () => select(tab));
      tab.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
        select(next);
        next.focus();
      });
    });
  }
}

function customLabel(files: KernelFiles): string {
  return `${files.kernel.name}${files.ramdisk ? ` + ${files.ramdisk.name}` : ''}`;
}

function describe(file: string, info: DomainInfo, ramdisk?: string, cmdline?: string): string {
  const mib = (info.nrPages * 4) / 1024;
  const os = [info.notes.GUEST_OS, info.notes.GUEST_VERSION].filter(Boolean).join(' ');
  const parts = [file, info.guestType, `${mib} MiB`, `entry 0x${info.entry.toString(16)}`];
  if (os) parts.push(os);
  if (ramdisk) parts.push(`ramdisk ${ramdisk}`);
  if (cmdline) parts.push(`"${cmdline}"`);
  return parts.join(' · ');
}
