// The judge worker (entry of dist/<runtime>/judge-worker.js): holds one judge and answers
// compare() calls from the thread that started it, over comlink. Judges are plain JS (or an
// HTTP client), so a page stays responsive and judging overlaps generation (workerJudge in
// judge-client.ts; the coordinator's judgeAhead).
import type { Pair } from '../judge/types.js';
import type { LoadJudgeOptions } from '../judge/load.js';
import { serveFromWorker } from './endpoint.js';
import { loadJudgeAnywhere } from './judge-load.js';
import type { Judge } from '../judge/types.js';

export interface JudgeInfo { name: string; describe?: string; orderSensitive: boolean; info?: Record<string, unknown>; hasMetrics?: boolean }

export interface JudgeWorkerAPI {
  /** loads the judge; options must be structured-clonable (no functions) */
  init(spec: string, options?: LoadJudgeOptions): Promise<JudgeInfo>;
  compare(pairs: Pair[]): Promise<number[]>;
  /** compare() with the pairs the judge failed on ([index, why], CompareOptions.onFailure) */
  compareCounted(pairs: Pair[]): Promise<{ ps: number[]; failures: [number, string][] }>;
  /** the judge's task metrics of a set of answers (Judge.metrics), when it has them */
  metrics(items: { prompt: string; response: string }[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

let judge: Judge | null = null;

const api: JudgeWorkerAPI = {
  async init(spec, options = {}) {
    judge = await loadJudgeAnywhere(spec, options);
    return { name: judge.name, describe: judge.describe, orderSensitive: judge.orderSensitive, info: judge.info ? JSON.parse(JSON.stringify(judge.info)) : undefined, hasMetrics: typeof judge.metrics === 'function' };
  },
  async compare(pairs) {
    if (!judge) throw new Error('sppo judge worker: init() first');
    return judge.compare(pairs);
  },
  async compareCounted(pairs) {
    if (!judge) throw new Error('sppo judge worker: init() first');
    const failures: [number, string][] = [];
    const ps = await judge.compare(pairs, { onFailure: (i, why) => failures.push([i, why]) });
    return { ps, failures };
  },
  async metrics(items) {
    if (!judge) throw new Error('sppo judge worker: init() first');
    return judge.metrics ? judge.metrics(items) : {};
  },
  async close() { await judge?.close?.(); judge = null; },
};

await serveFromWorker(api);
