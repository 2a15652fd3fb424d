// Our own x86 disassembler (32- and 64-bit code, Intel syntax as objdump -M intel prints it), for the
// step mode of the page and for crash reports: disassemble() decodes one instruction, listing() a run
// of them. Opcode maps: one-byte.ts, two-byte.ts, x87.ts; the engine: decoder.ts, operands.ts.
// Invariant: never throws on guest bytes; an unknown or truncated encoding is "(bad)" with its byte.
import { BadInstruction, Decoder, type Instruction } from './decoder.ts';
import { ONE_BYTE } from './one-byte.ts';
import { runRow } from './operands.ts';
import { THREE_BYTE_38, THREE_BYTE_3A, TWO_BYTE } from './two-byte.ts';
import { x87Row } from './x87.ts';

export type { Instruction } from './decoder.ts';

/** Decodes the instruction at `code[offset]`, which sits at `address` in `bits`-bit code. */
export function disassemble(code: Uint8Array, offset: number, address: bigint, bits: 32 | 64, end = code.length): Instruction {
  const d = new Decoder(code, offset, Math.min(end, code.length), address, bits);
  try {
    const op = d.readPrefixes();
    if (op === 0x0f) {
      const op2 = d.byte();
      if (op2 === 0x38) return runRow(d, THREE_BYTE_38[d.byte()], 0);
      if (op2 === 0x3a) return runRow(d, THREE_BYTE_3A[d.byte()], 0);
      return runRow(d, TWO_BYTE[op2], op2);
    }
    if (op >= 0xd8 && op <= 0xdf) return runRow(d, x87Row(op), op);
    if (op === 0x9b && d.prefixes.length === 0) {
      // FWAIT before FNINIT, FNSTSW & co. reads as one instruction: FINIT, FSTSW (SDM vol. 2, FINIT).
      const next = disassemble(code, offset + 1, address + 1n, bits, end);
      if (!next.bad && next.mnemonic.startsWith('fn')) {
        const mnemonic = `f${next.mnemonic.slice(2)}`;
        return { ...next, address, length: next.length + 1, bytes: code.slice(offset, offset + next.length + 1), mnemonic,
          text: next.operands ? `${mnemonic} ${next.operands}` : mnemonic };
      }
    }
    return runRow(d, ONE_BYTE[op], op);
  } catch (e) {
    if (!(e instanceof BadInstruction)) throw e;
    const bytes = code.slice(offset, Math.min(offset + 1, code.length));
    return { address, length: 1, bytes, mnemonic: '(bad)', operands: '', text: '(bad)', bad: true };
  }
}

/** Up to `count` instructions from `code[0]` at `address`, stopping at the end of the bytes. */
export function listing(code: Uint8Array, address: bigint, bits: 32 | 64, count: number): Instruction[] {
  const out: Instruction[] = [];
  let offset = 0;
  while (out.length < count && offset < code.length) {
    const insn = disassemble(code, offset, address + BigInt(offset), bits);
    out.push(insn);
    offset += insn.length;
  }
  return out;
}

/** The bytes as objdump shows them: two hex digits each, separated by spaces. */
export function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
