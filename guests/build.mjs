#!/usr/bin/env node
// guests/build.mjs: builds our demo guests into small Xen PV kernels, guests/images/<name>-<type>.elf
// (type pv32 = xen-3.0-x86_32p, pv64 = xen-3.0-x86_64), with the machine's gcc and GNU ld, freestanding.
// Reproducible: fixed relative paths, no build-id, no .comment, stripped; the same toolchain gives
// the same bytes. Next to each image: <image>.syms (nm -n of the unstripped link). After linking,
// the ELF headers and Xen notes are read back and checked (xen-pv-abi.md §1.1-§1.3).
// Usage: node guests/build.mjs [--check] [image-name...]   (--check: rebuild in a temp dir, compare
// with images/; names such as hello or test-traps limit the build to those images)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOAD_VA = 0x100000; // GUEST_LOAD_VA in guests/common/guest.h and the linker scripts

// Support code the test guests share (guests/README.md, "Test guests"); `{type}` is pv32 or pv64.
const TEST_COMMON = [
  'guests/common/test.c', 'guests/common/trap.c', 'guests/common/trap-{type}.S', 'guests/common/shared.c',
  'guests/common/mm.c', 'guests/common/evtchn.c', 'guests/common/pvclock.c',
];

// One test guest per area of the PV ABI: guests/tests/<area>.c -> images/test-<area>-<type>.elf.
const TEST_AREAS = [
  { area: 'traps' },
  { area: 'user' },
  { area: 'events' },
  { area: 'memory' },
  { area: 'grants' },
  { area: 'console', common: ['guests/common/console-in.c'] },
  { area: 'xenstore', common: ['guests/common/xenstore.c'] },
  { area: 'shutdown', common: ['guests/common/xenstore.c'] },
  { area: 'logdirty', common: ['guests/common/console-in.c'] },
];

// One benchmark guest per measurement (bench/README.md): guests/bench/<bench>.c ->
// images/bench-<bench>-<type>.elf; `common` is the support code it needs besides bench.c.
const BENCHMARKS = [
  { bench: 'int', common: ['guests/bench/workload.c'] },
  { bench: 'hypercall', common: ['guests/bench/op-null.c'] },
  { bench: 'event', common: [...TEST_COMMON, 'guests/bench/op-event.c'] },
  { bench: 'ctxswitch', common: ['guests/common/mm.c'] },
  { bench: 'ptupdate', common: ['guests/common/mm.c', 'guests/bench/op-pt.c'] },
];

// The demo guests for learners (guests/README.md, "Demo guests"): guests/demos/<demo>.c ->
// images/<demo>-<type>.elf. They narrate what they do (common/demo.c) on top of the test support
// code; `common` is what they need besides it, `defines` extra -D flags for that image only.
const DEMO_COMMON = [...TEST_COMMON, 'guests/common/demo.c', 'guests/common/probe.c'];
const DEMOS = [
  { demo: 'paging-lab', common: ['guests/common/frames.c', 'guests/common/ptwalk.c'] },
  { demo: 'privilege-lab', common: ['guests/demos/privilege-user.S'] },
  {
    demo: 'hcall-bench',
    common: ['guests/common/cmdline.c', 'guests/bench/op-null.c', 'guests/bench/op-event.c', 'guests/bench/op-pt.c'],
    defines: ['-DXEN_COUNT_HYPERCALLS', '-Iguests/bench'],
  },
  {
    demo: 'minishell',
    common: ['guests/common/console-in.c', 'guests/common/frames.c', 'guests/common/ptwalk.c'],
  },
];

