// The handle a host (page, CLI, test) holds on one domain's worker, whatever kind of worker it is:
// the VmApi (Comlink calls that fail, instead of hanging, once the worker died or was ended),
// create() that hands over the compiled core and proxies the callbacks, and terminate(), which
// destroys the domain (waiting at most a second) and ends the worker.
import * as Comlink from 'comlink';
import type { DomainConfig, DomainInfo, VmApi, VmCallbacks } from '../api.ts';
import { compileCore } from '../core.ts';

export interface VmHandle {
  /** The domain's API. Pass callbacks through create() below, not vm.create(). */
  vm: VmApi;
  /** Builds the domain; the callbacks run in the caller's thread. */
  create(config: DomainConfig, callbacks: VmCallbacks): Promise<DomainInfo>;
  /** Destroys the domain if it is still there and ends the worker; safe to call twice. */
  terminate(): Promise<void>;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** build/xenwasm.wasm, compiled once per process or page (read from disk in Node, fetched in a page). */
export function coreModule(): Promise<WebAssembly.Module> {
  compiled ??= compileCore();
  return compiled;
}

export interface WorkerControl {
  /** Ends the worker thread. */
  end(): Promise<unknown> | void;
  /** Registers the function to call when the worker dies or exits on its own. */
  onDeath(notify: (why: Error) => void): void;
}

const METHODS = ['create', 'start', 'pause', 'resume', 'step', 'stats', 'counters', 'registers', 'shutdown', 'sendInput', 'readMachine', 'destroy',
  'startProfiling', 'stopProfiling', 'profile', 'profileTrace',
  'setSwitches', 'pageTables', 'audit', 'setLogDirty', 'peekAndCleanDirty',
  'addressSpace', 'privilege', 'nextInstructions'] as const satisfies readonly (keyof VmApi)[];

export function makeHandle(remote: Comlink.Remote<VmApi>, control: WorkerControl): VmHandle {
  let death: Error | undefined;
  let reject!: (e: Error) => void;
  const died = new Promise<never>((_, r) => (reject = r));
  died.catch(() => {}); // observed through the calls below
  const kill = (why: Error) => {
    death ??= why;
    reject(death);
  };
  control.onDeath(kill);

  const vm = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of METHODS) {
    const call = remote[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    vm[name] = (...args) => (death ? Promise.reject(death) : Promise.race([call(...args), died]));
  }
  const api = vm as unknown as VmApi;

  return {
    vm: api,
    async create(config, callbacks) {
      const module = config.coreModule ?? (await coreModule());
      return api.create({ ...config, coreModule: module }, Comlink.proxy(callbacks));
    },
    async terminate() {
      if (death) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([api.destroy(), new Promise((r) => (timer = setTimeout(r, 1000)))]);
      } catch {
        // A domain that cannot be destroyed cleanly still goes with its worker.
      } finally {
        clearTimeout(timer);
        kill(new Error('the domain worker has ended'));
        remote[Comlink.releaseProxy]();
        await control.end();
      }
    },
  };
}
