// One running domain as the page sees it: a module worker (workers/vm.worker.ts) driven only
// through the VmApi contract (workers/api.ts), spawned by workers/host/browser.ts (the core is
// compiled once on this thread and handed to each worker; calls fail instead of hanging once the
// worker died). A Domain is used once: "reset" destroys it and boots a new one, as `xl destroy` +
// `xl create` would.
import type { DomainConfig, DomainExit, DomainInfo, DomainStats, ShutdownControl, ShutdownRequest } from '../workers/api.ts';
import { spawnVm, type VmHandle } from '../workers/host/browser.ts';

export interface DomainEvents {
  onConsole(bytes: Uint8Array): void;
  onExit(exit: DomainExit): void;
}

export class Domain {
  private destroyed = false;
  info: DomainInfo | undefined;

  private constructor(private readonly handle: VmHandle) {}

  /** Spawns a worker, builds the domain from the kernel bytes and starts it. */
  static async boot(config: DomainConfig, events: DomainEvents): Promise<Domain> {
    const domain = new Domain(spawnVm());
    try {
      domain.info = await domain.handle.create(config, {
        onConsole: (bytes) => domain.destroyed || events.onConsole(bytes),
        onExit: (exit) => domain.destroyed || events.onExit(exit),
      });
      await domain.handle.vm.start();
      return domain;
    } catch (e) {
      await domain.destroy();
      throw e;
    }
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

  /** Asks the guest to power off or reboot through xenstore control/shutdown (xl shutdown / reboot). */
  shutdown(reason: ShutdownRequest): Promise<ShutdownControl> {
    return this.handle.vm.shutdown(reason);
  }

  sendInput(bytes: Uint8Array): Promise<void> {
    return this.handle.vm.sendInput(bytes);
  }

  /** Releases the domain and ends its worker; safe to call twice and on a dead worker. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.handle.terminate().catch(() => {});
  }
}
