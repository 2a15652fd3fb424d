// Which RFLAGS bits an instruction leaves undefined, from the Intel SDM vol. 2 instruction pages
// and AMD APM vol. 3 (summarised in shared/test-vectors.md "Undefined flags"). A vector's fmask is
// 0xffffffff without these bits. Count-dependent rules take the count after masking to 5 bits (6 for
// 64-bit operands).

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export type FlagRule =
  | '' | 'logic' | 'shl' | 'shr' | 'sar' | 'rot' | 'rc' | 'shd' | 'mul' | 'div' | 'bsx' | 'bt'
  | 'cnt' | 'aaa' | 'aam' | 'daa' | 'bmi' | 'bextr' | 'all';

export interface FlagContext {
  /** Operand size in bits (8, 16, 32, 64). */
  size: number;
  /** Shift/rotate count as encoded (before masking), when the rule needs it. */
  count?: number;
}

/** The undefined-flags mask for one executed instruction. */
export function undefinedFlags(rule: FlagRule, ctx: FlagContext): number {
  const masked = (ctx.count ?? 0) & (ctx.size === 64 ? 0x3f : 0x1f);
  switch (rule) {
    case '': return 0;
    case 'logic': return AF;                              // AND OR XOR TEST
    case 'shl': case 'shr':                               // count 0: no flag changes
      if (masked === 0) return 0;
      return AF | (masked === 1 ? 0 : OF) | (masked >= ctx.size ? CF : 0);
    case 'sar':
      if (masked === 0) return 0;
      return AF | (masked === 1 ? 0 : OF);
    case 'rot': case 'rc':                                // ROL ROR RCL RCR: OF unless count 1
      if (masked === 0) return 0;
      return masked === 1 ? 0 : OF;
    case 'shd':                                           // SHLD SHRD
      if (masked === 0) return 0;
      if (masked > ctx.size) return ARITH;
      return AF | (masked === 1 ? 0 : OF);
    case 'mul': return SF | ZF | AF | PF;                 // MUL IMUL
    case 'div': return ARITH;                             // DIV IDIV (when they do not fault)
    case 'bsx': return CF | OF | SF | AF | PF;            // BSF BSR
    case 'bt': return OF | SF | AF | PF;                  // BT BTS BTR BTC
    case 'cnt': return OF | SF | AF | PF;                 // LZCNT TZCNT
    case 'aaa': return OF | SF | ZF | PF;                 // AAA AAS
    case 'aam': return OF | AF | CF;                      // AAM AAD
    case 'daa': return OF;                                // DAA DAS
    case 'bmi': return AF | PF;                           // ANDN BLSI BLSMSK BLSR
    case 'bextr': return AF | SF | PF;                    // BEXTR
    case 'all': return ARITH;
  }
}

export function fmaskFor(rule: FlagRule, ctx: FlagContext): number {
  return (0xffffffff & ~undefinedFlags(rule, ctx)) >>> 0;
}
