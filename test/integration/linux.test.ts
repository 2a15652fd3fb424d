// The north star: Debian's stock Linux 6.1 (a real Xen PV guest, CONFIG_XEN_PV=y) boots in xenwasm.
// The kernel and busybox-static are fetched with `apt-get download` into .cache/debian at test time
// (never committed); the initramfs is built by scripts/debian-guest.ts. One boot, several checks.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { prepareDebianGuest, type DebianGuest } from '../../scripts/debian-guest.ts';

const root = new URL('../../', import.meta.url).pathname;
let guest: DebianGuest | undefined;
let fetchError = '';
try { guest = prepareDebianGuest(); } catch (e) { fetchError = (e as Error).message.split('\n')[0]; }
const canRun = guest !== undefined;
if (!canRun && process.env.CI !== 'true') console.log(`linux boot test skipped: ${fetchError} (needs apt-get download of Debian's kernel and busybox-static)`);

interface Boot { code: number | null; stdout: string; stderr: string }
let boot: Boot;

describe.skipIf(!canRun && process.env.CI !== 'true')("Debian's Linux 6.1 as a PV64 guest", () => {
  beforeAll(async () => {
    expect(canRun, `cannot fetch Debian's kernel and busybox: ${fetchError}`).toBe(true);
    boot = await new Promise<Boot>((resolve) => {
      execFile(process.execPath, [`${root}cli/xenwasm.mjs`, 'run', '--linux', '--clock', 'deterministic',
        '--cmdline', 'console=hvc0 xenwasm.selftest', '--max-instructions', '8000000000'],
      { cwd: root, maxBuffer: 64 << 20, timeout: 420_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stdout, stderr });
      });
    });
  }, 450_000);

  it('prints the Linux banner through the PV console', () => {
    expect(boot.stdout).toMatch(/Linux version 6\.1\.\d+-\d+-cloud-amd64/);
    expect(boot.stdout).toContain('Hypervisor detected: Xen PV');
  });

  it('switches to hvc0, the console ring, and installs the Xen clocksource and timer', () => {
    expect(boot.stdout).toContain('printk: console [hvc0] enabled');
    expect(boot.stdout).toContain('clocksource: xen:');
    expect(boot.stdout).toContain('installing Xen timer for CPU 0');
  });

  it('uses the 2-level event channel ABI and version 1 grant tables', () => {
    expect(boot.stdout).toContain('xen:events: Using 2-level ABI');
    expect(boot.stdout).toContain('Grant tables using version 1 layout');
  });

  it('unpacks the initramfs and starts /init in user mode', () => {
    expect(boot.stdout).toContain('Run /init as init process');
    expect(boot.stdout).not.toMatch(/Kernel panic|BUG: |Oops/);
  });

  it('runs busybox (static glibc: SSE2, x87, CPUID in user mode) as PID 1', () => {
    expect(boot.stdout).toContain('xenwasm: busybox userland is up (pid 1)');
    expect(boot.stdout).toContain('selftest: kernel 6.1.');
    expect(boot.stdout).toContain('selftest: hypervisor xen');
    expect(boot.stdout).toContain('selftest: 6 * 7 = 42');
  });

  it('finishes the self-test and powers the domain off (exit 0)', () => {
    expect(boot.stdout).toContain('selftest: done');
    expect(boot.code, boot.stderr.slice(-2000)).toBe(0);
  });
});

describe.skipIf(!canRun && process.env.CI !== 'true')('a busybox shell on hvc0 (typed through the worker API)', () => {
  it('answers a command line typed into the console ring, then powers off', async () => {
    expect(canRun, `cannot fetch Debian's kernel and busybox: ${fetchError}`).toBe(true);
    const { spawnVm } = await import('../../workers/host/node.ts');
    const { readFileSync } = await import('node:fs');
    const handle = spawnVm();
    try {
      let text = '';
      const seen = (s: string) => new Promise<void>((resolve) => {
        const poll = setInterval(() => { if (text.includes(s)) { clearInterval(poll); resolve(); } }, 50);
      });
      let done!: (e: unknown) => void;
      const stopped = new Promise((r) => (done = r));
      await handle.create({
        name: 'linux', kernel: readFileSync(guest!.kernel), ramdisk: readFileSync(guest!.initramfs),
        memory: 256, extra: 'console=hvc0', clock: 'deterministic', maxInstructions: 8_000_000_000,
      }, { onConsole: (b) => (text += new TextDecoder().decode(b)), onExit: done });
      await handle.vm.start();
      await seen('built-in shell (ash)');
      await handle.vm.sendInput(new TextEncoder().encode('echo sum=$((40+2)) on $(cat /sys/hypervisor/type)\r'));
      await seen('sum=42 on xen');
      await handle.vm.sendInput(new TextEncoder().encode('poweroff -f\r'));
      expect(await stopped).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
    } finally {
      await handle.terminate();
    }
  }, 450_000);
});
