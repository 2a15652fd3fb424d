// Interpreter speed on a tight integer loop in the bare test machine (64-bit user code):
//   mov ecx, N ; L: add eax, ebx ; dec ecx ; jnz L   (3 instructions per iteration)
// run through the core's run() export in slices, as the worker does. Prints guest instructions per
// second (best of the timed rounds, after a warm-up so V8 has tiered the wasm up).
// Usage: npx tsx bench/cpu-loop.ts [--iterations 30000000] [--slice 1000000] [--trace] [--decode-cache on|off]
import { newCore } from '../test/helpers/core-instance.ts';
import * as L from '../workers/layout.gen.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const iterations = arg('iterations', 30_000_000);
const slice = arg('slice', 1_000_000);
const trace = process.argv.includes('--trace');
const dcArg = process.argv.indexOf('--decode-cache');
const decodeCache = dcArg >= 0 ? process.argv[dcArg + 1] : 'on';
if (decodeCache !== 'on' && decodeCache !== 'off') throw new Error(`--decode-cache takes on or off, got "${decodeCache}"`);

const core = newCore(64);
const x = core.exports;
if (!trace) x.setInstructionTrace(0);
x.setDecodeCache(decodeCache === 'on' ? 1 : 0);

function once(): { instructions: number; seconds: number } {
  x.bareInit(64);
  const code = [0xb9, iterations & 0xff, (iterations >> 8) & 0xff, (iterations >> 16) & 0xff, (iterations >>> 24) & 0xff,
    0x01, 0xd8, // add eax, ebx
    0xff, 0xc9, // dec ecx
    0x75, 0xfa]; // jnz -6
  core.bytes.set(code, x.bareCodeHost());
  x.bareResetRegisters(64);
  const before = core.view.getBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, true);
  const t0 = process.hrtime.bigint();
  for (;;) {
    const exit = x.run(slice);
    if (exit !== L.EXIT_BUDGET) break;
  }
  const t1 = process.hrtime.bigint();
  const after = core.view.getBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, true);
  return { instructions: Number(after - before), seconds: Number(t1 - t0) / 1e9 };
}

once(); // warm-up: lets V8 tier the core up
let best = 0;
for (let round = 0; round < 3; round++) {
  const r = once();
  const mips = r.instructions / r.seconds / 1e6;
  best = Math.max(best, mips);
  console.log(`round ${round + 1}: ${r.instructions} instructions in ${r.seconds.toFixed(3)} s = ${mips.toFixed(1)} M instructions/s`);
}
console.log(`best: ${best.toFixed(1)} M instructions/s (slice ${slice}, instruction trace ${trace ? 'on' : 'off'}, decode cache ${decodeCache})`);
