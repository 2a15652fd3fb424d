// The data behind the page's educator views, from real guests booted in Node (workers/vm.ts):
// privilege() reports the ring and guest mode and every transition between guest user, guest kernel
// and Xen with its cause (the core's transitions ring, assembly/debug/transitions.ts); nextInstructions()
// disassembles what the vCPU runs next, and its lengths agree with the CPU's over thousands of single
// steps; addressSpace() lists exactly the pages the guest tables map, as pageTables() sees them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Vm } from '../../workers/vm.ts';
import type { Transition } from '../../workers/api.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));

async function create(image: string, extra = ''): Promise<{ vm: Vm; exited: () => boolean }> {
  const vm = new Vm();
  let exited = false;
  await vm.create({ name: image, kernel: readFileSync(`${IMAGES}${image}.elf`), memory: 32, clock: 'deterministic', extra, recordTransitions: true }, {
    onConsole() {},
    onExit() {
      exited = true;
    },
  });
  return { vm, exited: () => exited };
}

/** Runs the guest to its end in steps, collecting every transition the ring reported on the way. */
async function allTransitions(image: string): Promise<Transition[]> {
  const { vm, exited } = await create(image);
  const seen = new Map<number, Transition>();
  for (let i = 0; i < 5000 && !exited(); i++) {
    await vm.step(20_000);
    for (const t of (await vm.privilege(256)).transitions) seen.set(t.seq, t);
  }
  expect(exited()).toBe(true);
  await vm.destroy();
  return [...seen.values()].sort((a, b) => a.seq - b.seq);
}

const path = (t: Transition) => `${t.from.mode}(${t.from.ring}) -> ${t.to.mode}(${t.to.ring})`;

