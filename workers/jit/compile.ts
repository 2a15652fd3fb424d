// The block compiler: turns the decoded entries of one block (assembly/cpu/jit.ts lists them at
// JIT_LIST) into a one-function wasm module over the core's memory. Register-only forms are inlined
// with the fast ops' semantics (assembly/cpu/fast-ops.ts): MOV, the ALU operations except ADC/SBB,
// TEST, INC/DEC, LEA, NOP, Jcc and JMP rel. Every other entry calls the core's jitExec, which runs it
// as the run loop would. The lazy flags are stored after every flag-setting instruction, so the
// core's state is exact between any two instructions; a Jcc after a known flag producer in the same
// block compares that producer's operands directly instead of asking the core.
//
// The function: (delta: i64, avail: i32, pageEnd: i32) -> i32 retired, or -1 without running when
// fewer than its instructions are allowed (avail) or the CS limit cuts it (pageEnd). IP = (h + delta)
// masked, h being an instruction's wasm offset (a constant: entries are keyed by machine address).
// Exits write JIT_EXIT_KIND / _H / _RIP (layout.ts documents them). A Jcc or JMP back to the block's
// first instruction loops inside the function while the budget allows another full pass.
import * as L from '../layout.gen.ts';
import * as C from './core-constants.gen.ts';
import { Bytes, Op, I32, I64, EMPTY, moduleBytes } from './wasm.ts';

/** One decoded entry, as the compiler needs it. */
export interface Entry {
  addr: number; h: number; len: number; op: number;
  g: number; e: number; x: number; scale: number; seg: number; disp: number; aux: number; imm: bigint;
}

export function readEntries(view: DataView, n: number, h0: number): Entry[] {
  const out: Entry[] = [];
  let h = h0;
  for (let i = 0; i < n; i++) {
    const addr = view.getUint32(L.JIT_BASE + L.JIT_LIST + 4 * i, true);
    const len = view.getUint8(addr + C.DCE_LEN);
    out.push({
      addr, h, len, op: view.getUint16(addr + C.DCE_OP, true),
      g: view.getUint8(addr + C.DCE_G), e: view.getUint8(addr + C.DCE_E), x: view.getUint8(addr + C.DCE_X),
      scale: view.getUint8(addr + C.DCE_SCALE), seg: view.getUint8(addr + C.DCE_SEG),
      disp: view.getInt32(addr + C.DCE_DISP, true), aux: view.getUint32(addr + C.DCE_AUX, true),
      imm: view.getBigUint64(addr + C.DCE_IMM, true),
    });
    h += len;
  }
  return out;
}

// Function indices of the imports, local indices.
const F_EXEC = 0, F_CF = 1, F_COND = 2;
const P_DELTA = 0, P_AVAIL = 1, P_PAGE_END = 2;
// L_A, L_B, L_R, L_C belong to the last flag producer (its operands, result and old CF); L_S is scratch.
// L_LIN/L_E/L_HOST: a memory operand's linear address, TLB entry and host offset; L_SALT, L_TAG, L_RR,
// L_RW: the TLB's salt and tag and the read and write rights for the current privilege (block constants).
const L_BASE = 3, L_T = 4, L_TH = 5, L_E = 6, L_HOST = 7, L_SALT = 8, L_RR = 9, L_RW = 10;
const L_A = 11, L_B = 12, L_R = 13, L_C = 14, L_S = 15, L_LIN = 16, L_TAG = 17;

const GPR = L.CPU_BASE + L.CPU_GPR;
const CC_OP = L.CPU_BASE + L.CPU_CC_OP, CC_DST = L.CPU_BASE + L.CPU_CC_DST;
const CC_SRC = L.CPU_BASE + L.CPU_CC_SRC, CC_SRC2 = L.CPU_BASE + L.CPU_CC_SRC2;
const TRACE_HEAD = L.TRACE_BASE + L.TRACE_HEAD, TRACE_ENTRY = L.TRACE_BASE + L.TRACE_ENTRIES;
const SEGS = L.CPU_BASE + L.CPU_SEG, CPL = L.CPU_BASE + L.CPU_CPL, TLB_HITS = L.CNT_BASE + L.CNT_TLB_HITS;
const FS = 4;
/** Present, writable, expand-up data (state.ts ATTR_*): the segments whose accesses the quick path takes. */
const ATTR_WANT = 0x92, ATTR_TESTED = 0x9e;
const X_KIND = L.JIT_BASE + L.JIT_EXIT_KIND, X_H = L.JIT_BASE + L.JIT_EXIT_H, X_RIP = L.JIT_BASE + L.JIT_EXIT_RIP;

