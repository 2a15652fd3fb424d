// The shape of the compiled core where speed depends on it: the decoded-op switch of
// assembly/cpu/fast-ops.ts (execDecoded) must become one wasm br_table over every fast-op number, not
// a chain of tables and compares (Binaryen splits a switch whose case labels mix bare constants and
// sums: it became 8 chained tables, up to 8 compares before the jump). Read from build/xenwasm.wasm
// (the global setup builds it) with Binaryen's expression API; OP_COUNT and DCE_OP come from the sources.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';

const root = new URL('../../', import.meta.url);
function constantIn(file: string, name: string): number {
  const m = readFileSync(new URL(file, root), 'utf8').match(new RegExp(`export const ${name}: u32 = (\\d+);`));
  if (!m) throw new Error(`${file} no longer declares ${name} as a u32 constant`);
  return Number(m[1]);
}
/** Fast ops are 1..OP_COUNT-1 (op 0 goes to the byte decoder). */
const OP_COUNT = constantIn('assembly/cpu/predecode.ts', 'OP_COUNT');
/** Offset of the u16 op in a decoded entry. */
const DCE_OP = constantIn('assembly/cpu/decode-cache.ts', 'DCE_OP');

const B = binaryen;
/** The operand fields of each expression kind the core uses (kinds without operands are absent). */
const OPERANDS: Record<number, string[]> = {
  [B.BlockId]: ['children'], [B.IfId]: ['condition', 'ifTrue', 'ifFalse'], [B.LoopId]: ['body'],
  [B.BreakId]: ['condition', 'value'], [B.SwitchId]: ['condition', 'value'], [B.CallId]: ['operands'],
  [B.CallIndirectId]: ['target', 'operands'], [B.LocalSetId]: ['value'], [B.GlobalSetId]: ['value'],
  [B.LoadId]: ['ptr'], [B.StoreId]: ['ptr', 'value'], [B.UnaryId]: ['value'], [B.BinaryId]: ['left', 'right'],
  [B.SelectId]: ['ifTrue', 'ifFalse', 'condition'], [B.DropId]: ['value'], [B.ReturnId]: ['value'],
  [B.MemoryGrowId]: ['delta'], [B.MemoryCopyId]: ['dest', 'source', 'size'], [B.MemoryFillId]: ['dest', 'value', 'size'],
};
const LEAVES = new Set([B.LocalGetId, B.GlobalGetId, B.ConstId, B.NopId, B.UnreachableId, B.MemorySizeId]);

/** Every expression of a function body, parents before children. */
function* expressions(body: number): Generator<number> {
  const stack = [body];
  while (stack.length) {
    const e = stack.pop()!;
    if (!e) continue;
    yield e;
    const id = B.getExpressionId(e);
    if (LEAVES.has(id)) continue;
    const fields = OPERANDS[id];
    if (!fields) throw new Error(`expression kind ${id} is new to this test: add its operands to OPERANDS`);
    const info = B.getExpressionInfo(e) as unknown as Record<string, number | number[]>;
    for (const f of fields) {
      const v = info[f];
      if (Array.isArray(v)) stack.push(...v);
      else if (v) stack.push(v);
    }
  }
}

interface Table { fn: string; targets: number; firstOp: number }
/**
 * The br_tables that dispatch on a decoded entry's op: their index is the u16 at DCE_OP (a load, a
 * local.tee of it, or a local it was stored in), possibly minus a constant (the first op of the table).
 */
function opTables(module: binaryen.Module): { tables: Table[]; allTargets: Map<string, number[]> } {
  const tables: Table[] = [];
  /** Targets of every br_table, by function. */
  const allTargets = new Map<string, number[]>();
  for (let f = 0; f < module.getNumFunctions(); f++) {
    const fn = B.getFunctionInfo(module.getFunctionByIndex(f));
    if (!fn.body) continue; // an import
    const isOpLoad = (e: number): boolean => {
      if (B.getExpressionId(e) !== B.LoadId) return false;
      const l = B.getExpressionInfo(e) as binaryen.LoadInfo;
      return l.bytes === 2 && !l.isSigned && l.offset === DCE_OP;
    };
    const opLocals = new Set<number>();
    const switches: number[] = [];
    for (const e of expressions(fn.body)) {
      const id = B.getExpressionId(e);
      if (id === B.LocalSetId) {
        const s = B.getExpressionInfo(e) as binaryen.LocalSetInfo;
        if (isOpLoad(s.value)) opLocals.add(s.index);
      } else if (id === B.SwitchId) switches.push(e);
    }
    const readsOp = (e: number): boolean => {
      const id = B.getExpressionId(e);
      if (isOpLoad(e)) return true;
      if (id === B.LocalSetId) return isOpLoad((B.getExpressionInfo(e) as binaryen.LocalSetInfo).value);
      return id === B.LocalGetId && opLocals.has((B.getExpressionInfo(e) as binaryen.LocalGetInfo).index);
    };
    for (const e of switches) {
      const s = B.getExpressionInfo(e) as binaryen.SwitchInfo;
      const targets = s.names.length + (s.defaultName ? 1 : 0);
      allTargets.set(fn.name, [...(allTargets.get(fn.name) ?? []), targets]);
      let index = s.condition, firstOp = 0;
      if (B.getExpressionId(index) === B.BinaryId) {
        const b = B.getExpressionInfo(index) as binaryen.BinaryInfo;
        if (B.getExpressionId(b.right) === B.ConstId && (b.op === B.SubInt32 || b.op === B.AddInt32)) {
          const c = (B.getExpressionInfo(b.right) as binaryen.ConstInfo).value as number;
          firstOp = b.op === B.SubInt32 ? c : -c;
          index = b.left;
        }
      }
      if (readsOp(index)) tables.push({ fn: fn.name, targets, firstOp });
    }
  }
  return { tables, allTargets };
}

describe('the compiled decoded-op dispatch (build/xenwasm.wasm)', () => {
  let tables: Table[] = [], allTargets = new Map<string, number[]>();
  beforeAll(() => {
    const module = B.readBinary(readFileSync(new URL('build/xenwasm.wasm', root)));
    ({ tables, allTargets } = opTables(module));
    module.dispose();
  });

  it(`has a br_table indexed by the decoded entry's op with at least ${OP_COUNT - 1} targets (ops 1..${OP_COUNT - 1})`, () => {
    expect(tables.length).toBeGreaterThan(0);
    expect(Math.max(...tables.map((t) => t.targets))).toBeGreaterThanOrEqual(OP_COUNT - 1);
  });

  it('is one table per copy of the switch, covering every fast op, instead of a chain (formerly 8 tables: 38 5 8 4 10 5 46 10)', () => {
    const byFn = new Map<string, Table[]>();
    for (const t of tables) byFn.set(t.fn, [...(byFn.get(t.fn) ?? []), t]);
    for (const [fn, ts] of byFn) {
      expect(ts.length, `function ${fn}: br_tables reading the op`).toBe(1);
      // Ops firstOp .. firstOp + targets - 2 have their own entries; the next one may share the default.
      const [t] = ts;
      expect(t.firstOp, `function ${fn}: first op of the table`).toBeLessThanOrEqual(1);
      expect(t.firstOp + t.targets, `function ${fn}: ops covered`).toBeGreaterThanOrEqual(OP_COUNT);
    }
  });

  it('leaves no table of the old split (38 or 46 targets and the default) in the functions that dispatch on the op', () => {
    for (const fn of new Set(tables.map((t) => t.fn))) {
      expect(allTargets.get(fn)!.filter((n) => n >= 39 && n <= 47), `function ${fn}`).toEqual([]);
    }
  });
});
