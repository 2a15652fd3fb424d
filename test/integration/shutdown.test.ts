// Stopping a domain from outside, as Xen's toolstack does: Vm.shutdown() writes xenstore
// control/shutdown (`xl shutdown` / `xl reboot`) and a guest that watches it powers off or reboots;
// a guest that does not watch it is reported as such instead of being waited for; the domain
// watchdog (SCHEDOP_watchdog) shuts down a guest that stops petting it; and `xenwasm run` turns a
// first Ctrl-C into a power-off request and a second one within 5 s into a destroy (`xl destroy`).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnVm, type VmHandle } from '../../workers/host/node.ts';
import type { DomainConfig, DomainExit } from '../../workers/api.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGES = `${ROOT}guests/images/`;
const WAITING = 'waiting for a shutdown request';

interface Booted {
  handle: VmHandle;
  text(): string;
  /** Resolves once the console shows `s`. */
  printed(s: string): Promise<void>;
  exit: Promise<DomainExit>;
}

async function boot(image: string, config: Partial<DomainConfig> = {}): Promise<Booted> {
  const handle = spawnVm();
  let text = '';
  const waiters: { s: string; resolve: () => void }[] = [];
  let done!: (e: DomainExit) => void;
  const exit = new Promise<DomainExit>((r) => (done = r));
  await handle.create(
    { name: image, kernel: readFileSync(IMAGES + image), memory: 32, clock: 'deterministic', maxInstructions: 400_000_000, ...config },
    {
      onConsole(bytes) {
        text += new TextDecoder().decode(bytes);
        for (const w of waiters.filter((x) => text.includes(x.s))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      },
      onExit: done,
    },
  );
  await handle.vm.start();
  return {
    handle,
    text: () => text,
    printed: (s) => (text.includes(s) ? Promise.resolve() : new Promise((resolve) => waiters.push({ s, resolve }))),
    exit,
  };
}

const verdict = (text: string) => /Test result: .*/.exec(text)?.[0] ?? `no verdict; output: ${text.slice(-400)}`;

describe('shutdown requests through xenstore (xl shutdown / xl reboot)', () => {
  for (const type of ['pv32', 'pv64'] as const) {
    it(`a guest watching control/shutdown reboots when asked to (${type})`, async () => {
      const d = await boot(`test-shutdown-${type}.elf`);
      try {
        await d.printed(WAITING);
        expect(await d.handle.vm.shutdown('reboot')).toEqual({ watched: true, features: ['poweroff', 'reboot'] });
        expect(await d.exit).toMatchObject({ state: 'shutdown', reason: 'reboot' });
        expect(verdict(d.text())).toBe('Test result: SUCCESS');
        expect(d.text()).toContain('control/shutdown = "reboot" read and acknowledged');
      } finally {
        await d.handle.terminate();
      }
    }, 60_000);
  }

  it('shows in stats() whether the guest watches control/shutdown and what it advertises', async () => {
    const d = await boot('test-shutdown-pv64.elf');
    try {
      await d.printed(WAITING);
      expect((await d.handle.vm.stats()).shutdown_control).toEqual({ watched: true, features: ['poweroff', 'reboot'] });
      await d.handle.vm.shutdown('poweroff');
      expect(await d.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
    } finally {
      await d.handle.terminate();
    }
  }, 60_000);

  it('tells that a guest which never watches control/shutdown cannot see the request, and it keeps running', async () => {
    const d = await boot('test-console-pv32.elf', { clock: 'realtime' });
    try {
      await d.printed('type a line and press Enter');
      expect((await d.handle.vm.stats()).shutdown_control).toEqual({ watched: false, features: [] });
      expect(await d.handle.vm.shutdown('poweroff')).toEqual({ watched: false, features: [] });
      const outcome = await Promise.race([d.exit, new Promise((r) => setTimeout(() => r('still running'), 500))]);
      expect(outcome).toBe('still running');
      expect((await d.handle.vm.stats()).state).toBe('running');
    } finally {
      await d.handle.terminate();
    }
  }, 60_000);
});

describe('the domain watchdog (SCHEDOP_watchdog)', () => {
  for (const type of ['pv32', 'pv64'] as const) {
    it(`shuts down a guest that stops petting its watchdog with reason watchdog (${type})`, async () => {
      const d = await boot(`test-shutdown-${type}.elf`, { extra: 'watchdog' });
      try {
        const exit = await d.exit;
        expect(exit).toMatchObject({ state: 'shutdown', reason: 'watchdog' });
        expect(d.text()).toContain('watchdog: armed for 1 s and never petted');
        expect(d.text()).not.toMatch(/FAIL/);
        // Guest time (deterministic) passed the 1 s deadline: the vCPU slept until then.
        expect((await d.handle.vm.stats()).instructions).toBeLessThan(100_000_000);
      } finally {
        await d.handle.terminate();
      }
    }, 60_000);
  }
});

describe('xenwasm run and Ctrl-C', () => {
  /** Runs the CLI on `image`; sends SIGINT `times` times (0.3 s apart) once stdout shows `prompt`. */
  function runCli(image: string, prompt: string, times: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['cli/xenwasm.mjs', 'run', `guests/images/${image}`], { cwd: ROOT });
      let stdout = '', stderr = '', sent = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
        if (sent || !stdout.includes(prompt)) return;
        sent = true;
        for (let i = 0; i < times; i++) setTimeout(() => child.kill('SIGINT'), 300 * i);
      });
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('powers a watching guest off on the first Ctrl-C (exit 0)', async () => {
    const r = await runCli('test-shutdown-pv32.elf', WAITING, 1);
    expect(r.stderr).toContain('xenwasm: asked the guest to power off (xenstore control/shutdown, as xl shutdown); Ctrl-C again within 5 s destroys the domain');
    expect(r.stdout).toContain('Test result: SUCCESS');
    expect(r.code).toBe(0);
  }, 60_000);

  it('says a guest does not watch control/shutdown, then destroys it on a second Ctrl-C (exit 130)', async () => {
    const r = await runCli('test-console-pv64.elf', 'type a line and press Enter', 2);
    expect(r.stderr).toContain('xenwasm: the guest does not watch xenstore control/shutdown, so it may never see the power-off request');
    expect(r.stderr).toContain('xenwasm: guests/images/test-console-pv64.elf: destroyed by a second Ctrl-C, as xl destroy does');
    expect(r.code).toBe(130);
  }, 60_000);
});