/** What the last flag-setting instruction of this block left in the locals (null: unknown here). */
type Producer = null | { kind: 'sub' | 'logic' | 'add' | 'incdec'; size: number };

const mask = (size: number): bigint => (size === 8 ? 0xffffffffffffffffn : 0xffffffffn);
const sizeIndex = (size: number): number => (size === 8 ? 3 : 2);

class BlockCompiler {
  readonly code = new Bytes();
  /** Nesting depth of structured blocks inside the loop (0 = directly in it). */
  private depth = 0;
  private producer: Producer = null;

  constructor(private readonly list: Entry[], private readonly m64: boolean, private readonly tracing: boolean) {}

  private get n(): number { return this.list.length; }
  private get h0(): number { return this.list[0].h; }
  private get hEnd(): number { const l = this.list[this.n - 1]; return l.h + l.len; }
  private get ipMask(): bigint { return this.m64 ? 0xffffffffffffffffn : 0xffffffffn; }

  // ---- Exits ----
  private exit(kind: number, h: number, retired: number): void {
    const c = this.code;
    if (this.tracing) c.i32c(0).get(L_TH).mem(Op.i32_store, TRACE_HEAD);
    c.i32c(0).i32c(kind).mem(Op.i32_store, X_KIND);
    c.i32c(0).i32c(h).mem(Op.i32_store, X_H);
    c.get(L_BASE).i32c(retired).byte(Op.i32_add).byte(Op.return);
  }
  /** Exit JIT_EXIT_JUMP: the branch at h (not counted) goes to IP (hn + delta) + disp, masked. */
  private exitJump(h: number, hn: number, disp: bigint, retired: number): void {
    const c = this.code;
    c.i32c(0).i64c(BigInt(hn)).get(P_DELTA).byte(Op.i64_add).i64c(disp).byte(Op.i64_add);
    if (!this.m64) c.i64c(0xffffffffn).byte(Op.i64_and);
    c.mem(Op.i64_store, X_RIP);
    this.exit(L.JIT_EXIT_JUMP, h, retired);
  }
  private open(): void { this.code.byte(Op.if, EMPTY); this.depth++; }
  private close(): void { this.code.byte(Op.end); this.depth--; }

  // ---- Registers and flags ----
  private rd(off: number, size: number): void {
    this.code.i32c(0).mem(size === 8 ? Op.i64_load : Op.i64_load32_u, GPR + off);
  }
  /** Stores the i64 in local `l` to register `off` (a 32-bit write zero-extends). */
  private wrLocal(off: number, l: number, size: number): void {
    const c = this.code;
    c.i32c(0).get(l);
    if (size === 4) c.i64c(0xffffffffn).byte(Op.i64_and);
    c.mem(Op.i64_store, GPR + off);
  }
  private setCC(kind: number, size: number, dst: number, src: number | bigint, src2?: number): void {
    const c = this.code;
    c.i32c(0).i32c((kind << 2) | sizeIndex(size)).mem(Op.i32_store, CC_OP);
    c.i32c(0).get(dst).mem(Op.i64_store, CC_DST);
    c.i32c(0);
    if (typeof src === 'bigint') c.i64c(src); else c.get(src);
    c.mem(Op.i64_store, CC_SRC);
    if (src2 !== undefined) c.i32c(0).get(src2).mem(Op.i64_store, CC_SRC2);
  }

  /** Pushes CF of the known producer (i64 0/1), or asks the core. */
  private carry(): void {
    const c = this.code, p = this.producer;
    if (p?.kind === 'logic') c.i64c(0n);
    else if (p?.kind === 'sub') c.get(L_A).get(L_B).byte(Op.i64_lt_u, Op.i64_extend_i32_u);
    else if (p?.kind === 'add') c.get(L_R).get(L_B).byte(Op.i64_lt_u, Op.i64_extend_i32_u);
    else if (p?.kind === 'incdec') c.get(L_C);
    else c.call(F_CF).byte(Op.i64_extend_i32_u);
  }

