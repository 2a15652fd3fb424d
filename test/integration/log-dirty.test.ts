// Log-dirty mode (Xen's shadow op ENABLE_LOGDIRTY / PEEK / CLEAN, what live migration reads), checked
// with the test-logdirty guest (guests/README.md): at each of its prompts the host pauses the domain,
// reads stats(), peeks and cleans the bitmap (or turns the mode on or off), types the key the prompt
// names and resumes. The guest then writes a known set of pages and prints their PFNs; the next peek
// must equal that set exactly (no tolerance), and the set itself must be the one the round is built
// to write (buffer pages, the page-table frame Xen wrote, the stack page, the console ring page).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnVm } from '../../workers/host/node.ts';
import type { DomainExit } from '../../workers/api.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const ROUNDS = 5;
/** The round the host turns log-dirty off before (its writes must not be tracked). */
const OFF_ROUND = 5;

interface Layout { buffer: number; stack: number; ring: number; l1: number }

/** What the host saw at one prompt: the bitmap of the round before it, and the marks counter. */
interface Look { dirty: number[]; marks: number; again?: number[] }

interface Run {
  text: string;
  exit: DomainExit;
  /** looks[n]: taken at prompt n (n = ROUNDS + 1: "rounds done"), before anything was changed. */
  looks: Look[];
  /** logdirty_marks right after log-dirty was turned off. */
  marksWhenOff: number;
  layout: Layout;
  /** reported[r]: the PFNs round r says it wrote. */
  reported: number[][];
}

const num = (s: string) => Number.parseInt(s, 16);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

/** Boots the guest and plays the host: one look at every prompt, then the key it asks for. */
async function run(image: string): Promise<Run> {
  const handle = spawnVm();
  const vm = handle.vm;
  try {
    let text = '';
    let acted = 0;
    let chain = Promise.resolve();
    let failure: unknown;
    const looks: Look[] = [];
    let marksWhenOff = -1;
    let done!: (e: DomainExit) => void;
    const stopped = new Promise<DomainExit>((r) => (done = r));

    const act = async (prompt: number) => {
      await vm.pause();
      const marks = (await vm.stats()).logdirty_marks;
      if (prompt === 1) {
        await vm.setLogDirty(true);
        looks[prompt] = { dirty: [], marks };
      } else {
        looks[prompt] = { dirty: await vm.peekAndCleanDirty(), marks };
        if (prompt === 2) looks[prompt].again = await vm.peekAndCleanDirty();
      }
      if (prompt === OFF_ROUND) {
        await vm.setLogDirty(false);
        marksWhenOff = (await vm.stats()).logdirty_marks;
      }
      await vm.sendInput(new TextEncoder().encode(prompt <= ROUNDS ? String(prompt) : 'q'));
      await vm.resume();
    };

    await handle.create(
      { name: image, kernel: readFileSync(IMAGES + image), kernelName: image, memory: 32, clock: 'deterministic', maxInstructions: 200_000_000 },
      {
        onConsole: (bytes) => {
          text += new TextDecoder().decode(bytes);
          const prompts = [...text.matchAll(/logdirty: (?:round (\d+) ready|rounds done)/g)].length;
          while (acted < prompts) {
            const prompt = ++acted;
            chain = chain.then(() => act(prompt)).catch((e) => { failure ??= e; });
          }
        },
        onExit: done,
      },
    );
    await vm.start();
    const exit = await stopped;
    await chain;
    if (failure) throw failure;

    const m = /logdirty: buffer pfn (0x[0-9a-f]+) \(16 pages\), stack pfn (0x[0-9a-f]+), console ring pfn (0x[0-9a-f]+), buffer L1 pfn (0x[0-9a-f]+)/.exec(text);
    if (!m) throw new Error(`no layout line; output: ${text.slice(-600)}`);
    const layout = { buffer: num(m[1]), stack: num(m[2]), ring: num(m[3]), l1: num(m[4]) };
    const reported: number[][] = [];
    for (const r of text.matchAll(/logdirty: round (\d+) wrote pfns ([0-9a-fx,]+)/g)) {
      reported[Number(r[1])] = r[2].split(',').map(num);
    }
    return { text, exit, looks, marksWhenOff, layout, reported };
  } finally {
    await handle.terminate();
  }
}

for (const type of ['pv32', 'pv64'] as const) {
  describe(`log-dirty with test-logdirty (${type})`, () => {
    let r: Run;
    /** The pages round n is built to write: buffer pages by index, plus named frames. */
    const expected = (buffer: number[], extra: (keyof Layout)[] = []) =>
      sorted([...buffer.map((p) => r.layout.buffer + p), ...extra.map((k) => r.layout[k]), r.layout.stack, r.layout.ring]);

    beforeAll(async () => {
      r = await run(`test-logdirty-${type}.elf`);
    }, 120_000);

    it('runs every round and ends with Test result: SUCCESS, powered off', () => {
      const verdict = /Test result: .*/.exec(r.text)?.[0] ?? `no verdict; exit: ${r.exit.state} ${r.exit.message ?? ''}; last output: ${r.text.slice(-600)}`;
      expect(verdict).toBe('Test result: SUCCESS');
      expect(r.exit).toMatchObject({ state: 'shutdown', reason: 'poweroff' });
      expect(r.looks.length).toBe(ROUNDS + 2);
      expect(r.reported.filter(Boolean).length).toBe(ROUNDS);
    });

    it('gives the guest separate pages for its buffer, stack, console ring and the L1 it updates', () => {
      const { buffer, stack, ring, l1 } = r.layout;
      const outside = (pfn: number) => pfn < buffer || pfn >= buffer + 16;
      expect(new Set([stack, ring, l1]).size).toBe(3);
      expect([stack, ring, l1].every(outside)).toBe(true);
    });

    it('round 1: the bitmap holds exactly the pages the guest wrote', () => {
      expect(r.reported[1]).toEqual(expected([0, 3, 4, 9]));
      expect(r.looks[2].dirty).toEqual(r.reported[1]);
    });

    it('a peek right after a clean finds nothing', () => {
      expect(r.looks[2].again).toEqual([]);
    });

    it('round 2: after peek-and-clean only the new writes are reported', () => {
      expect(r.reported[2]).toEqual(expected([1, 3, 15]));
      expect(r.looks[3].dirty).toEqual(r.reported[2]);
      for (const p of [0, 4, 9]) expect(r.looks[3].dirty).not.toContain(r.layout.buffer + p);
    });

    it("round 3: pages Xen writes for the guest are marked (copy_to_guest, update_va_mapping's L1)", () => {
      expect(r.reported[3]).toEqual(expected([6], ['l1']));
      expect(r.looks[4].dirty).toEqual(r.reported[3]);
    });

    it('round 4: an L1 written through writable page tables is marked', () => {
      expect(r.reported[4]).toEqual(expected([], ['l1']));
      expect(r.looks[5].dirty).toEqual(r.reported[4]);
    });

    it('after setLogDirty(false) writes are not tracked', () => {
      expect(r.reported[OFF_ROUND]).toEqual(expected([2, 5]));
      expect(r.looks[ROUNDS + 1].dirty).toEqual([]);
      expect(r.looks[ROUNDS + 1].marks).toBe(r.marksWhenOff);
    });

    it('stats().logdirty_marks counts one mark per page that became dirty', () => {
      for (let n = 2; n <= OFF_ROUND; n++) {
        expect(r.looks[n].marks - r.looks[n - 1].marks, `round ${n - 1}`).toBe(r.looks[n].dirty.length);
      }
    });
  });
}
