// Writes docs/guest-instructions.md: every instruction mnemonic in Debian's busybox-static and in the
// Linux 6.1 kernel image (the north-star guests, scripts/debian-guest.ts), how often each binary uses
// it, and what the core does with it, found by running sample encodings taken from the disassembly
// (one per distinct form of each mnemonic) on the bare test machine in 64-bit mode at CPL 3, the machine
// of docs/instructions.md and the test vectors. vmlinux comes out of the bzImage through our own
// loader (workers/loader/bzimage.ts); `objdump -d` (binutils) disassembles. Every row that is not
// implemented carries a reason from REASONS below; test/unit/guest-instructions-doc.test.ts checks
// that and, when .cache/debian is present, that the committed file is what this script makes.
//   npm run docs:guest-instructions
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { prepareDebianGuest, CACHE } from './debian-guest.ts';
import { extractBzImage } from '../workers/loader/bzimage.ts';
import { VectorMachine } from '../workers/vectors/runner.ts';
import { parseVector } from '../workers/vectors/format.ts';

const root = new URL('../', import.meta.url).pathname;
export const DOC = join(root, 'docs/guest-instructions.md');

export type GuestStatus = 'implemented' | 'not offered' | 'partial' | 'unimplemented';
export interface GuestRow {
  mnemonic: string;
  busybox: number;
  vmlinux: number;
  status: GuestStatus;
  note: string;
}

/** Prefix words objdump prints before the mnemonic (Intel syntax). */
const PREFIX_WORDS = new Set(['lock', 'rep', 'repz', 'repe', 'repnz', 'repne', 'data16', 'data32', 'addr16', 'addr32',
  'cs', 'ds', 'es', 'ss', 'fs', 'gs', 'notrack', 'bnd', 'xacquire', 'xrelease', '{vex}', '{vex3}', '{evex}']);
const isPrefixWord = (w: string) => PREFIX_WORDS.has(w) || /^rex(\.[WRXB]+)?$/.test(w);

/** #UD is what these instructions do: they count as implemented when every sample raises it. */
const UD_BY_DESIGN = new Set(['ud0', 'ud1', 'ud2', 'ud1l', 'ud0l']);

/**
 * Why an instruction the guests contain does not run: matched against the mnemonic, first match
 * wins. Each claim names the CPUID bit the core leaves clear (assembly/xen/cpuid.ts) and the guard
 * that keeps the guest from executing the instruction without it.
 */