  /**
   * Pushes condition `cc` (i32 0/1). After SUB/CMP (L_A, L_B = the masked operands, L_R = result) and
   * logic ops (L_R) every condition but O and P is a comparison; otherwise the core evaluates it.
   */
  private cond(cc: number): void {
    const c = this.code, p = this.producer, t = cc >> 1;
    const neg = (cc & 1) !== 0;
    const sh = p ? BigInt(64 - 8 * p.size) : 0n;
    const sign = (): void => { c.get(L_R).i64c(sh).byte(Op.i64_shl).i64c(0n).byte(Op.i64_lt_s); };
    const signed = (l: number): void => { c.get(l).i64c(sh).byte(Op.i64_shl); };
    let done = true;
    if (p && t === 2) c.get(L_R).byte(Op.i64_eqz);
    else if (p && t === 4) sign();
    else if (p?.kind === 'sub' && t === 1) c.get(L_A).get(L_B).byte(Op.i64_lt_u);
    else if (p?.kind === 'sub' && t === 3) c.get(L_A).get(L_B).byte(Op.i64_le_u);
    else if (p?.kind === 'sub' && t === 6) { signed(L_A); signed(L_B); c.byte(Op.i64_lt_s); }
    else if (p?.kind === 'sub' && t === 7) { signed(L_A); signed(L_B); c.byte(Op.i64_le_s); }
    else if (p?.kind === 'logic' && (t === 0 || t === 1)) c.i32c(0);
    else if (p?.kind === 'logic' && t === 3) c.get(L_R).byte(Op.i64_eqz);
    else if (p?.kind === 'logic' && t === 6) sign();
    else if (p?.kind === 'logic' && t === 7) { c.get(L_R).byte(Op.i64_eqz); sign(); c.byte(Op.i32_or); }
    else done = false;
    if (!done) { c.i32c(cc).call(F_COND); return; }
    if (neg) c.byte(Op.i32_eqz);
  }

  // ---- Instructions ----
  /** Entry i through the core (jitExec): exits on a fault or when the core says the block must stop. */
  private helper(i: number): void {
    const c = this.code, x = this.list[i];
    c.i32c(x.addr).i32c(x.h).i32c(x.h + x.len).call(F_EXEC).tee(L_T);
    this.open();
    // JX_FAULT: not retired; JX_STALE: not run, the run loop continues there; JX_EXIT: retired, stop.
    c.get(L_T).i32c(C.JX_FAULT).byte(Op.i32_eq);
    this.open();
    this.exit(L.JIT_EXIT_FAULT, x.h, i);
    this.close();
    c.get(L_T).i32c(C.JX_STALE).byte(Op.i32_eq);
    this.open();
    if (i === 0) {
      // Nothing ran in this pass: on the first, as if the block had refused to run.
      c.get(L_BASE).byte(Op.i32_eqz);
      this.open();
      c.i32c(-1).byte(Op.return);
      this.close();
    }
    this.exit(L.JIT_EXIT_NEXT, x.h, i);
    this.close();
    this.exit(L.JIT_EXIT_HELPER, x.h, i + 1);
    this.close();
    this.producer = null;
  }

  private alu(i: number, op: number, size: number, fromImm: boolean): boolean {
    const c = this.code, x = this.list[i];
    if (op === C.ALU_ADC || op === C.ALU_SBB) return false;
    this.rd(x.e, size); c.set(L_A);
    if (fromImm) c.i64c(x.imm & mask(size)); else this.rd(x.g, size);
    c.set(L_B);
    this.aluCore(op, size, () => this.wrLocal(x.e, L_R, size));
    return true;
  }

  private test(i: number, size: number, fromImm: boolean): void {
    const c = this.code, x = this.list[i];
    this.rd(x.e, size);
    if (fromImm) c.i64c(x.imm); else this.rd(x.g, size);
    c.byte(Op.i64_and).i64c(mask(size)).byte(Op.i64_and).set(L_R);
    this.setCC(C.CC_LOGIC, size, L_R, 0n);
    this.producer = { kind: 'logic', size };
  }

  private incdec(i: number, size: number): void {
    const c = this.code, x = this.list[i], dec = x.aux !== 0;
    this.carry(); c.set(L_C);
    this.rd(x.e, size); c.i64c(1n).byte(dec ? Op.i64_sub : Op.i64_add);
    if (size === 4) c.i64c(mask(4)).byte(Op.i64_and);
    c.set(L_R);
    this.wrLocal(x.e, L_R, size);
    this.setCC(dec ? C.CC_DEC : C.CC_INC, size, L_R, 1n, L_C);
    this.producer = { kind: 'incdec', size };
  }

