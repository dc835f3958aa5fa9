// sppo in Deno: one SPPO iteration through the library, on the wasm backend (no GPU needed) or
// on WebGPU (Deno's navigator.gpu, behind --unstable-webgpu). The model is read into memory,
// the run directory lives in memory, the judge runs in a Web Worker (comlink) judging while the
// policy generates, and the aligned model is written to OUT/.
//
//   npx deno run --allow-read=. --allow-write=runs examples/deno/sppo.ts --backend wasm --out runs/deno
//   npx deno run --unstable-webgpu --allow-read=. --allow-write=runs --allow-env examples/deno/sppo.ts --backend webgpu
//
// Defaults: the tiny example (examples/tiny), 8 of its prompts. Outside this repository import from "npm:sppo".
import { SPPO, createBackend, memoryDeps, resolveConfig, workerJudge, type ModelFiles } from '../../dist/deno/index.js';

const arg = (name: string, def: string) => { const i = Deno.args.indexOf(name); return i >= 0 ? Deno.args[i + 1] : def; };
const here = new URL('.', import.meta.url);
const tiny = new URL('../tiny/', here);
const modelDir = arg('--model', new URL('model/', tiny).pathname);
const promptsFile = arg('--prompts', new URL('prompts.jsonl', tiny).pathname);
const judgeSpec = arg('--judge', new URL('judge.mjs', tiny).pathname);
const out = arg('--out', 'runs/deno-example');

// the model directory, into memory
const files: ModelFiles = new Map();
for await (const e of Deno.readDir(modelDir)) if (e.isFile) files.set(e.name, await Deno.readFile(`${modelDir}/${e.name}`));

const cfg = resolveConfig({
  model: 'policy', prompts: 'prompts', judge: judgeSpec, out: 'memory',
  backend: arg('--backend', 'wasm') as 'wasm' | 'webgpu' | 'auto',
  maxPrompts: 8, iterations: 1, k: 3, maxNewTokens: 8, batchSize: 2, generateUnit: 2, evalSize: 4,
  eta: 10, lr: 1e-3, lrSchedule: 'constant', seed: 1,
});
const backend = await createBackend(cfg.backend);
const judge = await workerJudge(judgeSpec);
try {
  const deps = await memoryDeps(cfg, {
    backend, judge, judgeAhead: true,
    models: { policy: files },
    texts: { prompts: await Deno.readTextFile(promptsFile) },
  });
  const sppo = new SPPO(cfg, deps);
  sppo.addEventListener('progress', (e) => {
    const p = (e as CustomEvent).detail;
    console.error(`iteration ${p.iteration} ${p.stage} ${p.done}/${p.total}`);
  });
  const [summary] = await sppo.run();
  // the aligned model: config.json, model.safetensors, tokenizer files
  await Deno.mkdir(`${out}/aligned`, { recursive: true });
  const aligned = deps.checkpoints.get('iter-1/model')!;
  for (const [name, bytes] of aligned) await Deno.writeFile(`${out}/aligned/${name}`, bytes);
  console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, backend: backend.description, judge: judge.name, summary, saved: `${out}/aligned`, files: [...aligned.keys()] }));
} finally {
  await judge.close();
  backend.destroy();
}
