// Entry of a Node worker thread that runs TypeScript: registers tsx in this thread (loader hooks are
// per thread and `execArgv: ['--import', 'tsx']` does not reach a worker's entry on node 20), then
// imports the module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