  private lea(i: number, size: number): void {
    const x = this.list[i];
    this.ea(x);
    this.code.set(L_S);
    this.wrLocal(x.g, L_S, size);
  }

  // ---- Memory operands (cpu/modrm.ts segLinearQuick, readQuick, writeQuick, readForWriteQuick) ----
  /** Pushes the operand's effective offset (i64), at the address size. */
  private ea(x: Entry): void {
    const c = this.code;
    c.i64c(BigInt(x.disp));
    if (x.e < 0x80) { this.rd(x.e, 8); c.byte(Op.i64_add); }
    else if (x.e === C.BASE_RIP) { c.i64c(BigInt(x.h + x.len)).get(P_DELTA).byte(Op.i64_add).i64c(this.ipMask).byte(Op.i64_and, Op.i64_add); }
    if (x.x < 0x80) { this.rd(x.x, 8); c.i64c(BigInt(x.scale)).byte(Op.i64_shl, Op.i64_add); }
    if (!this.m64) c.i64c(0xffffffffn).byte(Op.i64_and);
  }
  /** Can the quick path serve this operand at all (64-bit FS/GS bases are left to the core)? */
  private quickable(x: Entry): boolean { return !(this.m64 && (x.seg & 7) >= FS); }
  /**
   * The quick path's tests, each branching to the enclosing `block` (depth `slow`) on failure; on
   * success L_HOST is the operand's host offset and the TLB hit is counted.
   */
  private quickHost(x: Entry, size: number, write: boolean, slow: number): void {
    const c = this.code;
    this.ea(x);
    c.set(L_LIN);
    if (this.m64) {
      c.get(L_LIN).i64c(0x800000000000n).byte(Op.i64_add).i64c(48n).byte(Op.i64_shr_u).byte(Op.i64_eqz, Op.i32_eqz, Op.br_if).u32(slow);
      c.get(L_LIN).i64c(0x800000000007n).byte(Op.i64_add).i64c(48n).byte(Op.i64_shr_u).byte(Op.i64_eqz, Op.i32_eqz, Op.br_if).u32(slow);
    } else {
      const seg = SEGS + (x.seg & 7) * L.SEG_STRIDE;
      c.i32c(0).mem(Op.i32_load16_u, seg + L.SEG_ATTR).i32c(ATTR_TESTED).byte(Op.i32_and).i32c(ATTR_WANT).byte(Op.i32_ne, Op.br_if).u32(slow);
      c.get(L_LIN).i64c(BigInt(size - 1)).byte(Op.i64_add).i32c(0).mem(Op.i64_load32_u, seg + L.SEG_LIMIT).byte(Op.i64_gt_u, Op.br_if).u32(slow);
      c.get(L_LIN).i32c(0).mem(Op.i64_load, seg + L.SEG_BASE).byte(Op.i64_add).i64c(0xffffffffn).byte(Op.i64_and).set(L_LIN);
    }
    c.get(L_LIN).byte(Op.i32_wrap_i64).i32c(0xfff).byte(Op.i32_and).i32c(0x1000 - size).byte(Op.i32_gt_u, Op.br_if).u32(slow);
    c.get(L_LIN).i64c(12n).byte(Op.i64_shr_u, Op.i32_wrap_i64).get(L_SALT).byte(Op.i32_xor).i32c(L.TLB_ENTRIES - 1).byte(Op.i32_and);
    c.i32c(4).byte(Op.i32_shl).i32c(L.TLB_BASE).byte(Op.i32_add).tee(L_E);
    c.mem(Op.i64_load, 0).get(L_LIN).i64c(~0xfffn).byte(Op.i64_and).get(L_TAG).byte(Op.i64_or, Op.i64_ne, Op.br_if).u32(slow);
    c.get(L_E).mem(Op.i32_load, 12).get(write ? L_RW : L_RR).byte(Op.i32_and, Op.i32_eqz, Op.br_if).u32(slow);
    c.get(L_E).mem(Op.i32_load, 8).get(L_LIN).byte(Op.i32_wrap_i64).i32c(0xfff).byte(Op.i32_and, Op.i32_add).set(L_HOST);
    c.i32c(0).i32c(0).mem(Op.i64_load, TLB_HITS).i64c(1n).byte(Op.i64_add).mem(Op.i64_store, TLB_HITS);
  }
  private loadHost(size: number): void { this.code.get(L_HOST).mem(size === 8 ? Op.i64_load : Op.i64_load32_u, 0); }
  /** Stores the i64 on the stack... pushed after L_HOST by `value` to the operand. */
  private storeHost(size: number, value: () => void): void {
    this.code.get(L_HOST);
    value();
    this.code.mem(size === 8 ? Op.i64_store : Op.i64_store32, 0);
  }
  /**
   * A memory form: the quick path (`fast`, which may use L_HOST) or, when any of its tests fails,
   * the core (jitExec). After the core ran it, the flag producer's locals are reloaded from the lazy
   * flags (the core ran the same instruction, so CC_OP names the same kind and size).
   */
  private memForm(i: number, size: number, write: boolean, fast: () => void): void {
    const c = this.code, x = this.list[i];
    if (!this.quickable(x)) { this.helper(i); return; }
    c.byte(Op.block, EMPTY); this.depth++;
    c.byte(Op.block, EMPTY); this.depth++;
    this.quickHost(x, size, write, 0);
    fast();
    c.byte(Op.br).u32(1);
    c.byte(Op.end); this.depth--;
    const p = this.producer;
    this.helper(i);
    this.producer = p;
    if (p) this.reloadProducer(p);
    c.byte(Op.end); this.depth--;
  }
  private reloadProducer(p: NonNullable<Producer>): void {
    const c = this.code, m = mask(p.size);
    c.i32c(0).mem(Op.i64_load, CC_DST).set(L_R);
    if (p.kind === 'incdec') c.i32c(0).mem(Op.i64_load, CC_SRC2).set(L_C);
    if (p.kind === 'sub' || p.kind === 'add') c.i32c(0).mem(Op.i64_load, CC_SRC).set(L_B);
    if (p.kind === 'sub') c.get(L_R).get(L_B).byte(Op.i64_add).i64c(m).byte(Op.i64_and).set(L_A);
  }
  /** The ALU core on L_A and L_B: L_R, the flags, the producer; writes back through `store` unless CMP. */
  private aluCore(op: number, size: number, store: () => void): void {
    const c = this.code, m = mask(size);
    c.get(L_A).get(L_B);
    switch (op) {
      case C.ALU_ADD: c.byte(Op.i64_add); break;
      case C.ALU_OR: c.byte(Op.i64_or); break;
      case C.ALU_AND: c.byte(Op.i64_and); break;
      case C.ALU_XOR: c.byte(Op.i64_xor); break;
      default: c.byte(Op.i64_sub); break; // SUB, CMP
    }
    if (size === 4) c.i64c(m).byte(Op.i64_and);
    c.set(L_R);
    if (op !== C.ALU_CMP) store();
    if (op === C.ALU_ADD) { this.setCC(C.CC_ADD, size, L_R, L_B); this.producer = { kind: 'add', size }; }
    else if (op === C.ALU_SUB || op === C.ALU_CMP) { this.setCC(C.CC_SUB, size, L_R, L_B); this.producer = { kind: 'sub', size }; }
    else { this.setCC(C.CC_LOGIC, size, L_R, 0n); this.producer = { kind: 'logic', size }; }
  }
  /** The memory forms the compiler inlines; false for the rest (the core runs them). */
  private memory(i: number): boolean {
    const x = this.list[i], op = x.op, c = this.code;
    const w = (base: number): number => (op - base === 1 ? 8 : 4);
    const is = (base: number): boolean => op === base || op === base + 1;
    if (is(C.OP_MOV_RM)) {
      const size = w(C.OP_MOV_RM);
      this.memForm(i, size, false, () => { c.i32c(0); this.loadHost(size); c.mem(Op.i64_store, GPR + x.g); });
      return true;
    }
    if (is(C.OP_MOV_MR)) {
      const size = w(C.OP_MOV_MR);
      this.memForm(i, size, true, () => this.storeHost(size, () => this.rd(x.g, size)));
      return true;
    }
    if (is(C.OP_MOV_MI)) {
      const size = w(C.OP_MOV_MI);
      this.memForm(i, size, true, () => this.storeHost(size, () => c.i64c(x.imm & mask(size))));
      return true;
    }
    if (is(C.OP_ALU_RM) && x.aux !== C.ALU_ADC && x.aux !== C.ALU_SBB) {
      const size = w(C.OP_ALU_RM);
      this.memForm(i, size, false, () => {
        this.rd(x.g, size); c.set(L_A); this.loadHost(size); c.set(L_B);
        this.aluCore(x.aux, size, () => this.wrLocal(x.g, L_R, size));
      });
      return true;
    }
    if ((is(C.OP_ALU_MR) || is(C.OP_ALU_MI)) && x.aux !== C.ALU_ADC && x.aux !== C.ALU_SBB) {
      const fromImm = is(C.OP_ALU_MI);
      const size = w(fromImm ? C.OP_ALU_MI : C.OP_ALU_MR);
      this.memForm(i, size, x.aux !== C.ALU_CMP, () => {
        this.loadHost(size); c.set(L_A);
        if (fromImm) c.i64c(x.imm & mask(size)); else this.rd(x.g, size);
        c.set(L_B);
        this.aluCore(x.aux, size, () => this.storeHost(size, () => c.get(L_R)));
      });
      return true;
    }
    if (is(C.OP_TEST_MR) || is(C.OP_TEST_MI)) {
      const fromImm = is(C.OP_TEST_MI);
      const size = w(fromImm ? C.OP_TEST_MI : C.OP_TEST_MR);
      this.memForm(i, size, false, () => {
        this.loadHost(size);
        if (fromImm) c.i64c(x.imm); else this.rd(x.g, size);
        c.byte(Op.i64_and).i64c(mask(size)).byte(Op.i64_and).set(L_R);
        this.setCC(C.CC_LOGIC, size, L_R, 0n);
        this.producer = { kind: 'logic', size };
      });
      return true;
    }
    return false;
  }

