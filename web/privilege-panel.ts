// The privilege view of one domain: which ring the CPU runs in, whether that is the guest kernel or a
// guest user program (a PV32 kernel runs in ring 1; a PV64 kernel runs in ring 3 like its programs and
// Xen keeps a virtual kernel/user flag: xen-pv-abi.md 3.1), and the last transitions between guest user,
// guest kernel and the hypervisor, each with its cause (system call, hypercall by name, exception,
// event upcall, IRET) and what came of it. Data: VmApi.privilege() (workers/transitions.ts).
import type { PrivilegeView, Transition } from '../workers/api.ts';
import { h } from './dom.ts';
import { hex } from './pte-format.ts';

/** What the panel shows, for tests (DomainHook.inspect.privilege). */
export interface PrivilegeSnapshot {
  ring: number;
  mode: 'user' | 'kernel';
  blocked: boolean;
  total: number;
  transitions: { seq: number; path: string; cause: string; outcome: string }[];
  refreshes: number;
}

const SHOWN = 20;

/** "user → Xen → kernel", or "kernel → user" for a change without the hypervisor. */
export function pathText(t: Transition): string {
  return t.viaHypervisor ? `${t.from.mode} → Xen → ${t.to.mode}` : `${t.from.mode} → ${t.to.mode}`;
}

export class PrivilegePanel {
  snapshot?: PrivilegeSnapshot;
  private readonly levels: Record<'xen' | 'kernel' | 'user', HTMLElement>;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private refreshes = 0;
  private busy = false;
  private again = false;

  constructor(root: HTMLElement, private readonly ctx: { source(): { privilege(count?: number): Promise<PrivilegeView> } | undefined; changed(): void }) {
    const level = (key: string, name: string, ring: string) =>
      h('div', { class: 'ring-level', 'data-level': key }, h('span', { class: 'ring-name' }, name), h('span', { class: 'ring-number', 'data-role': `ring-${key}` }, ring));
    this.levels = {
      xen: level('xen', 'Xen, the hypervisor', 'ring 0'),
      kernel: level('kernel', 'guest kernel', 'ring ?'),
      user: level('user', 'guest user programs', 'ring 3'),
    };
    this.status = h('p', { class: 'privilege-status', 'data-role': 'privilege-status' });
    this.list = h('div', { class: 'transition-box' });
    root.replaceChildren(
      h('div', { class: 'privilege-top' },
        h('div', { class: 'ring-stack', 'aria-label': 'Privilege levels' }, this.levels.xen, this.levels.kernel, this.levels.user),
        this.status),
      h('p', { class: 'inspect-legend' },
        'Legend: the guest runs in user or kernel mode; it enters ', h('b', {}, 'Xen'), ' by a hypercall (kernel only), ',
        'a system call, an exception or an interrupt instruction; Xen returns, emulates the instruction, or ', h('i', {}, 'bounces'),
        ' the event to the guest kernel\'s handler (an event upcall delivers virtual interrupts). Newest first.'),
      this.list,
    );
    this.clear();
  }

  clear(): void {
    this.snapshot = undefined;
    this.status.textContent = 'Start a guest to see where its CPU runs.';
    this.list.replaceChildren();
    for (const l of Object.values(this.levels)) l.classList.remove('current');
  }

  async refresh(): Promise<void> {
    const source = this.ctx.source();
    if (!source) return;
    if (this.busy) {
      this.again = true; // runs again when the read under way ends, so a paused view ends exact
      return;
    }
    this.busy = true;
    try {
      this.draw(await source.privilege(SHOWN));
    } catch (e) {
      this.status.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  private draw(v: PrivilegeView) {
    this.levels.kernel.querySelector('.ring-number')!.textContent = `ring ${v.kernelRing}`;
    for (const [key, l] of Object.entries(this.levels)) l.classList.toggle('current', key === v.mode);
    const kernelNote = v.guestType === 'pv64'
      ? 'A PV64 kernel runs in ring 3 beside its programs; Xen keeps a kernel/user flag and a separate page table for each.'
      : v.guestType === 'pv32'
        ? 'A PV32 kernel runs in ring 1: above its programs (ring 3), below Xen (ring 0).'
        : '';
    this.status.replaceChildren(
      h('span', { class: 'privilege-now', 'data-role': 'privilege-now' }, `CPU in ring ${v.ring} · guest ${v.mode} mode`),
      v.blocked ? h('span', { class: 'privilege-blocked' }, ' · vCPU blocked, waiting for an event') : '',
      ` · rip ${hex(v.rip)} · ${v.total} transitions since boot. `, kernelNote,
    );
    const rows = [...v.transitions].reverse().map((t) => h('tr', { 'data-kind': t.kind },
      h('td', { class: 'num' }, t.seq),
      h('td', { class: 'transition-path' },
        h('span', { class: `mode-chip mode-${t.from.mode}` }, `${t.from.mode} (ring ${t.from.ring})`),
        t.viaHypervisor ? [' → ', h('span', { class: 'mode-chip mode-xen' }, 'Xen'), ' → '] : ' → ',
        h('span', { class: `mode-chip mode-${t.to.mode}` }, `${t.to.mode} (ring ${t.to.ring})`)),
      h('td', { class: 'transition-cause' }, t.cause),
      h('td', { class: 'transition-outcome' }, t.outcome),
      h('td', { class: 'pt-va', title: `guest RIP of the instruction; it went on at ${hex(t.next)}` }, hex(t.rip)),
    ));
    this.list.replaceChildren(rows.length
      ? h('table', { class: 'transition-table', 'data-role': 'transitions' },
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'from → to'), h('th', {}, 'cause'), h('th', {}, 'what happened'), h('th', {}, 'at'))),
        h('tbody', {}, rows))
      : h('p', { class: 'empty' }, 'No transition yet.'));
    this.refreshes++;
    this.snapshot = {
      ring: v.ring, mode: v.mode, blocked: v.blocked, total: v.total, refreshes: this.refreshes,
      transitions: v.transitions.map((t) => ({ seq: t.seq, path: pathText(t), cause: t.cause, outcome: t.outcome })),
    };
    this.ctx.changed();
  }
}
