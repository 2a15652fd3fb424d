// A bare instance of the core for unit tests that poke it directly (no worker): compiled once per
// test file from build/xenwasm.wasm (the global setup builds it).
import { readFileSync } from 'node:fs';
import * as L from '../../workers/layout.gen.ts';
import { jitHost } from '../../workers/jit/host.ts';

let module: WebAssembly.Module | undefined;

export interface TestCore {
  exports: Record<string, (...args: any[]) => any>;
  memory: WebAssembly.Memory;
  view: DataView;
  bytes: Uint8Array;
}

/** A fresh core with `nrPages` frames of guest RAM, coreInit already called. */
export function newCore(nrPages = 64): TestCore {
  module ??= new WebAssembly.Module(readFileSync(new URL('../../build/xenwasm.wasm', import.meta.url)));
  const pages = Math.ceil((L.GUEST_RAM_BASE + (nrPages + L.XEN_EXTRA_FRAMES) * L.PAGE_SIZE) / L.WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  let exports: TestCore['exports'] | undefined;
  const jit = jitHost(memory, () => exports);
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      jitCompile: jit.jitCompile,
      profNow: () => 0, // the profiler's host clock (assembly/debug/profile.ts); profiling is off here
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`core abort at ${line}:${col}`);
      },
    },
  });
  exports = instance.exports as TestCore['exports'];
  if (exports.coreInit(nrPages, L.XEN_EXTRA_FRAMES) !== 0) throw new Error('coreInit refused the memory map');
  return { exports, memory, view: new DataView(memory.buffer), bytes: new Uint8Array(memory.buffer) };
}