// One row per image name; every guest is built for both types.
const GUESTS = [
  { name: 'hello', guestOs: 'xenwasm-hello', sources: ['guests/hello/hello.c'], raw: false },
  // Same guest with inline `syscall` / `int $0x82` and no HYPERCALL_PAGE note, like Linux >= 6.1.121.
  { name: 'hello-raw', guestOs: 'xenwasm-hello', sources: ['guests/hello/hello.c'], raw: true },
  ...TEST_AREAS.map(({ area, common = [] }) => ({
    name: `test-${area}`,
    guestOs: `xenwasm-test-${area}`,
    sources: [...TEST_COMMON, ...common, `guests/tests/${area}.c`],
    raw: false,
  })),
  ...BENCHMARKS.map(({ bench, common = [] }) => ({
    name: `bench-${bench}`,
    guestOs: `xenwasm-bench-${bench}`,
    sources: [...common, 'guests/common/cmdline.c', 'guests/bench/bench.c', `guests/bench/${bench}.c`],
    raw: false,
  })),
  ...DEMOS.map(({ demo, common = [], defines = [] }) => ({
    name: demo,
    guestOs: `xenwasm-${demo}`,
    sources: [...DEMO_COMMON, ...common, `guests/demos/${demo}.c`],
    raw: false,
    defines,
  })),
];

export const COMMON_SOURCES = ['guests/common/console.c', 'guests/common/format.c', 'guests/common/libc.c', 'guests/common/notes.S'];

export const TYPES = {
  pv32: {
    cflags: ['-m32', '-march=i686'],
    ld: ['-m', 'elf_i386'],
    script: 'guests/common/pv32.ld',
    start: 'guests/common/start-pv32.S',
    elfClass: 1,
    machine: 3, // EM_386
  },
  pv64: {
    // VIRT_BASE 0 and the image at 1 MiB: every symbol is below 2 GiB, so the small code model fits.
    cflags: ['-m64', '-mno-red-zone', '-mcmodel=small'],
    ld: ['-m', 'elf_x86_64'],
    script: 'guests/common/pv64.ld',
    start: 'guests/common/start-pv64.S',
    elfClass: 2,
    machine: 62, // EM_X86_64
  },
};

export const CFLAGS = [
  '-std=gnu11', '-O2', '-Wall', '-Wextra',
  '-ffreestanding', '-fno-pic', '-fno-pie', '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables', '-fno-unwind-tables', '-fcf-protection=none',
  '-fno-common', '-fno-ident', '-fno-strict-aliasing',
  '-fno-tree-loop-distribute-patterns', // keep gcc from turning libc.c's loops into memset() calls
  '-mgeneral-regs-only', // integer instructions only: no x87, MMX or SSE anywhere
  '-Iguests/common',
];

const LDFLAGS = [
  '--build-id=none', '-nostdlib', '-static', '-z', 'noexecstack', '-z', 'noseparate-code',
  '-z', 'max-page-size=0x1000', '-z', 'common-page-size=0x1000',
];

function fail(msg) {
  console.error(`guests/build.mjs: ${msg}`);
  process.exit(1);
}

function run(cmd, args, { input, what } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, input, encoding: 'buffer', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error && r.error.code === 'ENOENT') {
    fail(`${cmd} not found; install the Debian packages gcc and binutils (apt-get install -y gcc binutils)`);
  }
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  const stderr = r.stderr.toString();
  if (r.status !== 0) {
    process.stderr.write(stderr);
    fail(`${what ?? cmd} failed (exit ${r.status})`);
  }
  if (stderr.trim()) process.stderr.write(stderr); // warnings
  return r.stdout;
}

function checkTools(gccInclude) {
  for (const tool of ['gcc', 'ld', 'objcopy', 'nm']) run(tool, ['--version']);
  if (!existsSync(join(gccInclude, 'stdint.h'))) fail(`gcc's own headers are missing (${gccInclude}/stdint.h)`);
  // The guests include only gcc's freestanding headers and never link libgcc, so plain gcc can
  // build 32-bit code; if this gcc cannot, say exactly what to install.
  const r = spawnSync('gcc', ['-m32', '-march=i686', '-ffreestanding', '-nostdinc', '-isystem', gccInclude,
    '-x', 'c', '-c', '-o', '/dev/null', '-'], { input: '#include <stdint.h>\nuint64_t probe;\n', encoding: 'utf8' });
  if (r.status !== 0) {
    fail(`gcc cannot compile 32-bit code (gcc -m32 failed):\n${r.stderr}` +
      'On Debian install the 32-bit support: apt-get install -y gcc-multilib');
  }
}

