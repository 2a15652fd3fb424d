// Writes docs/instructions.md: every opcode of the one-byte map and of the 0F map, with its
// instruction as the dispatcher's `case` comment names it (assembly/cpu/interp.ts, ops0f.ts) and what
// the interpreter does with it in 32-bit and 64-bit code, found by running it on the core: each
// opcode with every register-form ModRM and a memory ModRM for every /digit (and, in the 0F map,
// also with 66, F3, F2) on the bare test machine at CPL 3. `npm run docs:instructions` (after a core build);
// test/unit/instructions-doc.test.ts fails when the committed file differs from what this makes.
import { readFileSync, writeFileSync } from 'node:fs';
import { VectorMachine } from '../workers/vectors/runner.ts';
import { parseVector } from '../workers/vectors/format.ts';

export type Status = 'implemented' | 'partial' | 'unimplemented' | 'ud' | 'not-offered' | 'prefix' | 'escape';
export interface OpcodeRow { opcode: number; mnemonic: string; status32: Status; status64: Status }
interface CaseInfo { comments: string[]; body: string }

const LABEL: Record<Status, string> = {
  implemented: 'implemented',
  partial: 'partial: some forms end the domain as unimplemented (issue 4)',
  unimplemented: 'unimplemented: ends the domain (issue 4)',
  ud: '#UD by design',
  'not-offered': '#UD: not offered by CPUID',
  prefix: 'prefix',
  escape: 'escape to the next map',
};
const SHORT: Record<Status, string> = {
  implemented: 'ok', partial: 'part', unimplemented: '**U**', ud: 'ud', 'not-offered': 'nc', prefix: 'pfx', escape: 'esc',
};

/** The `case 0x..:` rows of the first `switch (b)` in `source`: comments and body text per opcode. */
export function parseDispatch(source: string): Map<number, CaseInfo> {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => /switch \(b\) \{/.test(l));
  if (start < 0) throw new Error('no `switch (b) {` in the dispatcher source');
  const rows = new Map<number, CaseInfo>();
  let pending: number[] = [];
  let open: number[] = []; // labels whose body is being read
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*default:/.test(line)) break;
    const [code, comment] = splitComment(line);
    const labels = [...code.matchAll(/case 0x([0-9a-f]{2}):/g)].map((m) => parseInt(m[1], 16));
    const body = code.replace(/case 0x[0-9a-f]{2}:/g, '').trim();
    if (labels.length) {
      if (open.length) open = [];
      pending.push(...labels);
    }
    if (body || comment) {
      if (pending.length) { open = pending; pending = []; for (const op of open) rows.set(op, { comments: [], body: '' }); }
      for (const op of open) {
        const r = rows.get(op)!;
        if (comment) r.comments.push(comment);
        r.body += ' ' + body;
      }
    }
  }
  return rows;
}

function splitComment(line: string): [string, string] {
  const i = line.indexOf('//');
  return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 2).trim()];
}

type Probe = 'U' | 'UD' | 'OK';

/**
 * The machines the probes run on. Each crash message is a string the core's stub runtime allocates
 * and never frees, so after a few hundred "unimplemented" crashes a fresh instance takes over
 * (one instance per domain never sees more than one crash).
 */
class Probes {
  private module = new WebAssembly.Module(readFileSync(new URL('../build/xenwasm.wasm', import.meta.url)));
  private vm = new VectorMachine(this.module);
  private crashes = 0;
  run(mode: 32 | 64, code: number[]): Probe {
    const r = probe(this.vm, mode, code);
    if (r === 'U' && ++this.crashes % 256 === 0) this.vm = new VectorMachine(this.module);
    return r;
  }
}

/** Runs `code` for one instruction (step mode) and classifies what happened. */
function probe(vm: VectorMachine, mode: 32 | 64, code: number[]): Probe {
  const hex = code.map((b) => b.toString(16).padStart(2, '0')).join('');
  const init: Record<string, string> = {};
  for (const r of ['rax', 'rcx', 'rdx', 'rbx', 'rbp', 'rsi', 'rdi']) init[r] = '0x20000100';
  const { actual, note } = vm.run(parseVector({ id: 'probe', mode, code: hex, init, step: 1 }));
  if (note?.includes('unimplemented')) return 'U';
  if (actual.exc && 'vec' in actual.exc && actual.exc.vec === 6) return 'UD';
  return 'OK';
}

