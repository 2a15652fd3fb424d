// Register names of the x86 disassembler (workers/disasm/), in encoding order as in the Intel SDM
// vol. 2, 2.1.5 (tables 2-1 to 2-3: "Addressing forms with the ModR/M byte") and 3.4.1 (REX
// extensions). Byte registers 4-7 are ah/ch/dh/bh without a REX prefix and spl/bpl/sil/dil with one.
// Names are lower case, as objdump's Intel syntax prints them.

export const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
export const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
export const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const GPR8_REX = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const GPR8_LEGACY = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

/** General register `n` (0-15) of `size` bytes; `rex` selects spl..dil over ah..bh for bytes 4-7. */
export function gpr(n: number, size: number, rex: boolean): string {
  switch (size) {
    case 1: return rex ? GPR8_REX[n] : GPR8_LEGACY[n] ?? GPR8_REX[n];
    case 2: return GPR16[n];
    case 4: return GPR32[n];
    default: return GPR64[n];
  }
}

/** The 16-bit addressing forms of ModR/M r/m 0-7 (SDM vol. 2, table 2-1). */
export const ADDR16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
