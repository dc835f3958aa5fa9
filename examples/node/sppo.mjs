#!/usr/bin/env node
// sppo as a library, in Node: a model directory, a judge, prompts → two SPPO iterations → the
// aligned model saved. The judge runs in a worker thread (comlink) and judges each unit of
// samples while the next one generates.
//   node examples/node/sppo.mjs [--model DIR] [--prompts FILE] [--judge SPEC] [--out DIR] [--save DIR] [--backend wasm|webgpu|auto]
// Defaults: the tiny example (examples/tiny: a 2-layer byte-level model that knows one-digit sums
// but answers sloppily, and a module judge that prefers right, short answers), a quick look at 8
// of its prompts — its own, longer run is `sppo train --config examples/tiny/sppo.config.json`.
// Inside this package `import ... from 'sppo'` resolves to the built library (dist/node/index.js:
// run `npm run build` first).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPPO, resolveConfig, createBackend, nodeDeps, workerJudge, loadModel, saveModel } from 'sppo';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const tiny = path.join(here, '../tiny');

const cfg = resolveConfig({
  model: arg('--model', path.join(tiny, 'model')),
  prompts: arg('--prompts', path.join(tiny, 'prompts.jsonl')),
  judge: arg('--judge', path.join(tiny, 'judge.mjs')),
  out: arg('--out', 'runs/node-example'),
  backend: arg('--backend', 'auto'),
  maxPrompts: 8, iterations: 2, k: 3, maxNewTokens: 8, batchSize: 2, generateUnit: 2, evalSize: 4,
  eta: 10, lr: 1e-3, lrSchedule: 'constant', seed: 1,
});

const backend = await createBackend(cfg.backend);
const deps = await nodeDeps(cfg, backend);      // model directories, a run directory on disk
deps.judge = await workerJudge(cfg.judge);       // the judge in a worker thread ...
deps.judgeAhead = true;                          // ... judging while the policy generates
const sppo = new SPPO(cfg, deps);
sppo.addEventListener('iteration', (e) => {
  const s = e.detail;
  console.log(`iteration ${s.iteration}: loss ${s.finalLoss.toFixed(4)}, win rate vs base ${s.eval?.winRate.toFixed(3)} ` +
    `[${s.eval?.ci95.map((x) => x.toFixed(3)).join(', ')}], ${s.seconds.toFixed(1)} s`);
});
try {
  await sppo.run();
  // the run saved each iterate in OUT/iter-N/model; keep the last one where the user wants it
  const last = path.join(cfg.out, `iter-${cfg.iterations}`, 'model');
  const save = arg('--save', path.join(cfg.out, 'aligned'));
  const { model, config } = loadModel(backend, last);
  await saveModel(model, config, save, { copyFrom: last });
  model.dispose();
  console.log(`aligned model saved in ${save} (${backend.description})`);
} finally {
  await deps.judge.close();
  backend.destroy();
}
