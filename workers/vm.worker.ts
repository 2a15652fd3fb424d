// The domain's worker: one Vm (workers/vm.ts) exposed through Comlink. The same file runs as a
// browser module Worker and under Node's worker_threads (started by workers/host/node.ts through a
// small bootstrap that registers tsx). Callbacks arrive as Comlink proxies; nothing else is shared.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Vm } from './vm.ts';
import { isNode } from './core.ts';

const vm = new Vm();
if (isNode()) {
  // getBuiltinModule keeps `node:` imports out of the browser bundle.
  const { parentPort } = process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
  if (!parentPort) throw new Error('vm.worker.ts must run in a worker thread');
  Comlink.expose(vm, nodeEndpoint(parentPort as unknown as Parameters<typeof nodeEndpoint>[0]));
} else {
  Comlink.expose(vm);
}