function classify(results: Probe[], comments: string[]): Status {
  const u = results.filter((r) => r === 'U').length;
  const ok = results.filter((r) => r === 'OK').length;
  if (u === 0 && ok === 0) return comments.some((c) => /not offered/i.test(c)) ? 'not-offered' : 'ud';
  if (u > 0) return ok > 0 ? 'partial' : 'unimplemented';
  return 'implemented';
}

/** Every register-form ModRM (x87 and group 7 select instructions by all of it) and a memory form per /digit. */
const ALL_MODRMS = [...Array.from({ length: 64 }, (_, i) => 0xc0 + i), ...Array.from({ length: 8 }, (_, d) => d << 3)];
/** With a mandatory prefix: a register and a memory form per /digit. */
const DIGIT_MODRMS = Array.from({ length: 8 }, (_, d) => [0xc0 | (d << 3), d << 3]).flat();
/** Encodings that are not "opcode ModRM ...": VEX (C4) carries its own fields; ANDN eax, eax, eax (BMI1). */
const EXTRA_PROBES: Record<number, number[][]> = { 0xc4: [[0xc4, 0xe2, 0x78, 0xf2, 0xc0, 0, 0, 0, 0]] };

function opcodeStatus(vm: Probes, mode: 32 | 64, lead: number[], prefixes: number[][], info: CaseInfo): Status {
  const results: Probe[] = [];
  if (lead.length === 1) for (const code of EXTRA_PROBES[lead[0]] ?? []) results.push(vm.run(mode, code));
  for (const pfx of prefixes) {
    for (const m of pfx.length ? DIGIT_MODRMS : ALL_MODRMS) results.push(vm.run(mode, [...pfx, ...lead, m, 0, 0, 0, 0, 0, 0, 0, 0]));
  }
  return classify(results, info.comments);
}

const ONE_BYTE_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** Rows of the one-byte map (`map` '1') or the 0F map ('0F'). */
export function buildRows(map: '1' | '0F', vm = new Probes()): OpcodeRow[] {
  const file = map === '1' ? 'interp.ts' : 'ops0f.ts';
  const cases = parseDispatch(readFileSync(new URL(`../assembly/cpu/${file}`, import.meta.url), 'utf8'));
  const rows: OpcodeRow[] = [];
  for (let op = 0; op < 256; op++) {
    const info = cases.get(op) ?? { comments: [], body: 'unimplemented' };
    const mnemonic = info.comments.join('; ') || (/raiseUD\(\)/.test(info.body) ? '(reserved)' : '');
    const status = (mode: 32 | 64): Status => {
      if (map === '1') {
        if (op === 0x0f) return 'escape';
        if (ONE_BYTE_PREFIXES.has(op) || (mode === 64 && op >= 0x40 && op <= 0x4f)) return 'prefix';
        return opcodeStatus(vm, mode, [op], [[]], info);
      }
      if (op === 0x38 || op === 0x3a) {
        // Three-byte maps: every third byte, register and memory forms, with each mandatory prefix.
        const results: Probe[] = [];
        for (const pfx of [[], [0x66], [0xf3], [0xf2]]) {
          for (let third = 0; third < 256; third++) {
            for (const m of [0xc0, 0x00]) results.push(vm.run(mode, [...pfx, 0x0f, op, third, m, 0, 0, 0, 0, 0, 0]));
          }
        }
        return classify(results, info.comments);
      }
      return opcodeStatus(vm, mode, [0x0f, op], [[], [0x66], [0xf3], [0xf2]], info);
    };
    rows.push({ opcode: op, mnemonic, status32: status(32), status64: status(64) });
  }
  return rows;
}

