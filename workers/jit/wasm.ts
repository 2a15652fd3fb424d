// A small WebAssembly binary writer for the block compiler (workers/jit/compile.ts): opcodes by name
// (WebAssembly core specification, section 5 "Binary format"), LEB128 numbers and the sections a
// one-function module needs.

/** The opcodes the block compiler emits (spec 5.4). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f, i64_load8_u: 0x31, i64_load16_u: 0x33, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_u: 0x4b, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74,
  i64_add: 0x7c, i64_sub: 0x7d, i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_u: 0xad,
} as const;

export const I32 = 0x7f;
export const I64 = 0x7e;
export const EMPTY = 0x40;

/** Bytes of one function body or section, with LEB128 helpers. */
export class Bytes {
  readonly b: number[] = [];
  byte(...xs: number[]): this {
    for (const x of xs) {
      if (!Number.isInteger(x)) throw new Error(`wasm writer: not a byte: ${x}`);
      this.b.push(x & 0xff);
    }
    return this;
  }
  u32(v: number): this {
    let x = v >>> 0;
    do { let c = x & 0x7f; x >>>= 7; if (x !== 0) c |= 0x80; this.b.push(c); } while (x !== 0);
    return this;
  }
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const c = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (c & 0x40) === 0) || (x === -1n && (c & 0x40) !== 0);
      this.b.push(done ? c : c | 0x80);
      if (done) return this;
    }
  }
  s32(v: number): this { return this.s64(BigInt(v | 0)); }
  bytes(xs: ArrayLike<number>): this { for (let i = 0; i < xs.length; i++) this.b.push(xs[i]); return this; }
  name(s: string): this { this.u32(s.length); for (let i = 0; i < s.length; i++) this.b.push(s.charCodeAt(i)); return this; }
  vec(xs: Bytes): this { return this.u32(xs.b.length).bytes(xs.b); }

  // Instructions with immediates.
  i32c(v: number): this { return this.byte(Op.i32_const).s32(v); }
  i64c(v: bigint): this { return this.byte(Op.i64_const).s64(v); }
  get(l: number): this { return this.byte(Op.local_get).u32(l); }
  set(l: number): this { return this.byte(Op.local_set).u32(l); }
  tee(l: number): this { return this.byte(Op.local_tee).u32(l); }
  /** A load or store at a constant address (i32.const 0, offset = addr): memarg align 0. */
  mem(op: number, offset = 0): this { return this.byte(op, 0).u32(offset); }
  call(f: number): this { return this.byte(Op.call).u32(f); }
}

export interface FuncType { params: number[]; results: number[] }
export interface ModuleSpec {
  types: FuncType[];
  /** env.memory's limits: shared memories must be imported as shared, with a maximum. */
  memoryShared: boolean;
  /** Function imports from module "env", by type index. */
  imports: { name: string; type: number }[];
  /** The one defined function: its type, extra locals (by value type) and body (ending in `end`). */
  func: { type: number; locals: number[]; body: Bytes; export: string };
}

function section(out: Bytes, id: number, content: Bytes): void {
  out.byte(id).vec(content);
}

/** The binary of a module with the given types, imports and one exported function. */
export function moduleBytes(m: ModuleSpec): Uint8Array<ArrayBuffer> {
  const out = new Bytes().byte(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  const types = new Bytes().u32(m.types.length);
  for (const t of m.types) types.byte(0x60).u32(t.params.length).byte(...t.params).u32(t.results.length).byte(...t.results);
  section(out, 1, types);
  const imports = new Bytes().u32(m.imports.length + 1);
  imports.name('env').name('memory').byte(0x02);
  if (m.memoryShared) imports.byte(0x03).u32(0).u32(65536);
  else imports.byte(0x00).u32(0);
  for (const im of m.imports) imports.name('env').name(im.name).byte(0x00).u32(im.type);
  section(out, 2, imports);
  section(out, 3, new Bytes().u32(1).u32(m.func.type));
  section(out, 7, new Bytes().u32(1).name(m.func.export).byte(0x00).u32(m.imports.length));
  const body = new Bytes();
  body.u32(m.func.locals.length);
  for (const l of m.func.locals) body.u32(1).byte(l);
  body.bytes(m.func.body.b);
  section(out, 10, new Bytes().u32(1).vec(body));
  return new Uint8Array(out.b) as Uint8Array<ArrayBuffer>;
}
