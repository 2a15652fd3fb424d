// Step mode of one domain: while the domain is paused, "Step" runs exactly one guest instruction
// (VmApi.step) and the panel shows the instructions about to run, disassembled by our own decoder
// (workers/disasm/, Intel syntax) from RIP on, and the registers with those the last step changed
// highlighted. Registers in the guest's width (e-names for PV32), as in web/registers.ts.
import type { NextInstructions, Registers } from '../workers/api.ts';
import { h } from './dom.ts';
import { hex } from './pte-format.ts';

export interface StepSnapshot {
  rip: string;
  /** The next instructions' text, first the one at RIP. */
  next: string[];
  /** Registers the last step changed (names as shown). */
  changed: string[];
  steps: number;
  refreshes: number;
}

export interface StepSource {
  nextInstructions(count?: number): Promise<NextInstructions>;
  registers(): Promise<Registers>;
  step(n: number): Promise<void>;
}

const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const SEGS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;
const CRS = ['cr0', 'cr2', 'cr3', 'cr4'] as const;
/** RFLAGS bits shown by name (Intel SDM vol. 1, 3.4.3). */
const RFLAGS: [number, string][] = [[0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'], [18, 'AC']];

export class StepPanel {
  snapshot?: StepSnapshot;
  private readonly stepButtons: HTMLButtonElement[];
  private readonly note: HTMLElement;
  private readonly code: HTMLElement;
  private readonly regs: HTMLElement;
  private previous?: Record<string, string>;
  private steps = 0;
  private refreshes = 0;
  private busy = false;
  private again = false;
  private paused = false;
  /** The next redraw follows a step (a step that changed nothing gets a note). */
  private justStepped = false;

  constructor(root: HTMLElement, private readonly ctx: { source(): StepSource | undefined; stepped(): void; changed(): void }) {
    const step1 = h('button', { type: 'button', 'data-role': 'step', title: 'Run one guest instruction (the domain stays paused)' }, 'Step');
    const step10 = h('button', { type: 'button', 'data-role': 'step-10', title: 'Run ten guest instructions' }, 'Step 10');
    this.stepButtons = [step1, step10];
    step1.addEventListener('click', () => void this.step(1));
    step10.addEventListener('click', () => void this.step(10));
    this.note = h('span', { class: 'inspect-note', 'data-role': 'step-note' });
    this.code = h('div', { class: 'step-code' });
    this.regs = h('div', { class: 'step-regs' });
    root.replaceChildren(h('div', { class: 'toolbar inspect-toolbar' }, step1, step10, this.note), h('div', { class: 'step-body' }, this.code, this.regs));
    this.setPaused(false);
    this.clear();
  }

  /** Stepping needs a paused domain. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.setButtons();
    this.note.textContent = paused ? 'One instruction at a time; changed registers are highlighted.' : 'Pause the domain to step it one instruction at a time.';
  }

  private setButtons(): void {
    for (const b of this.stepButtons) b.disabled = !this.paused || this.busy;
  }

  clear(): void {
    this.snapshot = undefined;
    this.previous = undefined;
    this.code.replaceChildren(h('p', { class: 'empty' }, 'Start a guest, then pause it to step.'));
    this.regs.replaceChildren();
  }

  private async step(n: number) {
    const source = this.ctx.source();
    if (!source || !this.paused || this.busy) return;
    this.busy = true;
    this.setButtons();
    this.note.textContent = 'One instruction at a time; changed registers are highlighted.';
    try {
      await source.step(n);
      this.steps += n;
      this.justStepped = true;
    } catch (e) {
      this.note.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      this.busy = false;
      this.setButtons();
    }
    this.ctx.stepped();
  }

  async refresh(): Promise<void> {
    const source = this.ctx.source();
    if (!source) return;
    if (this.busy) {
      this.again = true; // runs again when the read or step under way ends
      return;
    }
    this.busy = true;
    try {
      const [next, regs] = await Promise.all([source.nextInstructions(8), source.registers()]);
      this.draw(next, regs);
    } catch (e) {
      this.note.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      this.busy = false;
      this.setButtons();
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  private draw(next: NextInstructions, r: Registers) {
    const wide = !r.guestType.endsWith('32');
    const digits = wide ? 16 : 8;
    const lines = next.instructions.map((i, n) => h('tr', { class: n === 0 ? 'step-current' : undefined },
      h('td', { class: 'step-arrow' }, n === 0 ? '→' : ''),
      h('td', { class: 'pt-va' }, hex(i.address, digits)),
      h('td', { class: 'step-bytes' }, i.bytes),
      h('td', { class: 'step-text', 'data-role': n === 0 ? 'step-next' : undefined }, i.text),
      // Where a RIP-relative operand points, as objdump's "# 0x..." comment (a branch shows its target already).
      h('td', { class: 'step-bytes' }, i.target !== undefined && /\[[re]ip[+-]/.test(i.text) ? `# ${hex(i.target)}` : ''),
    ));
    this.code.replaceChildren(
      h('table', { class: 'step-table', 'data-role': 'step-code' }, h('tbody', {}, lines)),
      next.unmapped ? h('p', { class: 'empty' }, 'The code runs into a page that is not mapped.') : '',
    );
    const name = (n: string) => (wide ? n : n.replace(/^r(?=[a-z])/, 'e'));
    const values: [string, string][] = [
      ...(wide ? GPRS : GPRS.slice(0, 8)).map((g) => [name(g), hex(r[g] & (wide ? 0xffffffffffffffffn : 0xffffffffn), digits)] as [string, string]),
      [name('rip'), hex(r.rip, digits)],
      [name('rflags'), `${hex(r.rflags, 8)} ${RFLAGS.filter(([b]) => (r.rflags >> BigInt(b)) & 1n).map(([, f]) => f).join(' ')}`],
      ...SEGS.map((s) => [s, hex(r[s], 4)] as [string, string]),
      ...CRS.map((c) => [c, hex(r[c], c === 'cr0' || c === 'cr4' ? 8 : digits)] as [string, string]),
      ['cpl', String(r.cpl)],
    ];
    const changed: string[] = [];
    const cells = values.map(([k, v]) => {
      const was = this.previous?.[k];
      const diff = was !== undefined && was !== v;
      if (diff) changed.push(k);
      return h('div', { class: `step-reg${diff ? ' changed' : ''}`, 'data-reg': k, title: diff ? `was ${was}` : undefined }, h('span', { class: 'step-reg-name' }, k), h('span', { class: 'step-reg-value' }, v));
    });
    this.regs.replaceChildren(...cells);
    if (this.justStepped && changed.length === 0) {
      this.note.textContent = 'Nothing ran: the vCPU is blocked waiting for an event (Resume lets a timer or a key wake it).';
    }
    this.justStepped = false;
    this.previous = Object.fromEntries(values);
    this.refreshes++;
    this.snapshot = { rip: hex(next.rip), next: next.instructions.map((i) => i.text), changed, steps: this.steps, refreshes: this.refreshes };
    this.ctx.changed();
  }
}