  /** Jcc (cc) or JMP (cc < 0): ends the block. */
  private branch(i: number, cc: number, loops: boolean): void {
    const c = this.code, x = this.list[i];
    const hn = x.h + x.len;
    const disp = BigInt.asIntN(64, x.imm);
    const target = hn + Number(disp);
    const page = this.h0 & ~0xfff;
    if (cc >= 0) { this.cond(cc); this.open(); }
    if (target >= page && target < page + 0x1000) {
      if (loops && target === this.h0) {
        // Back to the start: another pass if the budget allows a whole one.
        c.get(L_BASE).i32c(i + 1).byte(Op.i32_add).set(L_BASE);
        c.get(P_AVAIL).get(L_BASE).byte(Op.i32_sub).i32c(this.n).byte(Op.i32_ge_u);
        c.byte(Op.br_if).u32(this.depth);
        this.exit(L.JIT_EXIT_NEXT, this.h0, 0);
      } else {
        // In the page: continue there unless the CS limit cuts the page before it.
        c.get(P_PAGE_END).i32c(target).byte(Op.i32_gt_u);
        this.open();
        this.exit(L.JIT_EXIT_NEXT, target, i + 1);
        this.close();
        this.exitJump(x.h, hn, disp, i);
      }
    } else {
      this.exitJump(x.h, hn, disp, i);
    }
    if (cc >= 0) this.close();
  }

