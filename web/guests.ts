// The guests the page offers: every kernel image in guests/images/ (listed at build time by the
// xenwasm-guest-images plugin in vite.config.ts, so a newly built guest appears without editing this
// file), fetched byte for byte from /guests/<file>, plus Debian's Linux when the server has it cached
// (/debian/linux.json, vite.config.ts). SPECS gives a known image its label, default command line
// (xl.cfg `extra`), memory and the console line that shows it works (`expect`): the end-to-end test
// (test/e2e/guests.test.ts) boots every guest that declares one and waits for that line, so a new
// demo guest adds one entry here. No Vite-only imports: the tests read this table in Node.

export type GuestGroup = 'demo' | 'linux' | 'test' | 'bench' | 'other';

/** What the page knows about one image (by file name without .elf). */
export interface GuestSpec {
  label: string;
  group: GuestGroup;
  /** One line on what it shows (the option's tooltip). */
  about?: string;
  /** Default kernel command line (xl.cfg `extra`); the user can edit it before Start. */
  cmdline?: string;
  /** Guest RAM in MiB (xl.cfg `memory`); 64 when absent. */
  memory?: number;
  /** A console line that shows the guest works (the end-to-end test waits for it). */
  expect?: string;
}

/** One entry of the picker. */
export interface GuestEntry extends GuestSpec {
  /** "hello-pv32", "debian-linux". */
  id: string;
  /** The kernel's file name, for messages. */
  file: string;
  /** Where the page fetches the kernel (and the ramdisk) from. */
  url: string;
  ramdiskUrl?: string;
  ramdiskFile?: string;
  /** Set when the entry cannot boot here, saying how to make it available. */
  unavailable?: string;
}

/** The guest booted when the page opens. */
export const DEFAULT_GUEST = 'hello-pv32';
export const DEFAULT_MEMORY_MIB = 64;

const TEST_RESULT = 'Test result: SUCCESS';
const BENCH_RESULT = 'Bench result: SUCCESS';

/** The same spec for the PV32 and the PV64 build of an image (`<stem>-pv32`, `<stem>-pv64`). */
function both(stem: string, spec: (type: 'pv32' | 'pv64') => GuestSpec): Record<string, GuestSpec> {
  return { [`${stem}-pv32`]: spec('pv32'), [`${stem}-pv64`]: spec('pv64') };
}
const TYPE_LABEL = { pv32: '32-bit PV', pv64: '64-bit PV' } as const;

const HELLO = 'xenwasm hello: a Xen PV guest is running';

