// Test-only entry point (not part of the core): compiled on its own by test/unit/cpu-flags.test.ts to
// compare the lazy flags (cpu/flags.ts) with the eager reference (cpu/flags-reference.ts). lazyFlags
// records an operation exactly as the instruction handlers do (alu.ts, shift.ts) and materialises.
import {
  setCC, setCC3, computeArith, maskOfSize, sext, CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC,
  CC_SHL, CC_SHR, CC_SAR, testCond, getFlags,
} from './flags';
import {
  refFlags, refResult, REF_ADD, REF_ADC, REF_SUB, REF_SBB, REF_LOGIC, REF_INC, REF_DEC, REF_SHL, REF_SHR, REF_SAR, REF_NEG,
} from './flags-reference';

export { refFlags, testCond, getFlags };
export function refLastResult(): u64 { return refResult; }

/** Same operation codes as flags-reference.ts; returns the six flags computed lazily. */
export function lazyFlags(op: u32, size: u32, a: u64, b: u64, c: u64): u32 {
  const m = maskOfSize(size);
  a &= m;
  switch (op) {
    case REF_ADD: { b &= m; setCC(CC_ADD, size, (a + b) & m, b); break; }
    case REF_ADC: { b &= m; setCC3(CC_ADC, size, (a + b + c) & m, b, c); break; }
    case REF_SUB: { b &= m; setCC(CC_SUB, size, (a - b) & m, b); break; }
    case REF_SBB: { b &= m; setCC3(CC_SBB, size, (a - b - c) & m, b, c); break; }
    case REF_NEG: { setCC(CC_SUB, size, (0 - a) & m, a); break; }
    case REF_LOGIC: { setCC(CC_LOGIC, size, a, 0); break; }
    case REF_INC: { setCC3(CC_INC, size, (a + 1) & m, 1, c); break; }
    case REF_DEC: { setCC3(CC_DEC, size, (a - 1) & m, 1, c); break; }
    case REF_SHL: { setCC(CC_SHL, size, b >= 64 ? 0 : (a << b) & m, a << (b - 1)); break; }
    case REF_SHR: { setCC(CC_SHR, size, a >> b, a >> (b - 1)); break; }
    default: {
      const s = sext(a, size);
      setCC(CC_SAR, size, <u64>(<i64>s >> b) & m, <u64>(<i64>s >> (b - 1)));
      break;
    }
  }
  return computeArith();
}
