// One domain as the page sees it: a module worker (workers/vm.worker.ts) driven only through the
// VmApi contract (workers/api.ts), spawned by workers/host/browser.ts (the core is compiled once on
// this thread and handed to each worker; calls fail instead of hanging once the worker died). Every
// call is asynchronous: the page never waits on the emulator. A Domain is used once: "reset" destroys
// it and builds a new one, as `xl destroy` + `xl create` would.
import type { DomainConfig, DomainExit, DomainInfo, DomainStats, ShutdownControl, ShutdownRequest } from '../workers/api.ts';
import { spawnVm, type VmHandle } from '../workers/host/browser.ts';
import type { VmApi } from '../workers/api.ts';

export type InspectApi = Pick<VmApi, 'pageTables' | 'addressSpace' | 'privilege' | 'nextInstructions' | 'registers' | 'step'
  | 'startProfiling' | 'stopProfiling' | 'profile' | 'profileTrace'>;

export interface DomainEvents {
  onConsole(bytes: Uint8Array): void;
  onExit(exit: DomainExit): void;
}

export class Domain {
  private destroyed = false;
  private events?: DomainEvents;

  private constructor(private readonly handle: VmHandle, readonly info: DomainInfo) {}

  /**
   * Spawns a worker and builds the domain from the kernel bytes, without starting it. Console bytes
   * and the exit go to the events given to start(). Throws (and ends the worker) when the loader or
   * the builder refuses the image: the message names the file and the cause.
   */
  static async create(config: DomainConfig): Promise<Domain> {
    const handle = spawnVm();
    // The guest writes and exits only once started, so the domain exists by then.
    let domain: Domain | undefined;
    try {
      const info = await handle.create(config, {
        onConsole: (bytes) => domain && !domain.destroyed && domain.events?.onConsole(bytes),
        onExit: (exit) => domain && !domain.destroyed && domain.events?.onExit(exit),
      });
      domain = new Domain(handle, info);
      return domain;
    } catch (e) {
      await handle.terminate().catch(() => {});
      throw e;
    }
  }

  /** Starts the vCPU; from now on the guest's console and its exit go to `events`. */
  async start(events: DomainEvents): Promise<void> {
    this.events = events;
    await this.handle.vm.start();
  }

  pause(): Promise<void> {
    return this.handle.vm.pause();
  }

  resume(): Promise<void> {
    return this.handle.vm.resume();
  }

  stats(): Promise<DomainStats> {
    return this.handle.vm.stats();
  }

  /** The shared counter mirror (workers/counter-mirror.ts), or undefined: then poll stats(). */
  counters(): Promise<SharedArrayBuffer | undefined> {
    return this.handle.vm.counters();
  }

  /** Asks the guest to power off or reboot through xenstore control/shutdown (xl shutdown / reboot). */
  shutdown(reason: ShutdownRequest): Promise<ShutdownControl> {
    return this.handle.vm.shutdown(reason);
  }

  sendInput(bytes: Uint8Array): Promise<void> {
    return this.handle.vm.sendInput(bytes);
  }

  /** What the educator views (web/inspector.ts) read and do: the worker API's inspection calls and step. */
  get inspect(): InspectApi {
    const vm = this.handle.vm;
    return {
      pageTables: (start, count) => vm.pageTables(start, count),
      addressSpace: () => vm.addressSpace(),
      privilege: (count) => vm.privilege(count),
      nextInstructions: (count) => vm.nextInstructions(count),
      registers: () => vm.registers(),
      step: (n) => vm.step(n),
      startProfiling: (options) => vm.startProfiling(options),
      stopProfiling: () => vm.stopProfiling(),
      profile: () => vm.profile(),
      profileTrace: () => vm.profileTrace(),
    };
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  /** Releases the domain and ends its worker (xl destroy); safe to call twice and on a dead worker. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.handle.terminate().catch(() => {});
  }
}
