// startRunWorker(): a whole SPPO run in a worker (run-worker.ts), driven over comlink.
//   const w = await startRunWorker();
//   const res = await w.run({ config, models: { demo: url }, texts: { 'train.jsonl': text } }, (e) => draw(e));
//   w.terminate();
import { Comlink, guarded, startWorker } from './endpoint.js';
import type { RunEvent, RunRequest, RunResult, RunWorkerAPI } from './run-types.js';
import { judgeCrossError } from '../judge/value.js';

export interface RunWorker {
  run(req: RunRequest, onEvent?: (e: RunEvent) => void): Promise<RunResult>;
  abort(reason?: string): Promise<void>;
  terminate(): Promise<void>;
}

/** judge values (functions) cannot be cloned into the worker: one clear error before posting */
function checkCrossable(req: RunRequest): void {
  const found: [string, unknown][] = [['judge', req.judge], ['config.judge', req.config?.judge], ['config.evalJudge', req.config?.evalJudge]];
  for (const [where, v] of found) {
    if (v === undefined || v === null || typeof v === 'string') continue;
    if (v instanceof URL) continue;
    throw judgeCrossError(v, `the run worker (${where})`);
  }
}

/** URL objects travel as their href */
function hrefs(req: RunRequest): RunRequest {
  const h = (v: unknown) => (v instanceof URL ? v.href : v);
  return { ...req, judge: h(req.judge) as string | undefined, config: { ...req.config, judge: h(req.config?.judge), ...(req.config?.evalJudge !== undefined ? { evalJudge: h(req.config.evalJudge) } : {}) } };
}

export async function startRunWorker(): Promise<RunWorker> {
  const h = await startWorker<RunWorkerAPI>('run-worker');
  return {
    run: async (req, onEvent = () => {}) => {
      checkCrossable(req);
      return guarded(h, () => h.api.run(hrefs(req), Comlink.proxy(onEvent)));
    },
    abort: (reason) => h.api.abort(reason),
    terminate: () => h.terminate(),
  };
}
