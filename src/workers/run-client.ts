// startRunWorker(): a whole SPPO run in a worker (run-worker.ts), driven over comlink.
//   const w = await startRunWorker();
//   const res = await w.run({ config, models: { demo: url }, texts: { 'train.jsonl': text } }, (e) => draw(e));
//   w.terminate();
import { Comlink, guarded, startWorker } from './endpoint.js';
import type { RunEvent, RunRequest, RunResult, RunWorkerAPI } from './run-types.js';

export interface RunWorker {
  run(req: RunRequest, onEvent?: (e: RunEvent) => void): Promise<RunResult>;
  abort(reason?: string): Promise<void>;
  terminate(): Promise<void>;
}

export async function startRunWorker(): Promise<RunWorker> {
  const h = await startWorker<RunWorkerAPI>('run-worker');
  return {
    run: (req, onEvent = () => {}) => guarded(h, () => h.api.run(req, Comlink.proxy(onEvent))),
    abort: (reason) => h.api.abort(reason),
    terminate: () => h.terminate(),
  };
}
