// The Xen PV ABI, checked by our own test guests (guests/tests/, guests/README.md): each exercises
// one area (traps and bounce frames, user-mode round trips, event channels and timers, page-table
// updates and the refusals validation must give, grant tables, xenstore, console input, shutdown
// requests) and ends with `Test result: SUCCESS` before powering off. Every guest runs as PV32 and
// as PV64. Two need the host to act: console waits for a typed line, shutdown for `xl shutdown`
// (Vm.shutdown('poweroff'), which writes xenstore control/shutdown).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnVm } from '../../workers/host/node.ts';
import type { DomainExit } from '../../workers/api.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const AREAS = ['traps', 'user', 'events', 'memory', 'grants', 'xenstore', 'console', 'shutdown'] as const;

interface Run { text: string; exit: DomainExit }

const HOST_ACTIONS: Partial<Record<(typeof AREAS)[number], HostAction>> = {
  console: { prompt: 'type a line and press Enter', input: 'hello xenwasm\r' },
  shutdown: { prompt: 'waiting for a shutdown request', shutdown: 'poweroff' },
};

interface HostAction {
  /** Console text the host waits for. */
  prompt: string;
  /** Keyboard input to type then, or a shutdown request to send through xenstore. */
  input?: string;
  shutdown?: 'poweroff';
}

/** Boots one test guest; `after` answers a prompt on the console (keyboard input, xl shutdown). */
async function boot(image: string, after?: HostAction): Promise<Run> {
  const handle = spawnVm();
  try {
    let text = '';
    let typed = false;
    let done!: (e: DomainExit) => void;
    const stopped = new Promise<DomainExit>((r) => (done = r));
    await handle.create(
      { name: image, kernel: readFileSync(IMAGES + image), kernelName: image, memory: 32, clock: 'deterministic', maxInstructions: 400_000_000 },
      {
        onConsole: (bytes) => {
          text += new TextDecoder().decode(bytes);
          if (after && !typed && text.includes(after.prompt)) {
            typed = true;
            if (after.input !== undefined) void handle.vm.sendInput(new TextEncoder().encode(after.input));
            if (after.shutdown) void handle.vm.shutdown(after.shutdown);
          }
        },
        onExit: done,
      },
    );
    await handle.vm.start();
    const exit = await stopped;
    return { text, exit };
  } finally {
    await handle.terminate();
  }
}

for (const area of AREAS) {
  describe(`test guest "${area}"`, () => {
    for (const type of ['pv32', 'pv64'] as const) {
      it(`passes as ${type}`, async () => {
        const run = await boot(`test-${area}-${type}.elf`, HOST_ACTIONS[area]);
        const verdict = /Test result: .*/.exec(run.text)?.[0] ?? `no verdict; exit: ${JSON.stringify(run.exit)}; last output: ${run.text.slice(-400)}`;
        expect(verdict).toBe('Test result: SUCCESS');
        expect(run.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
        if (area === 'console') expect(run.text).toContain('console input: hello xenwasm');
        if (area === 'shutdown') expect(run.text).toContain('shutdown: poweroff requested through xenstore');
      }, 120_000);
    }
  });
}