export const REASONS: [RegExp, string][] = [
  [/^(vmcall|vmmcall)$/, 'hypercall of the KVM, Hyper-V, Jailhouse and ACRN guest code, which Linux enters only after recognising that hypervisor\'s signature in CPUID leaf 0x40000000; ours is Xen\'s, and a PV guest calls Xen through the hypercall page'],
  [/^(vmxon|vmxoff|vmlaunch|vmresume|vmread|vmwrite|vmclear|vmptrld|vmptrst|invept|invvpid|vmfunc)$/, 'VMX: not advertised (CPUID.1:ECX[5] clear); used only after checking X86_FEATURE_VMX'],
  [/^(vmrun|vmload|vmsave|stgi|clgi|skinit|invlpga|invlpgb|tlbsync)$/, 'SVM: not advertised (CPUID.80000001:ECX[2] clear); the emergency-reboot path runs it only when the CPU has SVM (cpu_has_svm)'],
  [/^(vmgexit|pvalidate|rmpadjust|rmpupdate|psmash|rmpquery)$/, 'SEV-ES/SEV-SNP guest code: runs only when MSR_AMD64_SEV says so, and Linux reads that MSR only when CPUID 0x8000001F reports SEV (our highest extended leaf is 0x80000008)'],
  [/^(tdcall|seamcall|seamret|seamops)$/, 'TDX guest code: runs only with X86_FEATURE_TDX_GUEST, set from CPUID leaf 0x21 (absent)'],
  [/^(encls|enclu|enclv)$/, 'SGX: not advertised (CPUID.7.0:EBX[2] clear); sgx_init() returns early without X86_FEATURE_SGX'],
  [/^(tilerelease|tileloadd|tilestored|ldtilecfg|sttilecfg|tilezero)$/, 'AMX: not advertised (CPUID.7.0:EDX[24] clear); fpu_idle_fpregs() releases tiles only with X86_FEATURE_AMX_TILE'],
  [/^(xgetbv|xsetbv|xsave|xsave64|xrstor|xrstor64|xsaveopt|xsaveopt64|xsavec|xsavec64|xsaves|xsaves64|xrstors|xrstors64)$/, 'XSAVE: not advertised (CPUID.1:ECX[26,27] clear): Linux keeps FPU state with FXSAVE and runs these only with X86_FEATURE_XSAVE or CR4.OSXSAVE set (use_xsave(), xfeatures_in_use(), the SEV #VC CPUID handler), and glibc reads XCR0 and uses XSAVE/XSAVEC (lazy binding, TLS descriptors) only when CPUID reports OSXSAVE'],
  [/^(rdfsbase|rdgsbase|wrfsbase|wrgsbase)$/, 'FSGSBASE: not advertised (CPUID.7.0:EBX[0] clear); Linux uses it only with X86_FEATURE_FSGSBASE (x86_fsbase_read_cpu(), the paranoid entry alternative)'],
  [/^invpcid$/, 'INVPCID: not advertised (CPUID.7.0:EBX[10] clear); the TLB code uses it only with X86_FEATURE_INVPCID'],
  [/^(rdrand|rdseed)$/, 'RDRAND/RDSEED: not advertised (CPUID.1:ECX[30], CPUID.7.0:EBX[18] clear); arch_get_random_*() check X86_FEATURE_RDRAND/RDSEED'],
  [/^rdpid$/, 'RDPID: not advertised (CPUID.7.0:ECX[22] clear); patched in only with X86_FEATURE_RDPID'],
  [/^(monitor|mwait|monitorx|mwaitx|umonitor|umwait|tpause)$/, 'MONITOR/MWAIT, MONITORX and WAITPKG: not advertised (CPUID.1:ECX[3], CPUID.80000001:ECX[29], CPUID.7.0:ECX[5] clear); the idle and delay code checks the bit first (a PV guest idles with SCHEDOP_block)'],
  [/^(clac|stac)$/, 'SMAP: not advertised (FEATURE_SMAP off, CPUID.7.0:EBX[20] clear); they are alternatives that replace NOPs only with X86_FEATURE_SMAP'],
  [/^(wrpkru|rdpkru)$/, 'PKU: not advertised (CPUID.7.0:ECX[3,4] clear); read_pkru()/write_pkru() check X86_FEATURE_OSPKE'],
  [/^(clwb)$/, 'CLWB: not advertised (CPUID.7.0:EBX[24] clear); clwb() is an alternative that falls back to CLFLUSH'],
  [/^(movdiri|movdir64b|enqcmd|enqcmds)$/, 'MOVDIRI/MOVDIR64B/ENQCMD: not advertised (CPUID.7.0:ECX[27,28,29] clear); only drivers of devices that need them use them, after checking the bit'],
  [/^serialize$/, 'SERIALIZE: not advertised (CPUID.7.0:EDX[14] clear); sync_core() uses it only with X86_FEATURE_SERIALIZE (else IRET to self)'],
  [/^(hreset|wbnoinvd|pconfig|uiret|clui|stui|senduipi|testui)$/, 'not advertised (HRESET, WBNOINVD, PCONFIG, UINTR bits clear); each use is behind its X86_FEATURE_* check'],
  [/^(incsspd|incsspq|saveprevssp|rstorssp|wrssd|wrssq|wrussd|wrussq|setssbsy|clrssbsy)$/, 'CET shadow stack: glibc\'s longjmp/setcontext run it only when the kernel enabled shadow stacks for the process (feature_1 in the TCB); Linux 6.1 has no user shadow stacks and our CPUID.7.0:ECX[7] is clear'],
  [/^(xbegin|xend|xabort|xtest|xsusldtrk|xresldtrk)$/, 'TSX/RTM: not advertised (CPUID.7.0:EBX[11] clear); glibc selects its lock elision and *_rtm string functions only with RTM'],
  [/^(ptwrite|encodekey128|encodekey256|aesenc128kl|aesdec128kl|aesenc256kl|aesdec256kl|loadiwkey)$/, 'not advertised (PTWRITE, Key Locker bits clear); used only after checking them'],
  [/^(crc32)$/, 'SSE4.2: not advertised (CPUID.1:ECX[20] clear); users check the bit and run the generic code otherwise'],
  [/^(movbe)$/, 'MOVBE: not advertised (CPUID.1:ECX[22] clear); glibc\'s IFUNC resolvers select the *_avx2_movbe functions only with MOVBE and AVX2'],
  [/^(pclmulqdq|pclmullqlqdq|pclmulhqlqdq|pclmullqhqdq|pclmulhqhqdq)$/, 'PCLMULQDQ: not advertised (CPUID.1:ECX[1] clear); checked before use'],
  [/^(aesenc|aesenclast|aesdec|aesdeclast|aesimc|aeskeygenassist)$/, 'AES-NI: not advertised (CPUID.1:ECX[25] clear); checked before use'],
  [/^(sha1rnds4|sha1nexte|sha1msg1|sha1msg2|sha256rnds2|sha256msg1|sha256msg2)$/, 'SHA extensions: not advertised (CPUID.7.0:EBX[29] clear); checked before use'],
  [/^(gf2p8affineqb|gf2p8affineinvqb|gf2p8mulb)$/, 'GFNI: not advertised (CPUID.7.0:ECX[8] clear); checked before use'],
  [/^(adcx|adox)$/, 'ADX: not advertised (CPUID.7.0:EBX[19] clear); checked before use'],
  [/^(mulx|rorx|sarx|shlx|shrx|bzhi|pdep|pext)$/, 'BMI2: not advertised (CPUID.7.0:EBX[8] clear): glibc\'s IFUNC resolvers select the AVX2/EVEX string functions that use it only with BMI2, and the kernel\'s zstd (lib/zstd, ZSTD_DYNAMIC_BMI2) runs its BMI2 functions only when CPUID reports BMI1 and BMI2'],
  [/^(pshufb|phaddw|phaddd|phaddsw|phsubw|phsubd|phsubsw|pmaddubsw|pmulhrsw|psignb|psignw|psignd|pabsb|pabsw|pabsd|palignr)$/, 'SSSE3: not advertised (CPUID.1:ECX[9] clear): glibc\'s IFUNC resolvers (init_cpu_features) keep the SSE2 functions, and the kernel\'s BLAKE2s (random.c) enables its SSSE3 code only with X86_FEATURE_SSSE3'],
  [/^(pcmpestri|pcmpestrm|pcmpistri|pcmpistrm|pcmpgtq)$/, 'SSE4.2: not advertised (CPUID.1:ECX[20] clear); glibc\'s IFUNC resolvers keep the SSE2 functions'],
  [/^(pblendvb|blendvps|blendvpd|blendps|blendpd|pblendw|dpps|dppd|insertps|extractps|mpsadbw|packusdw|pcmpeqq|pextrb|pextrd|pextrq|pinsrb|pinsrd|pinsrq|pmaxsb|pmaxsd|pmaxud|pmaxuw|pminsb|pminsd|pminud|pminuw|pmovsx\w+|pmovzx\w+|pmuldq|pmulld|ptest|roundps|roundpd|roundss|roundsd|phminposuw|movntdqa)$/, 'SSE4.1: not advertised (CPUID.1:ECX[19] clear); glibc\'s IFUNC resolvers keep the SSE2 functions'],
  [/^(addsubps|addsubpd|haddps|haddpd|hsubps|hsubpd|lddqu|movddup|movshdup|movsldup|fisttp)$/, 'SSE3: not advertised (CPUID.1:ECX[0] clear); glibc checks the bit before using these'],
  [/^(extrq|insertq|movntss|movntsd)$/, 'SSE4a (AMD): not advertised (CPUID.80000001:ECX[6] clear)'],
  [/^k[a-z]+[bwdq]$/, 'AVX-512 mask register instruction: not advertised (CPUID.7.0:EBX[16] clear, no XSAVE); glibc\'s IFUNC resolvers select the EVEX functions only with AVX-512 and XCR0 set'],
  [/^v\w+$/, 'AVX/AVX2/AVX-512 (VEX/EVEX): not advertised (CPUID.1:ECX[28], leaf 7 bits and XSAVE clear): glibc\'s IFUNC resolvers select the AVX2/EVEX functions only when CPUID and XCR0 allow, and the kernel\'s BLAKE2s enables its AVX-512 code only with those features'],
];