  /** The trace ring's entry for instruction i (debug/trace.ts traceInsnAt): RIP, kind INSN, info 0. */
  private trace(i: number): void {
    const c = this.code, x = this.list[i];
    c.get(L_TH).i32c(L.TRACE_COUNT - 1).byte(Op.i32_and).i32c(4).byte(Op.i32_shl).tee(L_T);
    c.i64c(BigInt(x.h)).get(P_DELTA).byte(Op.i64_add).i64c(this.ipMask).byte(Op.i64_and).mem(Op.i64_store, TRACE_ENTRY);
    c.get(L_T).i64c(BigInt(L.TRACE_KIND_INSN)).mem(Op.i64_store, TRACE_ENTRY + 8);
    c.get(L_TH).i32c(1).byte(Op.i32_add).set(L_TH);
  }

  private instruction(i: number, loops: boolean): void {
    const x = this.list[i], op = x.op;
    if (this.tracing) this.trace(i);
    const w = (base: number): number => (op - base === 1 ? 8 : 4);
    if (op >= C.OP_ALU_RR && op < C.OP_ALU_RR + 16) { if (this.alu(i, (op - C.OP_ALU_RR) >> 1, (op - C.OP_ALU_RR) & 1 ? 8 : 4, false)) return; }
    else if (op >= C.OP_ALU_RI && op < C.OP_ALU_RI + 16) { if (this.alu(i, (op - C.OP_ALU_RI) >> 1, (op - C.OP_ALU_RI) & 1 ? 8 : 4, true)) return; }
    else if (op === C.OP_TEST_RR || op === C.OP_TEST_RR + 1) { this.test(i, w(C.OP_TEST_RR), false); return; }
    else if (op === C.OP_TEST_RI || op === C.OP_TEST_RI + 1) { this.test(i, w(C.OP_TEST_RI), true); return; }
    else if (op === C.OP_MOV_RR || op === C.OP_MOV_RR + 1) {
      const size = w(C.OP_MOV_RR);
      this.rd(x.g, size); this.code.set(L_S); this.wrLocal(x.e, L_S, size); return;
    } else if (op === C.OP_MOV_RI || op === C.OP_MOV_RI + 1) {
      const size = w(C.OP_MOV_RI);
      this.code.i32c(0).i64c(x.imm & mask(size)).mem(Op.i64_store, GPR + x.e); return;
    } else if (op === C.OP_INCDEC_R || op === C.OP_INCDEC_R + 1) { this.incdec(i, w(C.OP_INCDEC_R)); return; }
    else if (op === C.OP_LEA || op === C.OP_LEA + 1) { this.lea(i, w(C.OP_LEA)); return; }
    else if (op === C.OP_NOP) return;
    else if (op >= C.OP_JCC && op < C.OP_JCC + 16) { this.branch(i, op - C.OP_JCC, loops); return; }
    else if (op === C.OP_JMP) { this.branch(i, -1, loops); return; }
    else if (this.memory(i)) return;
    this.helper(i);
  }