function grid(rows: OpcodeRow[], prefix: string): string[] {
  const out = ['| ' + prefix + ' | ' + Array.from({ length: 16 }, (_, i) => `x${i.toString(16)}`).join(' | ') + ' |'];
  out.push('|---' + '|---'.repeat(16) + '|');
  for (let hi = 0; hi < 16; hi++) {
    const cells = rows.slice(hi * 16, hi * 16 + 16).map((r) => (r.status32 === r.status64 ? SHORT[r.status32] : `${SHORT[r.status32]}/${SHORT[r.status64]}`));
    out.push(`| **${hi.toString(16)}x** | ${cells.join(' | ')} |`);
  }
  return out;
}

function table(rows: OpcodeRow[], prefix: string): string[] {
  const out = ['| opcode | instruction (SDM notation, from the dispatcher) | 32-bit code | 64-bit code |', '|---|---|---|---|'];
  for (const r of rows) {
    const hex = r.opcode.toString(16).padStart(2, '0').toUpperCase();
    out.push(`| ${prefix}${hex} | ${r.mnemonic.replace(/\|/g, '\\|')} | ${LABEL[r.status32]} | ${r.status64 === r.status32 ? 'same' : LABEL[r.status64]} |`);
  }
  return out;
}

function counts(rows: OpcodeRow[], key: 'status32' | 'status64'): string {
  const c = new Map<Status, number>();
  for (const r of rows) c.set(r[key], (c.get(r[key]) ?? 0) + 1);
  return (Object.keys(LABEL) as Status[]).filter((s) => c.get(s)).map((s) => `${c.get(s)} ${SHORT[s].replace(/\*/g, '')}`).join(', ');
}

export function renderInstructionsDoc(): string {
  const vm = new Probes();
  const one = buildRows('1', vm);
  const two = buildRows('0F', vm);
  return [
    '# Instruction coverage',
    '',
    'GENERATED by `npm run docs:instructions` (scripts/gen-instructions-doc.ts); do not edit by hand.',
    '`test/unit/instructions-doc.test.ts` fails when this file differs from what the generator makes,',
    'so it cannot fall behind the interpreter.',
    '',
    'Each row names the instruction as the trailing comment of its `case` in the dispatcher says',
    '(`assembly/cpu/interp.ts` for the one-byte map, `assembly/cpu/ops0f.ts` for the 0F map, in the',
    "SDM's operand notation of vol. 2 appendix A). The status is what the core does, found by running",
    'the opcode on the bare test machine (docs/test-vectors.md) at CPL 3, in 32-bit and in 64-bit code,',
    'with each of the 64 register-form ModRM bytes and a memory ModRM byte for each /digit, and in the',
    '0F map also with each mandatory prefix (66, F3, F2) and a register and a memory form per /digit:',
    '',
    '- **implemented**: no form ends the domain (some forms may still raise #UD, #GP... as the SDM says);',
    '- **partial**: some forms run, some end the domain as unimplemented (their row is work for issue 4);',
    '- **unimplemented**: every form ends the domain with `unimplemented opcode ...` (issue 4);',
    '- **#UD by design**: reserved or undefined opcodes, UD0/UD1/UD2, forms invalid in the mode;',
    '- **#UD: not offered by CPUID**: real instructions of extensions our CPUID does not report (3DNow!, SMX, ...);',
    '- prefixes and escapes are decoded, not executed.',
    '',
    'Grid legend: ok implemented, part partial, **U** unimplemented, ud #UD, nc not offered by CPUID,',
    'pfx prefix, esc escape; "a/b" when 32-bit (a) and 64-bit code (b) differ.',
    '',
    '## One-byte map (SDM vol. 2, table A-2)',
    '',
    `32-bit code: ${counts(one, 'status32')}. 64-bit code: ${counts(one, 'status64')}.`,
    '',
    ...grid(one, ''),
    '',
    ...table(one, ''),
    '',
    '## Two-byte map 0F xx (SDM vol. 2, table A-3)',
    '',
    `32-bit code: ${counts(two, 'status32')}. 64-bit code: ${counts(two, 'status64')}.`,
    '',
    ...grid(two, '0F'),
    '',
    ...table(two, '0F '),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(new URL('../docs/instructions.md', import.meta.url), renderInstructionsDoc());
  console.log('wrote docs/instructions.md');
}