/** The reason for a mnemonic that does not run, or '' when REASONS has none. */
export function reasonFor(mnemonic: string): string {
  for (const [re, why] of REASONS) if (re.test(mnemonic)) return why;
  return '';
}

interface Form { hex: string; text: string; count: number }
/** Counts per binary; `alt`: how many of vmlinux's are in .altinstr_replacement (patched in only when a feature is present). */
interface Acc { busybox: number; vmlinux: number; alt: number; forms: Map<string, Form> }

/**
 * A signature of the encoding's form: prefixes (sorted), the opcode bytes (escape, VEX/EVEX payload
 * kept whole), and the ModRM mod=3 bit and reg field. One sample runs per signature.
 */
export function formSignature(bytes: number[]): string {
  let i = 0;
  const pfx: number[] = [];
  while (i < bytes.length && ([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(bytes[i]) || (bytes[i] & 0xf0) === 0x40)) pfx.push(bytes[i++]);
  const op: number[] = [];
  const b = bytes[i];
  if (b === 0xc4) op.push(...bytes.slice(i, i + 4)), i += 4;
  else if (b === 0xc5) op.push(...bytes.slice(i, i + 3)), i += 3;
  else if (b === 0x62) op.push(...bytes.slice(i, i + 5)), i += 5;
  else if (b === 0x0f && (bytes[i + 1] === 0x38 || bytes[i + 1] === 0x3a)) op.push(...bytes.slice(i, i + 3)), i += 3;
  else if (b === 0x0f) op.push(...bytes.slice(i, i + 2)), i += 2;
  else op.push(b), i += 1;
  const m = bytes[i];
  const hex = (xs: number[]) => xs.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex([...pfx].sort((a, c) => a - c))}:${hex(op)}:${m === undefined ? '' : `${m >= 0xc0 ? 'r' : 'm'}${(m >> 3) & 7}`}`;
}

/** Streams `objdump -d` of `file` and adds each instruction to `acc` under `which`. */
async function disassemble(file: string, which: 'busybox' | 'vmlinux', acc: Map<string, Acc>): Promise<void> {
  const child = spawn('objdump', ['-d', '-M', 'intel', '--insn-width=15', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number>((res) => child.on('close', (code) => res(code ?? 1)));
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  const line = /^\s*[0-9a-f]+:\t([0-9a-f ]+?)\s*\t(.*)$/;
  let section = '';
  for await (const l of rl) {
    const m = line.exec(l);
    if (!m) {
      const sec = /^Disassembly of section (\S+):$/.exec(l);
      if (sec) section = sec[1];
      continue;
    }
    const words = m[2].trim().split(/\s+/);
    let k = 0;
    while (k < words.length - 1 && isPrefixWord(words[k])) k++;
    const mn = words[k];
    if (!mn || mn === '(bad)' || isPrefixWord(mn)) continue;
    let a = acc.get(mn);
    if (!a) acc.set(mn, (a = { busybox: 0, vmlinux: 0, alt: 0, forms: new Map() }));
    a[which]++;
    if (which === 'vmlinux' && section === '.altinstr_replacement') a.alt++;
    const hex = m[1].replace(/ /g, '');
    const sig = formSignature(hex.match(/../g)!.map((x) => parseInt(x, 16)));
    const f = a.forms.get(sig);
    if (f) f.count++;
    else a.forms.set(sig, { hex, text: m[2], count: 1 });
  }
  const code = await exited;
  if (code !== 0) throw new Error(`objdump -d ${file} failed (exit ${code}): ${err.split('\n')[0]}`);
}

type Outcome = { kind: 'U'; message: string } | { kind: 'UD' } | { kind: 'OK'; what: string };
const VEC_NAMES = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', '?', '#TS', '#NP', '#SS', '#GP', '#PF', '?', '#MF', '#AC', '#MC', '#XM'];

/**
 * The bare machine the samples run on (as gen-instructions-doc.ts's probes): each crash message is
 * a string the core's stub runtime never frees, so a fresh instance takes over every 256 crashes.
 */
class Runner {
  private module = new WebAssembly.Module(readFileSync(join(root, 'build/xenwasm.wasm')));
  private vm = new VectorMachine(this.module);
  private crashes = 0;
  run(hex: string): Outcome {
    const init: Record<string, string> = {};
    for (const r of ['rax', 'rcx', 'rdx', 'rbx', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']) init[r] = '0x20000100';
    const { actual, note } = this.vm.run(parseVector({ id: 'sample', mode: 64, code: hex, init, step: 1 }));
    if (note?.includes('unimplemented')) {
      if (++this.crashes % 256 === 0) this.vm = new VectorMachine(this.module);
      return { kind: 'U', message: note };
    }
    if (actual.exc && 'vec' in actual.exc) return actual.exc.vec === 6 ? { kind: 'UD' } : { kind: 'OK', what: VEC_NAMES[actual.exc.vec] ?? `vector ${actual.exc.vec}` };
    if (actual.exc) return { kind: 'OK', what: 'syscall event' };
    return { kind: 'OK', what: 'runs' };
  }
}

/**
 * The sample's bytes with a RIP-relative displacement (objdump shows `[rip+0x...]`) re-aimed at the
 * data window, so memory forms reach memory on the test machine instead of an unmapped page.
 */
export function relocated(hex: string, text: string): string {
  const m = /\[rip\+0x([0-9a-f]+)\]/.exec(text);
  if (!m) return hex;
  const bytes = hex.match(/../g)!.map((x) => parseInt(x, 16));
  const d = Number(BigInt('0x' + m[1]) & 0xffffffffn);
  const want = [0, 1, 2, 3].map((k) => (d >>> (8 * k)) & 0xff);
  for (let at = bytes.length - 4; at >= 1; at--) {
    if (want.every((b, k) => bytes[at + k] === b)) {
      const nd = (WINDOW + 0x100 - (CODE + bytes.length)) >>> 0;
      for (let k = 0; k < 4; k++) bytes[at + k] = (nd >>> (8 * k)) & 0xff;
      return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    }
  }
  return hex;
}
const CODE = 0x10000000, WINDOW = 0x20000000;

/** Privileged at CPL 3 (SDM: #GP(0) when CPL > 0, or IOPL-sensitive). */
const PRIVILEGED = new Set(['cli', 'sti', 'hlt', 'in', 'out', 'ins', 'outs', 'lgdt', 'lidt', 'lldt', 'ltr', 'invlpg', 'invd',
  'wbinvd', 'rdmsr', 'wrmsr', 'swapgs', 'sysretq', 'sysretd', 'sysexit', 'rdpmc', 'clts', 'lmsw']);


function classify(mn: string, outcomes: Outcome[]): { status: GuestStatus; note: string } {
  const u = outcomes.filter((o) => o.kind === 'U') as { kind: 'U'; message: string }[];
  const ud = outcomes.filter((o) => o.kind === 'UD').length;
  const ok = outcomes.filter((o) => o.kind === 'OK') as { kind: 'OK'; what: string }[];
  if (u.length) {
    const msg = u[0].message.replace(/ at 0x[0-9a-f]+$/, '');
    return { status: ok.length ? 'partial' : 'unimplemented', note: `${msg}${reasonFor(mn) ? `; ${reasonFor(mn)}` : ''}` };
  }
  if (ud && UD_BY_DESIGN.has(mn)) return { status: 'implemented', note: '#UD is what it does' };
  if (ud && !ok.length) return { status: 'not offered', note: reasonFor(mn) };
  if (ud) return { status: 'partial', note: `${ud} of ${outcomes.length} sampled forms are #UD${reasonFor(mn) ? `: ${reasonFor(mn)}` : ''}` };
  const what = [...new Set(ok.map((o) => o.what))].filter((w) => w !== 'runs');
  if (PRIVILEGED.has(mn) && what.length === 1 && what[0] === '#GP') return { status: 'implemented', note: 'privileged: #GP at CPL 3, where a PV kernel runs; the hypervisor decides' };
  return { status: 'implemented', note: what.length ? `samples also raise ${what.join(', ')}` : '' };
}