  compile(memoryShared: boolean): Uint8Array<ArrayBuffer> {
    const c = this.code;
    const last = this.list[this.n - 1];
    // A block loops when its last instruction is a branch back to its first.
    const lastIsBranch = (last.op >= C.OP_JCC && last.op < C.OP_JCC + 16) || last.op === C.OP_JMP;
    const loops = lastIsBranch && last.h + last.len + Number(BigInt.asIntN(64, last.imm)) === this.h0;
    // Refuse to run when the budget or the CS limit does not allow the whole block.
    c.get(P_AVAIL).i32c(this.n).byte(Op.i32_lt_u).get(P_PAGE_END).i32c(this.hEnd).byte(Op.i32_lt_u).byte(Op.i32_or);
    c.byte(Op.if, EMPTY).i32c(-1).byte(Op.return, Op.end);
    if (this.tracing) c.i32c(0).mem(Op.i32_load, TRACE_HEAD).set(L_TH);
    // Block constants for the inline TLB lookups (mmu/tlb.ts; the rights of mmu/paging.ts rightFor).
    c.i32c(0).mem(Op.i32_load, L.JIT_BASE + L.JIT_TLB_SALT).set(L_SALT);
    c.i32c(0).mem(Op.i64_load, L.JIT_BASE + L.JIT_TLB_TAG).set(L_TAG);
    c.i32c(0).mem(Op.i32_load, CPL).i32c(3).byte(Op.i32_eq).set(L_RR);
    c.i32c(4).get(L_RR).byte(Op.i32_shl).set(L_RW);
    c.i32c(1).get(L_RR).byte(Op.i32_shl).set(L_RR);
    c.byte(Op.loop, EMPTY);
    for (let i = 0; i < this.n; i++) {
      // The producer is not known at the loop's head (the first pass comes from outside).
      if (i === 0) this.producer = null;
      this.instruction(i, loops);
    }
    this.exit(L.JIT_EXIT_NEXT, this.hEnd, this.n);
    c.byte(Op.end); // loop
    c.byte(Op.unreachable, Op.end);
    return moduleBytes({
      types: [
        { params: [I64, I32, I32], results: [I32] },
        { params: [I32, I32, I32], results: [I32] },
        { params: [], results: [I32] },
        { params: [I32], results: [I32] },
      ],
      memoryShared,
      imports: [{ name: 'exec', type: 1 }, { name: 'cf', type: 2 }, { name: 'cond', type: 3 }],
      func: { type: 0, locals: [I32, I32, I32, I32, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64, I64], body: c, export: 'b' },
    });
  }
}

/** The module bytes for `list` (32-bit or 64-bit code; recording the trace ring or not); memoryShared must match the core's memory. */
export function compileBlock(list: Entry[], m64: boolean, tracing: boolean, memoryShared: boolean): Uint8Array<ArrayBuffer> {
  return new BlockCompiler(list, m64, tracing).compile(memoryShared);
}
