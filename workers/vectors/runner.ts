// Replays CPU test vectors (shared/test-vectors.md) on the core's bare machine and compares the
// result with what the real CPU recorded. Used by `xenwasm vectors FILE...` and by the conformance
// tests. One core instance serves every vector: the machine is rebuilt when the mode changes, and
// the code page, data window and registers are reset for each vector.
import { readFileSync } from 'node:fs';
import * as L from '../layout.gen.ts';
import { jitHost } from '../jit/host.ts';
import {
  compare, hasResult, initialValue, GPR_NAMES, XMM_NAMES, CODE_BASE, WINDOW_BASE, WINDOW_SIZE,
  type Vector, type ActualResult, type Mismatch, type VectorExc, type MemRun,
} from './format.ts';
import { readVectorFiles } from './read.ts';

/** Steps allowed for a vector that runs to its sentinel (the oracle stops loops with a timer). */
export const MAX_STEPS = 100_000;
const BARE_FRAMES = 16;

type Exports = Record<string, (...args: any[]) => any>;

export interface VectorOutcome {
  vector: Vector;
  mismatches: Mismatch[];
  /** Set when the emulator stopped for a reason of its own (an unimplemented opcode, a timeout). */
  note?: string;
}

export class VectorMachine {
  private exports: Exports;
  private view: DataView;
  private bytes: Uint8Array;
  private mode = 0;