export interface GuestScan { rows: GuestRow[]; samples: number; kernelVersion: string; busyboxDeb: string; kernelDeb: string }

/** The unpacked Debian packages in .cache/debian (the newest kernel ABI), or null when either is missing. */
export function cachedGuestPackages(): { busyboxDir: string; kernelDir: string } | null {
  let names: string[];
  try { names = readdirSync(CACHE); } catch { return null; }
  const abi = (f: string) => Number(/6\.1\.0-(\d+)-/.exec(f)![1]);
  const kernels = names.filter((f) => /^linux-image-6\.1\.0-\d+-cloud-amd64-unsigned_.*_amd64$/.test(f)).sort((a, b) => abi(b) - abi(a));
  const busybox = names.find((f) => /^busybox-static_.*_amd64$/.test(f));
  return kernels.length && busybox ? { busyboxDir: busybox, kernelDir: kernels[0] } : null;
}

/**
 * Disassembles both binaries and runs the samples. Needs objdump, a core build and the unpacked
 * packages in .cache/debian: `fetch` gets them with scripts/debian-guest.ts when missing.
 */
export async function scanGuests(fetch = false): Promise<GuestScan> {
  const objdump = spawnSync('objdump', ['--version'], { encoding: 'utf8' });
  if (objdump.status !== 0) throw new Error('objdump not found: install binutils (apt-get install binutils)');
  if (fetch) prepareDebianGuest();
  const pkgs = cachedGuestPackages();
  if (!pkgs) throw new Error(`no unpacked busybox-static and linux-image packages in ${CACHE} (run: npx tsx scripts/debian-guest.ts)`);
  const bbDir = pkgs.busyboxDir, kDir = pkgs.kernelDir;
  const boot = join(CACHE, kDir, 'boot');
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`no boot/vmlinuz-* in ${join(CACHE, kDir)}`);
  const work = join(root, 'build/guest-instructions');
  mkdirSync(work, { recursive: true });
  const vmlinux = join(work, `vmlinux-${process.pid}`);
  writeFileSync(vmlinux, (await extractBzImage(readFileSync(join(boot, vmlinuz)))).elf);
  const acc = new Map<string, Acc>();
  await disassemble(join(CACHE, bbDir, 'bin/busybox'), 'busybox', acc);
  try { await disassemble(vmlinux, 'vmlinux', acc); } finally { rmSync(vmlinux, { force: true }); }
  const runner = new Runner();
  const rows: GuestRow[] = [];
  let samples = 0;
  for (const mn of [...acc.keys()].sort()) {
    const a = acc.get(mn)!;
    const forms = [...a.forms.values()];
    samples += forms.length;
    const c = classify(mn, forms.map((f) => runner.run(relocated(f.hex, f.text))));
    const where = c.status !== 'implemented' && a.alt ? ` (vmlinux: ${a.alt === a.vmlinux ? 'all' : `${a.alt} of ${a.vmlinux}`} in .altinstr_replacement)` : '';
    rows.push({ mnemonic: mn, busybox: a.busybox, vmlinux: a.vmlinux, status: c.status, note: c.note && c.note + where });
  }
  return { rows, samples, kernelVersion: vmlinuz.replace('vmlinuz-', ''), busyboxDeb: bbDir, kernelDeb: kDir };
}

