// Starting a domain's worker from Node (CLI, integration tests): a worker_thread running
// workers/vm.worker.ts through the tsx bootstrap (node-bootstrap.mjs), wrapped with Comlink's node
// adapter. Call terminate() when done, or the worker keeps the process alive.
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { VmApi } from '../api.ts';
import { coreModule, makeHandle, type VmHandle } from './handle.ts';

export { coreModule, type VmHandle };

export function spawnVm(): VmHandle {
  const worker = new Worker(new URL('./node-bootstrap.mjs', import.meta.url), {
    workerData: { entry: new URL('../vm.worker.ts', import.meta.url).href },
  });
  const remote = Comlink.wrap<VmApi>(nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]));
  return makeHandle(remote, {
    end: () => worker.terminate(),
    onDeath(notify) {
      worker.on('error', (e) => notify(new Error(`the domain worker failed: ${e.message}`)));
      worker.on('exit', (code) => notify(new Error(`the domain worker exited (code ${code})`)));
    },
  });
}
