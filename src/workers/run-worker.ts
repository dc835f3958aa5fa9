// The run worker (entry of dist/<runtime>/run-worker.js): a whole SPPO run — generation,
// judging, training, evaluation — off the page's thread, driven over comlink by
// startRunWorker() (run-client.ts). The page stays responsive; the worker posts events
// (progress, training steps, iteration summaries with before/after samples) through a
// comlink-proxied callback and returns the aligned model's files.
// Judging runs in a judge worker of its own (nested) by default, judging ahead: unit u is
// judged while unit u + 1 generates.
import { Comlink, serveFromWorker } from './endpoint.js';
import type { RunEvent, RunRequest, RunResult, RunWorkerAPI } from './run-types.js';
import { createBackend } from '../kernels/index.js';
import { SPPO } from '../sppo/coordinator.js';
import { resolveConfig } from '../sppo/config.js';
import { memoryDeps } from '../sppo/env/memory-deps.js';
import { modelFiles } from '../sppo/env/model-source.js';
import { MemoryStore } from '../sppo/env/store.js';
import type { RunStore } from '../sppo/run-store.js';
import type { ModelFiles } from '../model/memory-dir.js';
import type { Judge } from '../judge/types.js';
import type { JudgeSpec } from '../judge/value.js';
import { loadJudgeAnywhere } from './judge-load.js';
import { workerJudge } from './judge-client.js';

let controller: AbortController | null = null;

async function run(req: RunRequest, onEvent: (e: RunEvent) => void): Promise<RunResult> {
  if (controller) throw new Error('sppo run worker: a run is already going; abort it or start another worker');
  controller = new AbortController();
  const t0 = Date.now();
  // events travel over comlink's callback channel, the result over the call's own: the result waits
  // until every event was handled, so a caller never sees the result before the last event
  const delivered: Promise<unknown>[] = [];
  const send = <T extends RunEvent['type']>(type: T, detail: Extract<RunEvent, { type: T }>['detail']) => {
    try { delivered.push(Promise.resolve(onEvent({ type, detail } as RunEvent)).catch(() => { /* the page is gone */ })); } catch { /* the page is gone */ }
  };
  const cfg = resolveConfig({ out: 'memory', ...req.config }, 'run request config');
  const models = new Map<string, ModelFiles>();
  for (const [k, v] of Object.entries(req.models)) models.set(k, await modelFiles(v as any));
  const backend = await createBackend(cfg.backend, req.threads ? { threads: req.threads } : {});
  send('backend', { kind: backend.name, description: backend.description, crossOriginIsolated: (globalThis as any).crossOriginIsolated ?? null });
  const judges: Judge[] = [];
  try {
    const useWorker = req.judgeWorker !== false;
    const load = (spec: JudgeSpec) => (useWorker ? workerJudge(spec as string) : loadJudgeAnywhere(spec));
    const judge = await load((req.judge as string | undefined) ?? cfg.judge);
    judges.push(judge);
    const evalJudge = cfg.evalJudge ? await load(cfg.evalJudge) : undefined;
    if (evalJudge) judges.push(evalJudge);
    let store: RunStore = new MemoryStore('memory');
    if (req.opfs) store = await (await import('../sppo/env/opfs-store.js')).opfsStore(req.opfs);
    const deps = await memoryDeps(cfg, { backend, judge, evalJudge, models, texts: req.texts, store, judgeAhead: useWorker });
    const sppo = new SPPO(cfg, deps);
    sppo.addEventListener('progress', (e) => send('progress', (e as CustomEvent).detail));
    sppo.addEventListener('step', (e) => send('step', (e as CustomEvent).detail));
    sppo.addEventListener('log', (e) => send('log', (e as CustomEvent).detail));
    const evals: unknown[] = [];
    sppo.addEventListener('iteration', (e) => {
      const s = (e as CustomEvent).detail;
      // eval.json is written before the iteration event: send its samples with the summary
      store.exists(`iter-${s.iteration}/eval.json`).then(async (has) => {
        const ev = has ? JSON.parse(await store.readText(`iter-${s.iteration}/eval.json`)) : null;
        evals[s.iteration - 1] = ev;
        send('iteration', { summary: s, eval: ev });
      }).catch((err) => send('log', `cannot read eval of iteration ${s.iteration}: ${err}`));
    });
    const signal = controller.signal;
    const summaries = await sppo.run(signal).catch((e) => {
      if (!signal.aborted) throw e;
      // a judge rejects with the signal's bare reason: one error shape for every abort
      const err = new Error(`sppo: run aborted (${String(signal.reason)})`);
      err.name = 'AbortError';
      throw err;
    });
    for (const s of summaries) {
      if (evals[s.iteration - 1] === undefined && await store.exists(`iter-${s.iteration}/eval.json`)) evals[s.iteration - 1] = JSON.parse(await store.readText(`iter-${s.iteration}/eval.json`));
    }
    const model = await deps.modelFiles(`run:iter-${cfg.iterations}/model`);
    await Promise.all(delivered.splice(0));
    const result: RunResult = { summaries, backend: { kind: backend.name, description: backend.description }, model, evals, seconds: (Date.now() - t0) / 1000 };
    // hand the weights over without a copy
    return Comlink.transfer(result, [...new Set([...model.values()].map((b) => b.buffer as ArrayBuffer))]);
  } finally {
    controller = null;
    for (const j of judges) await j.close?.().catch(() => {});
    backend.destroy();
  }
}

const api: RunWorkerAPI = {
  run,
  async abort(reason?: string) { controller?.abort(reason ?? 'aborted by the caller'); },
};

await serveFromWorker(api);