export function renderGuestDoc(scan: GuestScan): string {
  const { rows } = scan;
  const not = rows.filter((r) => r.status !== 'implemented');
  const sum = (f: (r: GuestRow) => number, rs = rows) => rs.reduce((s, r) => s + f(r), 0);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const byStatus = (s: GuestStatus) => rows.filter((r) => r.status === s).length;
  return [
    '# Instructions of the guests',
    '',
    'GENERATED by `npm run docs:guest-instructions` (scripts/gen-guest-instructions.ts); do not edit by hand.',
    '`test/unit/guest-instructions-doc.test.ts` checks that every row that is not implemented states',
    'a reason, and, when the Debian packages are in .cache/debian, that this file is what the script makes.',
    '',
    `The guests: \`${scan.busyboxDeb}\` (bin/busybox, static glibc) and \`${scan.kernelDeb}\``,
    `(vmlinux ${scan.kernelVersion}, taken out of the bzImage by workers/loader/bzimage.ts). Each binary's`,
    'executable sections are disassembled with `objdump -d -M intel` (binutils), the alternatives',
    'replacements included; counts are static occurrences, prefixes (LOCK, REP, segment, REX) folded',
    'into the mnemonic. Every distinct form of each mnemonic (its prefixes, opcode bytes, and ModRM',
    `register-or-memory bit and reg field; ${scan.samples} forms in all) runs once, one encoding taken from the`,
    'disassembly, for one instruction on the bare test machine (docs/test-vectors.md) in 64-bit mode at',
    'CPL 3, general registers and RIP-relative operands pointing into the data window:',
    '',
    '- **implemented**: every sample runs or raises an architectural exception (#PF for an address',
    '  outside the test machine, #GP for a privileged instruction at CPL 3...);',
    '- **not offered**: every sample is #UD because the instruction belongs to an extension our CPUID',
    '  does not advertise (assembly/xen/cpuid.ts, assembly/cpu/features.ts), as on a CPU without it; the',
    '  note says what keeps the guest from executing it;',
    '- **partial**: some forms are #UD or end the domain;',
    '- **unimplemented**: the core ends the domain with `unimplemented opcode ...`.',
    '',
    `${rows.length} mnemonics (${sum((r) => r.busybox)} instructions in busybox, ${sum((r) => r.vmlinux)} in vmlinux): ` +
      `${byStatus('implemented')} implemented, ${byStatus('not offered')} not offered, ${byStatus('partial')} partial, ${byStatus('unimplemented')} unimplemented.`,
    '',
    '## Not implemented, and why',
    '',
    '| mnemonic | busybox | vmlinux | status | reason |',
    '|---|---|---|---|---|',
    ...not.map((r) => `| ${r.mnemonic} | ${r.busybox} | ${r.vmlinux} | ${r.status} | ${cell(r.note || 'NO REASON GIVEN')} |`),
    '',
    '## Every mnemonic',
    '',
    '| mnemonic | busybox | vmlinux | status | note |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.mnemonic} | ${r.busybox} | ${r.vmlinux} | ${r.status} | ${cell(r.status === 'implemented' ? r.note : 'see above')} |`),
    '',
  ].join('\n');
}