// ---- reading back what we built: ELF header, program headers, Xen notes ----------------------
const PT_LOAD = 1, PT_NOTE = 4;
const NOTE_NAMES = {
  1: 'ENTRY', 2: 'HYPERCALL_PAGE', 3: 'VIRT_BASE', 4: 'PADDR_OFFSET', 5: 'XEN_VERSION',
  6: 'GUEST_OS', 8: 'LOADER', 9: 'PAE_MODE', 10: 'FEATURES',
};
const STRING_NOTES = new Set([5, 6, 8, 9, 10]);

function readElf(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const cls = buf[4];
  const is64 = cls === 2;
  const word = (off) => (is64 ? Number(dv.getBigUint64(off, true)) : dv.getUint32(off, true));
  const machine = dv.getUint16(18, true);
  const entry = word(24);
  const phoff = word(is64 ? 32 : 28);
  const phentsize = dv.getUint16(is64 ? 54 : 42, true);
  const phnum = dv.getUint16(is64 ? 56 : 44, true);
  const phdrs = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    phdrs.push(is64
      ? { type: dv.getUint32(p, true), flags: dv.getUint32(p + 4, true), offset: word(p + 8), vaddr: word(p + 16),
          paddr: word(p + 24), filesz: word(p + 32), memsz: word(p + 40) }
      : { type: dv.getUint32(p, true), offset: word(p + 4), vaddr: word(p + 8), paddr: word(p + 12),
          filesz: word(p + 16), memsz: word(p + 20), flags: dv.getUint32(p + 24, true) });
  }
  const notes = new Map();
  for (const ph of phdrs.filter((p) => p.type === PT_NOTE)) {
    let off = ph.offset;
    while (off + 12 <= ph.offset + ph.filesz) {
      const namesz = dv.getUint32(off, true), descsz = dv.getUint32(off + 4, true), type = dv.getUint32(off + 8, true);
      const name = buf.subarray(off + 12, off + 12 + namesz).toString('latin1').replace(/\0+$/, '');
      const d = off + 12 + ((namesz + 3) & ~3);
      const desc = buf.subarray(d, d + descsz);
      if (name === 'Xen') {
        let value;
        if (STRING_NOTES.has(type)) value = desc.toString('latin1').replace(/\0+$/, '');
        else if (descsz === 8) value = Number(desc.readBigUInt64LE(0));
        else if (descsz === 4) value = desc.readUInt32LE(0);
        else throw new Error(`Xen note ${type} has a ${descsz}-byte number`);
        notes.set(type, value);
      }
      off = d + ((descsz + 3) & ~3);
    }
  }
  return { cls, machine, entry, phdrs, notes };
}

const hex = (n) => `0x${n.toString(16)}`;

// Checks the image against what the domain builder requires; returns a one-line summary.
function verifyImage(file, buf, type, guest) {
  const t = TYPES[type];
  const elf = readElf(buf);
  const problems = [];
  if (elf.cls !== t.elfClass || elf.machine !== t.machine) problems.push('wrong ELF class or machine');
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) problems.push('no PT_LOAD');
  if (!elf.phdrs.some((p) => p.type === PT_NOTE && p.offset !== 0)) problems.push('no PT_NOTE');
  const start = Math.min(...loads.map((p) => p.paddr));
  const end = Math.max(...loads.map((p) => p.paddr + p.memsz));
  if (start !== LOAD_VA) problems.push(`image starts at ${hex(start)}, not ${hex(LOAD_VA)}`);
  for (const p of loads) if (p.paddr !== p.vaddr) problems.push('p_paddr != p_vaddr');
  const n = elf.notes;
  const expect = (type, value) => {
    if (n.get(type) !== value) problems.push(`note ${NOTE_NAMES[type]} is ${JSON.stringify(n.get(type))}, want ${JSON.stringify(value)}`);
  };
  expect(6, guest.guestOs);
  expect(5, 'xen-3.0');
  expect(8, 'generic');
  expect(3, 0);
  expect(4, 0);
  expect(1, elf.entry);
  if (type === 'pv32') expect(9, 'yes');
  if (elf.entry < start || elf.entry >= end) problems.push('entry outside the image');
  const hcp = n.get(2);
  if (guest.raw) {
    if (hcp !== undefined) problems.push('raw build carries a HYPERCALL_PAGE note');
  } else if (hcp === undefined || hcp % 4096 !== 0 || hcp < start || hcp + 4096 > end) {
    problems.push(`HYPERCALL_PAGE ${hcp === undefined ? 'missing' : hex(hcp)} is not a page inside the image`);
  }
  if (problems.length) fail(`${file}: ${problems.join('; ')}`);
  const notes = [...n].map(([k, v]) => `${NOTE_NAMES[k] ?? k}=${typeof v === 'number' ? hex(v) : v}`).join(' ');
  return `${(buf.length / 1024).toFixed(1).padStart(5)} KiB  load ${hex(start)}-${hex(end)}  entry ${hex(elf.entry)}  ${notes}`;
}

