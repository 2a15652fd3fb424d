// Writes the test data of test/unit/disasm.test.ts: what binutils' `objdump -d -M intel` prints for
// (1) the hand-written forms in test/unit/disasm-vectors/forms{32,64}.s, assembled with `as`; (2) every
// instruction of our guest images (guests/images/*.elf, 32- and 64-bit); (3) when Debian's packages
// are in .cache/debian (scripts/debian-guest.ts), one sample of each distinct form (prefixes, opcode,
// ModR/M mod and reg) in busybox and the Linux 6.1 kernel. These are facts about encodings, not code.
// One line per instruction: bits, address (hex), bytes (hex), objdump's text with its spacing folded
// and its `<symbol>` and `# comment` annotations dropped.    npx tsx scripts/gen-disasm-vectors.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const DIR = join(root, 'test/unit/disasm-vectors');
const CACHE = join(root, '.cache/debian');

export interface Vector {
  bits: 32 | 64;
  address: bigint;
  bytes: string;
  text: string;
}

/** objdump's annotations and padding removed: "mov    eax,DWORD PTR [rip+0x10]        # 0x1234" -> "mov eax,DWORD PTR [rip+0x10]". */
export function normalizeObjdump(text: string): string {
  return text.replace(/\s+#.*$/, '').replace(/\s*<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.split('\n')[0]}`);
  return r.stdout;
}

/** Every instruction objdump prints for `file` (all executable sections). */
function objdump(file: string, bits: 32 | 64): Vector[] {
  const out: Vector[] = [];
  for (const line of run('objdump', ['-d', '-M', 'intel', '--insn-width=15', '-w', file]).split('\n')) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t(.*)$/.exec(line);
    if (!m) continue;
    const text = normalizeObjdump(m[3]);
    if (text.startsWith('.byte') || text === '') continue;
    out.push({ bits, address: BigInt(`0x${m[1]}`), bytes: m[2].replace(/ /g, ''), text });
  }
  return out;
}

function format(vs: Vector[]): string {
  return vs.map((v) => `${v.bits}\t${v.address.toString(16)}\t${v.bytes}\t${v.text}`).join('\n') + '\n';
}

/** One vector per key, in first-seen order. */
function dedupe(vs: Vector[], key: (v: Vector) => string): Vector[] {
  const seen = new Map<string, Vector>();
  for (const v of vs) if (!seen.has(key(v))) seen.set(key(v), v);
  return [...seen.values()];
}

/** (1) the hand-written forms. */
function forms(work: string): Vector[] {
  const out: Vector[] = [];
  for (const bits of [32, 64] as const) {
    const obj = join(work, `forms${bits}.o`);
    run('as', [`--${bits}`, '-o', obj, join(DIR, `forms${bits}.s`)]);
    out.push(...objdump(obj, bits));
  }
  return out;
}

/** (2) our guests' code. */
function guests(): Vector[] {
  const images = join(root, 'guests/images');
  const out: Vector[] = [];
  for (const f of readdirSync(images).filter((n) => n.endsWith('.elf')).sort()) {
    const elf = readFileSync(join(images, f));
    out.push(...objdump(join(images, f), elf[4] === 2 ? 64 : 32));
  }
  // One sample per form and addressing shape (ModR/M mod, SIB or not, RIP-relative or not).
  return dedupe(out, (v) => `${v.bits} ${formKey(v, true)}`);
}

/** The form of an instruction for sampling: prefixes and opcode bytes, ModR/M mod==3 and reg (and with
 *  `addressing`, ModR/M mod and whether r/m is a SIB byte or disp32/RIP). */
function formKey(v: Vector, addressing = false): string {
  const mnemonic = v.text.split(' ').filter((w) => !/^(lock|rep\w*|data16|addr32|cs|ds|es|ss|fs|gs|notrack|bnd|rex.*)$/.test(w))[0];
  const b = v.bytes.match(/../g)!.map((h) => parseInt(h, 16));
  let i = 0;
  const pre: number[] = [];
  while (i < b.length && [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65].includes(b[i])) pre.push(b[i++]);
  let rexW = 0;
  if (i < b.length && b[i] >= 0x40 && b[i] <= 0x4f) rexW = b[i++] & 8;
  const op: number[] = [b[i]];
  if (b[i] === 0x0f) {
    op.push(b[i + 1]);
    if (b[i + 1] === 0x38 || b[i + 1] === 0x3a) op.push(b[i + 2]);
  }
  const modrm = b[i + op.length];
  let shape = modrm === undefined ? '' : `${modrm >> 6 === 3 ? 'r' : 'm'}${(modrm >> 3) & 7}`;
  if (addressing && modrm !== undefined) shape += ` ${modrm >> 6} ${(modrm & 7) === 4 ? "sib" : (modrm & 7) === 5 ? "disp" : "reg"}`;
  return `${mnemonic} ${pre.join(',')} ${rexW} ${op.join(',')} ${shape}`;
}

/** (3) one sample per form of Debian's busybox and Linux, when they are cached. */
async function debian(work: string): Promise<Vector[] | undefined> {
  if (!existsSync(CACHE)) return undefined;
  const { cachedGuestPackages } = await import('./gen-guest-instructions.ts');
  const pkgs = cachedGuestPackages();
  if (!pkgs) return undefined;
  const { extractBzImage } = await import('../workers/loader/bzimage.ts');
  const boot = join(CACHE, pkgs.kernelDir, 'boot');
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'))!;
  const vmlinux = join(work, 'vmlinux');
  writeFileSync(vmlinux, (await extractBzImage(readFileSync(join(boot, vmlinuz)))).elf);
  const all = [...objdump(join(CACHE, pkgs.busyboxDir, 'bin/busybox'), 64), ...objdump(vmlinux, 64)];
  // VEX/EVEX (AVX) encodings are out of scope: the CPU does not offer them (docs/guest-instructions.md).
  const wanted = all.filter((v) => !/^(c4|c5|62|8f)/.test(v.bytes.replace(/^(66|f2|f3|67)+/, '')) && !v.text.includes('(bad)'));
  return dedupe(wanted, formKey);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'xenwasm-disasm-'));
  try {
    const header = (what: string) => `# ${what}\n# GENERATED by scripts/gen-disasm-vectors.ts from objdump -d -M intel (${run('objdump', ['--version']).split('\n')[0]}); bits, address, bytes, text\n`;
    writeFileSync(join(DIR, 'forms.txt'), header('forms32.s and forms64.s assembled with as') + format(forms(work)));
    writeFileSync(join(DIR, 'guests.txt'), header('every instruction of guests/images/*.elf') + format(guests()));
    const deb = await debian(work);
    if (deb) writeFileSync(join(DIR, 'debian.txt'), header("one sample per form of Debian's busybox-static and Linux 6.1 (AVX excluded)") + format(deb));
    else console.log(`no Debian packages in ${CACHE}: debian.txt left as it is`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