/** Rows of the committed doc's full table (for the test). */
export function parseGuestDoc(text: string): GuestRow[] {
  const start = text.indexOf('## Every mnemonic');
  if (start < 0) throw new Error('docs/guest-instructions.md has no "## Every mnemonic" table');
  const reasons = new Map<string, string>();
  for (const m of text.slice(0, start).matchAll(/^\| (\S+) \| \d+ \| \d+ \| [a-z ]+ \| (.*) \|$/gm)) reasons.set(m[1], m[2]);
  const rows: GuestRow[] = [];
  for (const m of text.slice(start).matchAll(/^\| (\S+) \| (\d+) \| (\d+) \| ([a-z ]+) \| (.*) \|$/gm)) {
    const status = m[4] as GuestStatus;
    rows.push({ mnemonic: m[1], busybox: Number(m[2]), vmlinux: Number(m[3]), status, note: status === 'implemented' ? m[5] : reasons.get(m[1]) ?? '' });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  try {
    const t0 = performance.now();
    const scan = await scanGuests(true);
    writeFileSync(DOC, renderGuestDoc(scan));
    const not = scan.rows.filter((r) => r.status !== 'implemented');
    console.log(`wrote docs/guest-instructions.md: ${scan.rows.length} mnemonics, ${not.length} not implemented (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const missing = not.filter((r) => !r.note);
    if (missing.length) console.log(`no reason yet for: ${missing.map((r) => r.mnemonic).join(' ')} (add them to REASONS)`);
  } catch (e) {
    console.error(`gen-guest-instructions: ${(e as Error).message}`);
    process.exit(1);
  }
}