export const SPECS: Record<string, GuestSpec> = {
  ...both('hello', (t) => ({
    label: `hello-${t} (${TYPE_LABEL[t]})`, group: 'demo', expect: HELLO,
    about: 'the boot protocol: ELF notes, start_info, console ring, xen_version, shutdown',
  })),
  ...both('hello-raw', (t) => ({
    label: `hello-raw-${t} (${TYPE_LABEL[t]}, raw hypercalls)`, group: 'demo', expect: HELLO,
    about: `the hello guest without a hypercall page: inline ${t === 'pv32' ? 'int $0x82' : 'syscall'}`,
  })),
  // The demo guests for learners (guests/README.md, "Demo guests"): each narrates what it checked.
  ...both('paging-lab', (t) => ({
    label: `paging lab (${TYPE_LABEL[t]})`, group: 'demo', expect: 'paging lab complete',
    about: 'walks its own page tables, builds and pins an L1, maps, unmaps and remaps pages, takes page faults on purpose, shares a frame copy-on-write',
  })),
  ...both('privilege-lab', (t) => ({
    label: `privilege lab (${TYPE_LABEL[t]})`, group: 'demo', expect: 'privilege lab complete',
    about: t === 'pv32'
      ? 'the kernel in ring 1; a ring-3 process makes system calls, is refused hlt, the hypercall gate and kernel memory (US bit)'
      : 'the kernel in ring 3 with two page tables; a user process makes system calls, is refused hlt, and loses sight of the kernel under its own L4',
  })),
  ...both('hcall-bench', (t) => ({
    label: `hypercall bench (${TYPE_LABEL[t]})`, group: 'demo', expect: 'hypercalls issued:',
    about: 'null hypercalls, event round trips and page-table updates timed with pvclock: ns and instruction-times per operation',
  })),
  ...both('minishell', (t) => ({
    label: `mini shell (${TYPE_LABEL[t]}): type help`, group: 'demo', expect: 'Type help for the commands.',
    about: 'a tiny OS on the console: help, mem, pt ADDR, ticks, echo, reboot, halt; sleeps in sched_op(block) between keys',
  })),
  ...both('test-traps', (t) => ({ label: `traps and bounce frames (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-user', (t) => ({ label: `guest user mode round trips (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-events', (t) => ({ label: `event channels and timers (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-memory', (t) => ({ label: `page tables and their validation (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-grants', (t) => ({ label: `grant tables (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-xenstore', (t) => ({ label: `xenstore (${t})`, group: 'test', expect: TEST_RESULT })),
  ...both('test-console', (t) => ({
    label: `console input (${t}): type a line`, group: 'test', expect: 'console: type a line and press Enter',
  })),
  ...both('test-shutdown', (t) => ({
    label: `shutdown requests (${t}): press Shut down or Reboot`, group: 'test', expect: 'waiting for a shutdown request',
  })),
  // Command lines sized for about a second at this page's speed; raise iters for longer runs.
  ...both('bench-int', (t) => ({ label: `integer workload (${t})`, group: 'bench', cmdline: 'iters=300', expect: BENCH_RESULT })),
  ...both('bench-hypercall', (t) => ({ label: `null hypercalls (${t})`, group: 'bench', cmdline: 'iters=2000000', expect: BENCH_RESULT })),
  ...both('bench-event', (t) => ({ label: `event round trips (${t})`, group: 'bench', cmdline: 'iters=100000', expect: BENCH_RESULT })),
  ...both('bench-ctxswitch', (t) => ({ label: `address-space switches (${t})`, group: 'bench', cmdline: 'iters=200000', expect: BENCH_RESULT })),
  ...both('bench-ptupdate', (t) => ({ label: `page-table updates (${t})`, group: 'bench', cmdline: 'iters=400000', expect: BENCH_RESULT })),
};

/** The Linux entry's id, and what /debian/linux.json (vite.config.ts, debianLinux) answers. */
export const LINUX_ID = 'debian-linux';
export interface LinuxManifest {
  available: boolean;
  /** The kernel's file name in the cache, e.g. vmlinuz-6.1.0-56-cloud-amd64. */
  kernel?: string;
  initramfs?: string;
  /** How to get it, when it is not available. */
  how?: string;
}
const LINUX_SPEC: GuestSpec = {
  label: 'Debian Linux 6.1 + busybox',
  group: 'linux',
  about: "Debian 12's stock linux-image-6.1.0-*-cloud-amd64 kernel (bzImage, PV64) with a busybox initramfs: a shell on hvc0",
  cmdline: 'console=hvc0',
  memory: 256,
  expect: 'xenwasm: busybox userland is up',
};
const LINUX_HOW = 'run `npx tsx scripts/debian-guest.ts` (apt-get download into .cache/debian), then `npm start`';

const GROUP_ORDER: GuestGroup[] = ['demo', 'linux', 'test', 'bench', 'other'];
export const GROUP_LABEL: Record<GuestGroup, string> = {
  demo: 'Demo guests',
  linux: 'Linux',
  test: 'Xen ABI test guests',
  bench: 'Benchmark guests',
  other: 'Other images',
};

const base = () => import.meta.env?.BASE_URL ?? '/';

/** The picker's entries: the default first, then by group in GROUP_ORDER and by SPECS order. */
export function listGuests(files: readonly string[], linux?: LinuxManifest): GuestEntry[] {
  const order = Object.keys(SPECS);
  const entries: GuestEntry[] = files.map((file) => {
    const id = file.replace(/\.elf$/i, '');
    const spec = SPECS[id] ?? { label: id, group: 'other' as const };
    return { ...spec, id, file, url: `${base()}guests/${encodeURIComponent(file)}` };
  });
  entries.push(linuxEntry(linux));
  const rank = (g: GuestEntry) => (g.id === DEFAULT_GUEST ? -1 : GROUP_ORDER.indexOf(g.group) * 1e4 + (order.includes(g.id) ? order.indexOf(g.id) : 5e3));
  return entries.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

function linuxEntry(m: LinuxManifest | undefined): GuestEntry {
  const entry: GuestEntry = {
    ...LINUX_SPEC,
    id: LINUX_ID,
    file: m?.kernel ?? 'vmlinuz',
    url: `${base()}debian/vmlinuz`,
    ramdiskFile: m?.initramfs ?? 'initramfs-busybox.cpio.gz',
    ramdiskUrl: `${base()}debian/initramfs.cpio.gz`,
  };
  if (!m?.available) entry.unavailable = m?.how ?? LINUX_HOW;
  return entry;
}

/** Asks the server whether it has Debian's Linux cached; a server that does not know says nothing. */
export async function fetchLinuxManifest(): Promise<LinuxManifest> {
  try {
    const res = await fetch(`${base()}debian/linux.json`, { cache: 'no-store' });
    if (res.ok) return (await res.json()) as LinuxManifest;
  } catch {
    // Fall through: no manifest means no Linux here.
  }
  return { available: false, how: LINUX_HOW };
}

/** Fetches an image; a missing or empty file is a clear error naming it. */
export async function fetchImage(url: string, file: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${file}: HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length === 0) throw new Error(`${file} is empty`);
  return bytes;
}
