// workerJudge(spec): a Judge whose comparisons run in a worker (judge-worker.ts) over comlink —
// worker_threads in Node, a Web Worker in browsers and Deno. Use it with the coordinator's
// judgeAhead so judging of unit u overlaps generation of unit u + 1:
//   deps.judge = await workerJudge('./judge.mjs'); deps.judgeAhead = true;
// close() ends the worker. An abort signal stops waiting (the worker finishes its batch).
import { JudgeError, type Judge } from '../judge/types.js';
import { judgeCrossError } from '../judge/value.js';
import type { LoadJudgeOptions } from '../judge/load.js';
import { detectRuntime } from '../gpu/runtime.js';
import { guarded, startWorker } from './endpoint.js';
import type { JudgeWorkerAPI } from './judge-worker.js';

export interface WorkerJudge extends Judge {
  /** calls answered by the worker so far */
  readonly calls: number;
  close(): Promise<void>;
}

/**
 * A judge loaded from `spec` inside a new worker (see loadJudgeAnywhere for the specs): a spec
 * string or a module URL. A function cannot cross to a worker: that is one clear error.
 */
export async function workerJudge(spec: string | URL, options: LoadJudgeOptions = {}): Promise<WorkerJudge> {
  const s = spec instanceof URL ? spec.href : spec;
  if (typeof s !== 'string') throw judgeCrossError(s, 'a judge worker');
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'function') throw new JudgeError(String(spec), `option "${k}" is a function, which cannot cross to a judge worker: pass plain values (strings, numbers)`);
  }
  const h = await startWorker<JudgeWorkerAPI>('judge-worker');
  // module paths resolve against the caller's directory, not the worker's
  const o = { ...options };
  if (detectRuntime() === 'node' && o.cwd === undefined) o.cwd = process.cwd();
  let info;
  try {
    info = await guarded(h, () => h.api.init(s, o));
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
    // task metrics (e.g. builtin:arith's accuracy) are computed in the worker too
    ...(info.hasMetrics ? { metrics: (items: { prompt: string; response: string }[]) => guarded(h, () => h.api.metrics(items)) } : {}),
    async compare(pairs, co = {}) {
      if (closed) throw new Error(`judge ${info.name}: the worker was closed`);
      co.signal?.throwIfAborted();
      const call = guarded(h, () => h.api.compareCounted(pairs));
      // stop waiting on abort; the listener is removed when the call settles (no leak per call)
      let out: Awaited<typeof call>;
      if (co.signal) {
        const signal = co.signal;
        let onAbort!: () => void;
        const aborted = new Promise<never>((_, rej) => { onAbort = () => rej(signal.reason); });
        signal.addEventListener('abort', onAbort, { once: true });
        try { out = await Promise.race([call, aborted]); } finally { signal.removeEventListener('abort', onAbort); }
      } else {
        out = await call;
      }
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