// ---- build -----------------------------------------------------------------------------------
function buildOne(guest, type, gccInclude, work) {
  const t = TYPES[type];
  const sources = [t.start, ...COMMON_SOURCES, ...guest.sources.map((src) => src.replace('{type}', type))];
  if (!guest.raw) sources.unshift('guests/common/hypercall-page.S');
  const defines = [`-DGUEST_OS_NAME="${guest.guestOs}"`];
  if (guest.raw) defines.push('-DXEN_HYPERCALL_RAW');
  defines.push(...(guest.defines ?? []));
  const dir = join(work, `${guest.name}-${type}`);
  mkdirSync(dir, { recursive: true });

  const objects = sources.map((src, i) => {
    const obj = join(dir, `${i}.o`);
    run('gcc', [...CFLAGS, ...t.cflags, '-nostdinc', '-isystem', gccInclude, ...defines, '-c', src, '-o', obj],
      { what: `compiling ${src} for ${type}` });
    return obj;
  });
  const linked = join(dir, 'linked.elf');
  run('ld', [...t.ld, ...LDFLAGS, '-T', t.script, '-o', linked, ...objects], { what: `linking ${guest.name}-${type}` });
  const syms = run('nm', ['-n', linked]).toString();
  const stripped = join(dir, 'image.elf');
  run('objcopy', ['--strip-all', linked, stripped]);
  return { image: readFileSync(stripped), syms };
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const names = args.filter((a) => a !== '--check');
  const usage = 'usage: node guests/build.mjs [--check] [image-name...]';
  const known = new Set(GUESTS.map((g) => g.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    fail(`unknown ${unknown[0].startsWith('-') ? 'argument' : 'image name'} ${unknown[0]} (${usage}; names: ${[...known].join(', ')})`);
  }
  const selected = names.length ? GUESTS.filter((g) => names.includes(g.name)) : GUESTS;

  const gccInclude = run('gcc', ['-print-file-name=include']).toString().trim();
  checkTools(gccInclude);
  const gccVersion = run('gcc', ['-dumpfullversion']).toString().trim();
  const ldVersion = run('ld', ['--version']).toString().split('\n')[0];

  const work = mkdtempSync(join(tmpdir(), 'xenwasm-guests-'));
  const outDir = join(ROOT, 'guests', 'images');
  mkdirSync(outDir, { recursive: true });
  let mismatches = 0;
  try {
    for (const guest of selected) {
      for (const type of Object.keys(TYPES)) {
        const base = `${guest.name}-${type}`;
        const { image, syms } = buildOne(guest, type, gccInclude, work);
        const summary = verifyImage(`${base}.elf`, image, type, guest);
        const elfPath = join(outDir, `${base}.elf`);
        if (check) {
          const same = existsSync(elfPath) && readFileSync(elfPath).equals(image);
          if (!same) mismatches++;
          console.log(`${same ? 'same     ' : 'DIFFERENT'} guests/images/${base}.elf`);
        } else {
          writeFileSync(elfPath, image);
          writeFileSync(join(outDir, `${base}.syms`), syms);
          console.log(`guests/images/${base}.elf ${summary}`);
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`toolchain: gcc ${gccVersion}, ${ldVersion}`);
  if (check && mismatches) {
    fail(`${mismatches} image(s) differ from a fresh build (a different gcc/binutils also changes the bytes)`);
  }
}

// Run only as a script: bench/peers/build.ts imports CFLAGS and TYPES to compile the same workload
// for the peers with the same flags.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
