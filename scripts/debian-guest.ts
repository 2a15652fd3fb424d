// Debian's stock Linux kernel and busybox as a xenwasm guest (shared/linux-guest.md): fetches
// linux-image-6.1.0-*-cloud-amd64-unsigned and busybox-static with `apt-get download` into the
// git-ignored .cache/debian/, unpacks them, and builds a minimal initramfs (newc cpio, gzip):
// /init (a busybox shell script), /bin/busybox, /dev/console, /dev/null and /dev/hvc0.
//   npx tsx scripts/debian-guest.ts          prints the kernel and initramfs paths (fetching if needed)
//   npx xenwasm run --linux                  boots them (the CLI calls prepareDebianGuest())
// With `xenwasm.selftest` on the kernel command line, /init prints a few facts and powers off.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';

const root = new URL('../', import.meta.url).pathname;
export const CACHE = join(root, '.cache/debian');

export interface DebianGuest { kernel: string; initramfs: string; kernelVersion: string }

/** The /init of the initramfs: mounts, says hello, then a shell on the console (or the self-test). */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /tmp /root /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo
echo "xenwasm: busybox userland is up (pid $$)"
if grep -q xenwasm.selftest /proc/cmdline; then
  echo "selftest: kernel $(uname -r) on $(uname -m)"
  echo "selftest: $(grep -c ^processor /proc/cpuinfo) cpu, $(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory"
  echo "selftest: hypervisor $(cat /sys/hypervisor/type 2>/dev/null || echo unknown)"
  echo "selftest: 6 * 7 = $((6 * 7))"
  echo "selftest: done"
  poweroff -f
fi
# PID 1 answers the signals busybox's poweroff/reboot/halt send to init, which is what Linux runs
# (/sbin/poweroff) when Xen's control/shutdown asks it to (xl shutdown, the page, the CLI's Ctrl-C).
trap 'echo "xenwasm: power-off requested"; sync; poweroff -f' USR2
trap 'echo "xenwasm: reboot requested"; sync; reboot -f' TERM
trap 'echo "xenwasm: halt requested"; sync; halt -f' USR1
echo "Type busybox commands; 'poweroff -f' ends the domain."
while true; do
  setsid cttyhack sh -l &
  wait $!
  echo "xenwasm: the shell exited; starting another"
  sleep 1
done
`;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** apt-get download, with one `apt-get update` retry when the package lists are missing or stale. */
function aptDownload(pkg: string, dir: string): void {
  try { run('apt-get', ['download', pkg], dir); return; } catch { /* lists may be missing */ }
  run('apt-get', ['update', '-qq'], dir);
  run('apt-get', ['download', pkg], dir);
}

function newestKernelPackage(): string {
  const list = run('apt-cache', ['search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-cloud-amd64-unsigned$'], root)
    .split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  if (list.length === 0) throw new Error('apt-cache knows no linux-image-6.1.0-*-cloud-amd64-unsigned package (run apt-get update)');
  const abi = (p: string) => Number(/6\.1\.0-(\d+)-/.exec(p)![1]);
  return list.sort((a, b) => abi(b) - abi(a))[0];
}

function unpacked(pkgGlob: RegExp, pkg: () => string): string {
  mkdirSync(CACHE, { recursive: true });
  let deb = readdirSync(CACHE).find((f) => pkgGlob.test(f));
  if (!deb) {
    aptDownload(pkg(), CACHE);
    deb = readdirSync(CACHE).find((f) => pkgGlob.test(f));
    if (!deb) throw new Error(`apt-get download gave no file matching ${pkgGlob}`);
  }
  const dir = join(CACHE, deb.replace(/\.deb$/, ''));
  if (!existsSync(dir)) run('dpkg-deb', ['-x', join(CACHE, deb), dir], root);
  return dir;
}

// ---- newc cpio (the initramfs format the kernel unpacks), written by hand: a 110-byte ASCII header ----
interface CpioEntry { name: string; mode: number; data?: Uint8Array; rdevMajor?: number; rdevMinor?: number }

function cpioNewc(entries: CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const enc = new TextEncoder();
  const pad4 = (n: number) => (4 - (n % 4)) % 4;
  let ino = 1;
  const push = (e: CpioEntry) => {
    const name = enc.encode(e.name + '\0');
    const data = e.data ?? new Uint8Array(0);
    const f = (v: number) => v.toString(16).padStart(8, '0');
    const header = '070701' + f(ino++) + f(e.mode) + f(0) + f(0) + f(1) + f(0) + f(data.length) +
      f(0) + f(0) + f(e.rdevMajor ?? 0) + f(e.rdevMinor ?? 0) + f(name.length) + f(0);
    chunks.push(enc.encode(header), name, new Uint8Array(pad4(110 + name.length)), data, new Uint8Array(pad4(data.length)));
  };
  entries.forEach(push);
  push({ name: 'TRAILER!!!', mode: 0 });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

export function buildInitramfs(busybox: Uint8Array): Uint8Array {
  const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFCHR = 0o020000;
  const cpio = cpioNewc([
    { name: 'bin', mode: S_IFDIR | 0o755 },
    { name: 'dev', mode: S_IFDIR | 0o755 },
    { name: 'proc', mode: S_IFDIR | 0o755 },
    { name: 'sys', mode: S_IFDIR | 0o755 },
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    { name: 'dev/null', mode: S_IFCHR | 0o666, rdevMajor: 1, rdevMinor: 3 },
    // hvc0, the Xen PV console (drivers/tty/hvc: major 229): cttyhack makes it the shell's terminal.
    { name: 'dev/hvc0', mode: S_IFCHR | 0o600, rdevMajor: 229, rdevMinor: 0 },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: busybox },
    { name: 'init', mode: S_IFREG | 0o755, data: new TextEncoder().encode(INIT_SCRIPT) },
  ]);
  return gzipSync(cpio, { level: 6, mtime: 0 });
}

/** Fetches (once) and returns Debian's kernel and a fresh initramfs with busybox. */
export function prepareDebianGuest(): DebianGuest {
  const kdir = unpacked(/^linux-image-6\.1\.0-\d+-cloud-amd64-unsigned_.*\.deb$/, newestKernelPackage);
  const bdir = unpacked(/^busybox-static_.*\.deb$/, () => 'busybox-static');
  const vmlinuz = readdirSync(join(kdir, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`no boot/vmlinuz-* in ${kdir}`);
  const initramfs = join(CACHE, 'initramfs-busybox.cpio.gz');
  writeFileSync(initramfs, buildInitramfs(readFileSync(join(bdir, 'bin/busybox'))));
  return { kernel: join(kdir, 'boot', vmlinuz), initramfs, kernelVersion: vmlinuz.replace('vmlinuz-', '') };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const g = prepareDebianGuest();
  console.log(`kernel    ${g.kernel}\ninitramfs ${g.initramfs}`);
}
