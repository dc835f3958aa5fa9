// workerJudge(spec): a Judge whose comparisons run in a worker (judge-worker.ts) over comlink —
// worker_threads in Node, a Web Worker in browsers and Deno. Use it with the coordinator's
// judgeAhead so judging of unit u overlaps generation of unit u + 1:
//   deps.judge = await workerJudge('./judge.mjs'); deps.judgeAhead = true;
// close() ends the worker. An abort signal stops waiting (the worker finishes its batch).
import type { Judge } from '../judge/types.js';
import type { LoadJudgeOptions } from '../judge/load.js';
import { detectRuntime } from '../gpu/runtime.js';
import { guarded, startWorker } from './endpoint.js';
import type { JudgeWorkerAPI } from './judge-worker.js';

export interface WorkerJudge extends Judge {
  /** calls answered by the worker so far */
  readonly calls: number;
  close(): Promise<void>;
}

/** A judge loaded from `spec` inside a new worker (see loadJudgeAnywhere for the specs). */
export async function workerJudge(spec: string, options: LoadJudgeOptions = {}): Promise<WorkerJudge> {
  const h = await startWorker<JudgeWorkerAPI>('judge-worker');
  // module paths resolve against the caller's directory, not the worker's
  const o = { ...options };
  if (detectRuntime() === 'node' && o.cwd === undefined) o.cwd = process.cwd();
  let info;
  try {
    info = await guarded(h, () => h.api.init(spec, o));
  } catch (e) {
    await h.terminate();
    throw e;
  }
  let calls = 0, closed = false;
  return {
    name: `${info.name} (worker)`,
    describe: info.describe,
    orderSensitive: info.orderSensitive,
    info: { ...(info.info ?? {}), worker: true },
    get calls() { return calls; },
    async compare(pairs, co = {}) {
      if (closed) throw new Error(`judge ${info.name}: the worker was closed`);
      co.signal?.throwIfAborted();
      const aborted = co.signal ? new Promise<never>((_, rej) => co.signal!.addEventListener('abort', () => rej(co.signal!.reason), { once: true })) : null;
      const call = guarded(h, () => h.api.compareCounted(pairs));
      const out = await (aborted ? Promise.race([call, aborted]) : call);
      calls++;
      for (const [i, why] of out.failures) co.onFailure?.(i, why);
      co.onProgress?.(pairs.length, pairs.length);
      return out.ps;
    },
    async close() {
      if (closed) return;
      closed = true;
      try { await guarded(h, () => h.api.close()); } catch { /* the worker may be gone */ }
      await h.terminate();
    },
  };
}
