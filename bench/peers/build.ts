// Builds the peers' programs from the very C the guests use (guests/bench/workload.c, the shared
// printf of guests/common) with the guests' own compiler flags (imported from guests/build.mjs),
// into .cache/bench/: the multiboot kernel that v86 and QEMU boot (the i686 code of the PV32
// guest) and the native Linux programs for i386 and x86-64 (the code of the PV32 / PV64 guests).
// Needs gcc and binutils, like the guests; a missing tool becomes a reason, not a crash.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CFLAGS, TYPES } from '../../guests/build.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE_DIR = join(ROOT, '.cache', 'bench');

const SHARED_C = ['guests/bench/workload.c', 'guests/common/format.c', 'guests/common/libc.c'];
const LDFLAGS = ['--build-id=none', '-nostdlib', '-static', '-z', 'noexecstack', '-z', 'max-page-size=0x1000'];

export interface PeerPrograms {
  /** gcc's version, as the guests' build reports it. */
  gcc?: string;
  /** Paths of what was built; a missing entry has its reason in `errors`. */
  multiboot?: string;
  nativeI686?: string;
  nativeX64?: string;
  errors: { multiboot?: string; nativeI686?: string; nativeX64?: string };
}

class BuildError extends Error {}

function tool(cmd: string, args: string[], what = `${cmd} ${args.at(-1)}`): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) {
    throw new BuildError((r.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `${cmd} not found (apt-get install -y gcc binutils)`
      : `${cmd}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const first = (r.stderr || r.stdout).split('\n').find((l) => /error/i.test(l)) ?? r.stderr.split('\n')[0];
    throw new BuildError(`${what} failed: ${first.trim()}`);
  }
  return r.stdout;
}

function compile(sources: string[], cflags: readonly string[], dir: string): string[] {
  const include = tool('gcc', ['-print-file-name=include']).trim();
  mkdirSync(dir, { recursive: true });
  return sources.map((src, i) => {
    const obj = join(dir, `${i}.o`);
    tool('gcc', [...CFLAGS, ...cflags, '-nostdinc', '-isystem', include, '-Iguests/bench', '-c', src, '-o', obj], `compiling ${src}`);
    return obj;
  });
}

function attempt(build: () => string): { path?: string; error?: string } {
  try {
    return { path: build() };
  } catch (e) {
    if (e instanceof BuildError) return { error: e.message };
    throw e;
  }
}

/** Builds all three; each failure is reported separately. */
export function buildPeerPrograms(): PeerPrograms {
  const out: PeerPrograms = { errors: {} };
  try {
    out.gcc = tool('gcc', ['-dumpfullversion']).trim();
  } catch (e) {
    const error = (e as Error).message;
    out.errors = { multiboot: error, nativeI686: error, nativeX64: error };
    return out;
  }
  const i686 = TYPES.pv32.cflags;
  const x64 = TYPES.pv64.cflags;

  const mb = attempt(() => {
    const dir = join(CACHE_DIR, 'multiboot.o');
    const objs = compile(['bench/peers/multiboot-start.S', 'bench/peers/multiboot.c', ...SHARED_C], i686, dir);
    const elf = join(CACHE_DIR, 'bench-int-multiboot.elf');
    tool('ld', ['-m', 'elf_i386', ...LDFLAGS, '-T', 'bench/peers/multiboot.ld', '-o', elf, ...objs]);
    return elf;
  });
  const native = (name: string, cflags: readonly string[], emulation: string) => attempt(() => {
    const dir = join(CACHE_DIR, `${name}.o`);
    const objs = compile(['bench/peers/native-start.S', 'bench/peers/native.c', ...SHARED_C], cflags, dir);
    const exe = join(CACHE_DIR, name);
    tool('ld', ['-m', emulation, ...LDFLAGS, '-e', '_start', '-o', exe, ...objs]);
    return exe;
  });
  const n32 = native('native-i686', i686, 'elf_i386');
  const n64 = native('native-x86_64', x64, 'elf_x86_64');
  out.multiboot = mb.path;
  out.nativeI686 = n32.path;
  out.nativeX64 = n64.path;
  out.errors = { multiboot: mb.error, nativeI686: n32.error, nativeX64: n64.error };
  return out;
}