describe('privilege view data: the transitions ring', () => {
  it('PV64 (privilege lab): system calls enter the kernel through Xen, the iret hypercall leaves it, all in ring 3', async () => {
    const ts = await allTransitions('privilege-lab-pv64');
    // Every transition was recorded once: the sequence numbers have no gaps.
    expect(ts.map((t) => t.seq)).toEqual(ts.map((_, i) => i + 1));
    const syscalls = ts.filter((t) => t.kind === 'syscall');
    expect(syscalls.length).toBeGreaterThanOrEqual(4);
    for (const t of syscalls) {
      expect(path(t)).toBe('user(3) -> kernel(3)');
      expect(t.cause).toBe('system call (syscall)');
    }
    const irets = ts.filter((t) => t.kind === 'hypercall' && t.nr === 23 && t.to.mode === 'user');
    expect(irets.length).toBeGreaterThanOrEqual(syscalls.length);
    expect(irets[0].cause).toBe('hypercall iret');
    const writes = ts.filter((t) => t.cause === 'hypercall console_io/write');
    expect(writes.length).toBeGreaterThan(10);
    // Xen's CONSOLEIO_write returns 0.
    expect(writes.every((t) => path(t) === 'kernel(3) -> kernel(3)' && t.result === 0n && t.outcome === 'returned 0')).toBe(true);
    // The user process reads the kernel's secret: #PF from user mode, CR2 its address, bounced to the kernel.
    const pf = ts.find((t) => t.kind === 'exception' && t.vector === 14 && t.from.mode === 'user')!;
    expect(pf.cause).toMatch(/^exception #PF at 0x[0-9a-f]+$/);
    expect(pf.outcome).toBe("bounced to the guest kernel's #PF handler");
    // mov %cr3 in the kernel: #GP that Xen emulates.
    expect(ts.some((t) => t.kind === 'exception' && t.vector === 13 && t.emulated && t.outcome === 'emulated by Xen: a privileged instruction')).toBe(true);
    expect(ts.at(-1)!.cause).toBe('hypercall sched_op/shutdown');
    expect(ts.at(-1)!.stopped).toBe(true);
  });

  it('PV32 (privilege lab): the kernel in ring 1, int 0x80 from ring 3, int 0x82 refused to user mode', async () => {
    const ts = await allTransitions('privilege-lab-pv32');
    const int80 = ts.filter((t) => t.kind === 'softint' && t.vector === 0x80);
    expect(int80.length).toBeGreaterThanOrEqual(2);
    for (const t of int80) expect(path(t)).toBe('user(3) -> kernel(1)');
    const refused = ts.findIndex((t) => t.kind === 'softint' && t.vector === 0x82);
    expect(ts[refused].faulted).toBe(true);
    expect(ts[refused].outcome).toMatch(/^refused/);
    expect(ts[refused + 1]).toMatchObject({ kind: 'exception', vector: 13 });
    expect(path(ts[refused + 1])).toBe('user(3) -> kernel(1)');
    expect(ts.some((t) => t.kind === 'hypercall' && path(t) === 'kernel(1) -> user(3)')).toBe(true);
  });

  it('reports the current ring and guest mode as the registers and the PV state say', async () => {
    const { vm, exited } = await create('privilege-lab-pv64');
    let sawUser = false;
    let sawKernel = false;
    for (let i = 0; i < 100_000 && !(sawUser && sawKernel) && !exited(); i++) {
      await vm.step(7);
      const [p, r] = [await vm.privilege(0), await vm.registers()];
      expect(p.ring).toBe(r.cpl);
      expect(p.rip).toBe(r.rip);
      expect(p.kernelRing).toBe(3);
      expect(p.transitions).toEqual([]);
      if (p.mode === 'user') sawUser = true;
      else sawKernel = true;
    }
    expect([sawUser, sawKernel]).toEqual([true, true]);
    await expect(vm.privilege(257)).rejects.toThrow('transition count must be 0..256, not 257');
    await vm.destroy();
  });
});

describe('step view data: the next instructions', () => {
  for (const image of ['paging-lab-pv64', 'paging-lab-pv32']) {
    it(`${image}: each instruction's length is how far RIP moves when the CPU runs it (3000 single steps)`, async () => {
      const { vm, exited } = await create(image);
      let checked = 0;
      for (let i = 0; i < 3000 && !exited(); i++) {
        const next = await vm.nextInstructions(2);
        const first = next.instructions[0];
        expect(first.address).toBe(next.rip);
        expect(first.text).not.toBe('(bad)');
        const before = await vm.stats();
        await vm.step(1);
        const after = await vm.registers();
        const length = first.bytes.split(' ').length;
        const flow = /^(bnd |rep\w* )?(j|call|ret|loop|int|syscall|sysenter|iret|hlt|ud)/.test(first.text);
        const faulted = (await vm.stats()).exceptions_total !== before.exceptions_total;
        if (!flow && !faulted && !/^rep/.test(first.text)) {
          expect(after.rip, `${first.text} at 0x${first.address.toString(16)}`).toBe(next.rip + BigInt(length));
          expect(next.instructions[1].address).toBe(next.rip + BigInt(length));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(1500);
      await vm.destroy();
    });
  }

  it('refuses a count outside 1..64', async () => {
    const { vm } = await create('hello-pv64');
    await expect(vm.nextInstructions(0)).rejects.toThrow('instruction count must be 1..64, not 0');
    expect((await vm.nextInstructions(64)).instructions.length).toBeGreaterThan(1);
    await vm.destroy();
  });
});

describe('page-table view data: the whole address space', () => {
  for (const image of ['paging-lab-pv64', 'paging-lab-pv32']) {
    it(`${image}: every range agrees with pageTables() page by page and counts every mapped page`, async () => {
      const { vm } = await create(image);
      await vm.step(200_000);
      const space = await vm.addressSpace();
      expect(space.truncated).toBe(false);
      expect(space.ranges.reduce((n, r) => n + r.pages, 0)).toBe(space.mappedPages);
      const regs = await vm.registers();
      const rip = regs.rip & ~0xfffn;
      expect(space.ranges.some((r) => rip >= r.start && rip < r.start + BigInt(r.pages) * 4096n)).toBe(true);
      // The CPU's caches hold RIP's and RSP's pages, mapped as the guest tables say.
      for (const va of [regs.rip, regs.rsp]) {
        const p = (await vm.pageTables(va, 1)).pages[0];
        expect(p.tlb?.mfn, `TLB entry of 0x${va.toString(16)}`).toBe(p.guestMfn);
        expect(p.shadow?.mfn, `shadow entry of 0x${va.toString(16)}`).toBe(p.guestMfn);
      }
      for (const r of space.ranges.slice(0, 200)) {
        const view = await vm.pageTables(r.start, Math.min(r.pages, 64));
        view.pages.forEach((p, i) => {
          expect(p.guestMfn, `0x${p.va.toString(16)}`).toBe(r.mfn + i);
          const leaf = p.guest.at(-1)!.value;
          if (r.writable) expect(leaf & 2n).toBe(2n);
          if (!r.user) expect(p.guest.some((e) => (e.value & 4n) === 0n)).toBe(true);
        });
      }
      await vm.destroy();
    });
  }
});
