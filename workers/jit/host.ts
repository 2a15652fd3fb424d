// The core's env.jitCompile (assembly/cpu/jit.ts): compiles a listed block (workers/jit/compile.ts),
// instantiates it over the core's memory with the core's jitExec/jitCF/jitCond as its imports, and
// puts its function in the core's function table. Every place that instantiates the core passes
// jitImports(...) among its env imports.

import { compileBlock, readEntries } from './compile.ts';

interface CoreJitExports {
  table: WebAssembly.Table;
  jitExec: (...a: number[]) => number;
  jitCF: () => number;
  jitCond: (cc: number) => number;
}

/** Table slots handed out at most (each holds one small module); then compiling stops (-1). */
export const JIT_MAX_BLOCKS = 32768;

export interface JitHost {
  /** The import the core calls: returns a table index, or -1 (the core then interprets the block). */
  jitCompile(n: number, h0: number, m64: number, tracing: number): number;
  /** Wall time spent compiling, ms, and blocks compiled (for benchmarks). */
  stats(): { compileMs: number; blocks: number; lastError: string };
}

/** env imports for a core instance whose exports `exportsOf()` returns once it exists. */
export function jitHost(memory: WebAssembly.Memory, exportsOf: () => unknown): JitHost {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  let compileMs = 0;
  let blocks = 0;
  let lastError = '';
  return {
    jitCompile(n: number, h0: number, m64: number, tracing: number): number {
      const ex = exportsOf() as CoreJitExports | undefined;
      if (!ex?.table || blocks >= JIT_MAX_BLOCKS) return -1;
      const t0 = performance.now();
      try {
        const view = new DataView(memory.buffer);
        const bytes = compileBlock(readEntries(view, n, h0), m64 !== 0, tracing !== 0, shared);
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
          env: { memory, exec: ex.jitExec, cf: ex.jitCF, cond: ex.jitCond },
        });
        const idx = ex.table.grow(1);
        ex.table.set(idx, instance.exports.b as () => number);
        blocks++;
        return idx;
      } catch (e) {
        lastError = (e as Error).message;
        return -1;
      } finally {
        compileMs += performance.now() - t0;
      }
    },
    stats: () => ({ compileMs, blocks, lastError }),
  };
}
