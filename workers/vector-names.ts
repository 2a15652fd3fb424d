// Exception vector numbers to their mnemonics, as in the Intel SDM vol. 3A table 6-1 ("Protected-Mode
// Exceptions and Interrupts"). Used by stats() and trace lines; reserved vectors print as `vector <n>`.

const NAMES: readonly (string | undefined)[] = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', // 0-7
  '#DF', undefined, '#TS', '#NP', '#SS', '#GP', '#PF', undefined, // 8-15 (9: coprocessor segment overrun, 15: reserved)
  '#MF', '#AC', '#MC', '#XM', '#VE', '#CP', // 16-21
];

/** The mnemonic of exception vector `v` ("#PF"), or `vector <v>` for reserved and external vectors. */
export function vectorName(v: number): string {
  return NAMES[v] ?? `vector ${v}`;
}
