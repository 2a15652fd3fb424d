// Starting a domain's worker in the page: a module Worker running workers/vm.worker.ts (Vite bundles
// it from the `new Worker(new URL(...))` form below), wrapped with Comlink.
import * as Comlink from 'comlink';
import type { VmApi } from '../api.ts';
import { coreModule, makeHandle, type VmHandle } from './handle.ts';

export { coreModule, type VmHandle };

export function spawnVm(): VmHandle {
  const worker = new Worker(new URL('../vm.worker.ts', import.meta.url), { type: 'module', name: 'xenwasm-domain' });
  const remote = Comlink.wrap<VmApi>(worker);
  return makeHandle(remote, {
    end: () => worker.terminate(),
    onDeath(notify) {
      worker.addEventListener('error', (e) => notify(new Error(`the domain worker failed: ${e.message}`)));
    },
  });
}
