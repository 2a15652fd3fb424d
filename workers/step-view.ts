// The step view's data (VmApi.nextInstructions()): the instructions the vCPU is about to run, from RIP
// on, read through the guest's page tables (workers/guest-read.ts) and decoded by our disassembler
// (workers/disasm/) in the width of the current code segment. Read-only: stepping is VmApi.step().
import type { Core } from './core.ts';
import * as L from './layout.gen.ts';
import { hexBytes, listing } from './disasm/index.ts';
import { codeBits, readVirtual } from './guest-read.ts';

export interface DisassembledLine {
  address: bigint;
  /** The instruction's bytes in hex, space-separated. */
  bytes: string;
  /** Intel syntax, as objdump -M intel prints it; "(bad)" when the bytes are no instruction. */
  text: string;
  /** A relative branch's or RIP-relative operand's target. */
  target?: bigint;
}

export interface NextInstructions {
  rip: bigint;
  /** 64 in a 64-bit code segment, else 32. */
  bits: 32 | 64;
  /** From RIP on; fewer than asked when the code runs into an unmapped page (then `unmapped` is set). */
  instructions: DisassembledLine[];
  unmapped: boolean;
}

/** The next `count` (1-64) instructions at RIP. */
export function nextInstructions(core: Core, count = 8): NextInstructions {
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`instruction count must be 1..64, not ${count}`);
  const rip = core.u64(L.CPU_BASE + L.CPU_RIP);
  const bits = codeBits(core);
  const want = count * 15;
  const code = readVirtual(core, rip, want);
  // A listing stops at the end of what could be read; an instruction cut there would be "(bad)".
  const lines = listing(code, rip, bits, count).filter((insn, i, all) => !(insn.bad && i === all.length - 1 && code.length < want && insn.address + 15n > rip + BigInt(code.length)));
  return {
    rip,
    bits,
    instructions: lines.map((i) => ({ address: i.address, bytes: hexBytes(i.bytes), text: i.text, ...(i.target !== undefined ? { target: i.target } : {}) })),
    unmapped: code.length < want,
  };
}
