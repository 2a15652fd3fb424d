// The console backend ("xenconsoled" of this host): drains the guest's output and feeds it input.
// Output comes from the PV console ring (struct xencons_interface, public/io/console.h,
// xen-pv-abi.md 5.1) in the guest page at DOM_CONSOLE_MFN, and from the hypervisor console ring at
// HVC_BASE (console_io write, filled by the core). Guests that write both (our demo guests' printf
// does) would show every line twice, so console_io output reaches the console only until the guest
// first uses its ring: early boot messages, and guests without a ring, still appear. Invariants:
// indices are free-running u32, slot = index & (size - 1), the backend only ever advances out_cons,
// in_prod and HVC_CONS, and never lets in_prod - in_cons exceed the in[] size. Bytes are passed on
// undecoded.
import type { Core } from '../core.ts';
import * as L from '../layout.gen.ts';

// struct xencons_interface offsets.
const IN = 0;
const IN_SIZE = 1024;
const OUT = 1024;
const OUT_SIZE = 2048;
const IN_CONS = 3072;
const IN_PROD = 3076;
const OUT_CONS = 3080;
const OUT_PROD = 3084;

export class ConsoleBackend {
  /** Input not yet accepted because the guest's in[] ring was full. */
  private pending: Uint8Array[] = [];
  /** The guest has written to its PV ring: from then on console_io output would be a duplicate. */
  private ringInUse = false;

  constructor(private readonly core: Core) {}

  /** The event channel port the guest's console is bound to (0 = the domain has no PV console). */
  get port(): number {
    return this.core.domU32(L.DOM_CONSOLE_PORT);
  }

  private ringBase(): number {
    return L.GUEST_RAM_BASE + this.core.domU32(L.DOM_CONSOLE_MFN) * L.PAGE_SIZE;
  }

  /** What the guest wrote to its console since the last drain, or null. Call after every slice. */
  drain(): Uint8Array | null {
    const hvc = this.drainHypervisorConsole();
    const ring = this.port !== 0 ? this.drainRing() : null;
    if (ring) this.ringInUse = true;
    return this.ringInUse ? ring : hvc;
  }

  private drainHypervisorConsole(): Uint8Array | null {
    const core = this.core;
    const prod = core.u32(L.HVC_BASE + L.HVC_PROD);
    let cons = core.u32(L.HVC_BASE + L.HVC_CONS);
    // If the core overran us, the oldest bytes are gone: keep the newest ring-full.
    if (((prod - cons) >>> 0) > L.HVC_DATA_SIZE) cons = (prod - L.HVC_DATA_SIZE) >>> 0;
    const bytes = copyOut(core.bytes, L.HVC_BASE + L.HVC_DATA, L.HVC_DATA_SIZE, cons, prod);
    core.setU32(L.HVC_BASE + L.HVC_CONS, prod);
    return bytes;
  }

  private drainRing(): Uint8Array | null {
    const core = this.core;
    const ring = this.ringBase();
    const prod = core.u32(ring + OUT_PROD);
    const cons = core.u32(ring + OUT_CONS);
    // A producer more than a ring ahead broke the protocol: skip what it claims, as xenconsoled does.
    const bytes = ((prod - cons) >>> 0) > OUT_SIZE ? null : copyOut(core.bytes, ring + OUT, OUT_SIZE, cons, prod);
    core.setU32(ring + OUT_CONS, prod);
    return bytes;
  }

  /** Queues keyboard input and moves what fits into in[]; returns true when the guest should be notified. */
  send(bytes: Uint8Array): boolean {
    if (this.port === 0) throw new Error('this domain has no PV console to send input to');
    if (bytes.length > 0) this.pending.push(bytes.slice());
    return this.pushInput();
  }

  /** Moves queued input into free space of in[] (call again when the guest consumed some). */
  pushInput(): boolean {
    if (this.pending.length === 0 || this.port === 0) return false;
    const core = this.core;
    const ring = this.ringBase();
    const cons = core.u32(ring + IN_CONS);
    let prod = core.u32(ring + IN_PROD);
    let moved = 0;
    while (this.pending.length > 0 && ((prod - cons) >>> 0) < IN_SIZE) {
      const chunk = this.pending[0];
      let i = 0;
      while (i < chunk.length && ((prod - cons) >>> 0) < IN_SIZE) {
        core.bytes[ring + IN + (prod & (IN_SIZE - 1))] = chunk[i++];
        prod = (prod + 1) >>> 0;
      }
      moved += i;
      if (i === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(i);
    }
    // Data before index, as the ring protocol requires (one thread here, so program order suffices).
    if (moved > 0) core.setU32(ring + IN_PROD, prod);
    return moved > 0;
  }

  /** Bytes of input waiting for room in the guest's ring. */
  get pendingInput(): number {
    return this.pending.reduce((n, c) => n + c.length, 0);
  }
}

/** Copies ring bytes [cons, prod) out of a power-of-two ring at `data` (null when empty). */
function copyOut(mem: Uint8Array, data: number, size: number, cons: number, prod: number): Uint8Array | null {
  const n = (prod - cons) >>> 0;
  if (n === 0) return null;
  const out = new Uint8Array(n);
  const start = cons & (size - 1);
  const first = Math.min(n, size - start);
  out.set(mem.subarray(data + start, data + start + first));
  if (first < n) out.set(mem.subarray(data, data + n - first), first);
  return out;
}