  constructor(module?: WebAssembly.Module) {
    module ??= new WebAssembly.Module(readFileSync(new URL('../../build/xenwasm.wasm', import.meta.url)));
    const pages = Math.ceil((L.GUEST_RAM_BASE + (BARE_FRAMES + L.XEN_EXTRA_FRAMES) * L.PAGE_SIZE) / L.WASM_PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const jit = jitHost(memory, () => this.exports);
    const instance = new WebAssembly.Instance(module, {
      env: { memory, jitCompile: jit.jitCompile, profNow: () => 0, abort: (_m: number, _f: number, line: number, col: number) => { throw new Error(`core abort at ${line}:${col}`); } },
    });
    this.exports = instance.exports as Exports;
    this.view = new DataView(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
    if (this.exports.coreInit(BARE_FRAMES, L.XEN_EXTRA_FRAMES) !== 0) throw new Error('coreInit refused the bare machine');
    this.exports.setInstructionTrace(0);
  }

  /** Runs one vector and returns what the emulator did, in the format's terms. */
  run(v: Vector): { actual: ActualResult; note?: string } {
    const ex = this.exports;
    if (this.mode !== v.mode) { ex.bareInit(v.mode); this.mode = v.mode; }
    const code = ex.bareCodeHost() as number;
    const data = ex.bareDataHost() as number;
    this.bytes.fill(0xcc, code, code + L.PAGE_SIZE);
    this.bytes.set(v.code, code);
    this.bytes.fill(0, data, data + Number(WINDOW_SIZE));
    for (const run of v.initMem) this.bytes.set(run.bytes, data + Number(run.addr - WINDOW_BASE));
    const codeBefore = this.bytes.slice(code, code + L.PAGE_SIZE);
    const dataBefore = this.bytes.slice(data, data + Number(WINDOW_SIZE));

    ex.bareResetRegisters(v.mode);
    const cpu = L.CPU_BASE;
    GPR_NAMES.forEach((name, i) => this.view.setBigUint64(cpu + L.CPU_GPR + i * 8, initialValue(v, name), true));
    this.view.setBigUint64(cpu + L.CPU_RFLAGS, initialValue(v, 'rflags') | 0x202n, true);
    this.view.setUint32(cpu + L.CPU_CC_OP, 0, true);
    XMM_NAMES.forEach((name, i) => {
      const x = initialValue(v, name);
      this.view.setBigUint64(cpu + L.CPU_XMM + i * 16, x & 0xffffffffffffffffn, true);
      this.view.setBigUint64(cpu + L.CPU_XMM + i * 16 + 8, x >> 64n, true);
    });
    this.view.setUint32(cpu + L.CPU_MXCSR, Number(initialValue(v, 'mxcsr')), true);
    this.view.setUint16(cpu + L.CPU_FPU_CW, 0x37f, true);
    this.view.setUint16(cpu + L.CPU_FPU_SW, 0, true);
    this.view.setUint16(cpu + L.CPU_FPU_TW, 0, true);
    this.view.setUint32(cpu + L.CPU_FPU_TOP, 0, true);
    this.bytes.fill(0, cpu + L.CPU_ST, cpu + L.CPU_STATE_END); // registers and the x87 pointers after them

    const exit = ex.bareRun(v.code.length, v.step ? 1 : MAX_STEPS) as number;
    let exc: VectorExc | null = null;
    let note: string | undefined;
    if (exit === L.EXIT_EXCEPTION) {
      const hasErr = this.view.getUint32(cpu + L.CPU_FAULT_HAS_ERR, true) !== 0;
      exc = {
        vec: this.view.getUint32(cpu + L.CPU_FAULT_VEC, true),
        err: hasErr ? BigInt(this.view.getUint32(cpu + L.CPU_FAULT_ERR, true)) : 0n,
        cr2: this.view.getBigUint64(cpu + L.CPU_FAULT_CR2, true),
      };
    } else if (exit === L.EXIT_SYSCALL) {
      exc = { event: 'syscall' };
    } else if (exit === L.EXIT_CRASH) {
      note = this.exitMessage();
    } else if (exit === L.EXIT_BUDGET && !v.step) {
      note = `still running after ${MAX_STEPS} instructions`;
    }

    const regs = new Map<string, bigint>();
    GPR_NAMES.forEach((name, i) => regs.set(name, this.view.getBigUint64(cpu + L.CPU_GPR + i * 8, true)));
    regs.set('rip', this.view.getBigUint64(cpu + L.CPU_RIP, true));
    regs.set('rflags', BigInt.asUintN(64, BigInt(ex.readRflags())));
    XMM_NAMES.forEach((name, i) => {
      const lo = this.view.getBigUint64(cpu + L.CPU_XMM + i * 16, true);
      const hi = this.view.getBigUint64(cpu + L.CPU_XMM + i * 16 + 8, true);
      regs.set(name, (hi << 64n) | lo);
    });
    regs.set('mxcsr', BigInt(this.view.getUint32(cpu + L.CPU_MXCSR, true)));

    const memw: MemRun[] = [
      ...changedBytes(codeBefore, this.bytes.subarray(code, code + L.PAGE_SIZE), CODE_BASE),
      ...changedBytes(dataBefore, this.bytes.subarray(data, data + Number(WINDOW_SIZE)), WINDOW_BASE),
    ];
    return { actual: { exc, regs, memw }, note };
  }

  private exitMessage(): string {
    const len = this.view.getUint32(L.EXIT_BASE + L.EXIT_MSG_LEN, true);
    return new TextDecoder().decode(this.bytes.subarray(L.EXIT_BASE + L.EXIT_MSG, L.EXIT_BASE + L.EXIT_MSG + len));
  }
}

function changedBytes(before: Uint8Array, after: Uint8Array, base: bigint): MemRun[] {
  const runs: MemRun[] = [];
  let i = 0;
  while (i < before.length) {
    if (before[i] === after[i]) { i++; continue; }
    const start = i;
    while (i < before.length && before[i] !== after[i]) i++;
    runs.push({ addr: base + BigInt(start), bytes: after.slice(start, i) });
  }
  return runs;
}

export interface ReplaySummary { passed: number; failed: number; skipped: number }

/** Replays every vector of `paths`; calls `onFailure` for each mismatching vector. */
export async function replayFiles(
  paths: string[],
  onFailure: (o: VectorOutcome, where: string) => void,
  machine = new VectorMachine(),
): Promise<ReplaySummary> {
  const summary: ReplaySummary = { passed: 0, failed: 0, skipped: 0 };
  for await (const { file, line, vector } of readVectorFiles(paths)) {
    if (!hasResult(vector)) { summary.skipped++; continue; }
    const outcome = replayOne(machine, vector);
    if (outcome.mismatches.length === 0) summary.passed++;
    else { summary.failed++; onFailure(outcome, `${file}:${line}`); }
  }
  return summary;
}

export function replayOne(machine: VectorMachine, vector: Vector): VectorOutcome {
  const { actual, note } = machine.run(vector);
  const mismatches = compare(vector, actual);
  if (note && mismatches.length === 0) mismatches.push({ field: 'run', expected: 'completion', actual: note });
  else if (note) mismatches.unshift({ field: 'run', expected: 'completion', actual: note });
  return { vector, mismatches, note };
}
