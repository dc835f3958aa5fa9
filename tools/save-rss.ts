// Peak RSS of saving a merged LoRA model, in a process of its own: a real-checkpoint shape with
// random bf16 weights (tools/scale-model.ts), loaded on the wasm backend with its 16-bit
// matrices kept (as `sppo train` with LoRA holds them), LoRA adapters (rank 8 on q, v, B ≠ 0),
// then saved merged in bf16:
//   stream  saveModel: tensor slice by slice (merge, convert, write, drop) — what sppo does
//   whole   the former path: every weight merged into an f32 host copy (mergedParams), then
//           serialized in one buffer and written (writeModelDir)
// Prints one JSON line: {shape, mode, rss_before_save, peak_rss, save_s, bytes}.
//   node --import tsx tools/save-rss.ts [shape=qwen2.5-0.5b] [stream|whole] [MODEL_DIR (reused if it holds the shape)]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/kernels/index.js';
import { loadModel, saveModel } from '../src/model/load.js';
import { writeModelDir } from '../src/model/modeldir.js';
import { toHF } from '../src/model/hf-names.js';
import { writeScaleModel } from './scale-model.js';

const [shape = 'qwen2.5-0.5b', mode = 'stream', given] = process.argv.slice(2);
if (mode !== 'stream' && mode !== 'whole') throw new Error(`save-rss: mode must be stream or whole, got ${mode}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-save-rss-'));
try {
  const dir = given ?? path.join(tmp, shape);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) writeScaleModel(dir, shape, 3);
  const be = await createBackend('wasm');
  const { model, config } = loadModel(be, dir, { training: true, lora: true, weights: 'keep' });
  model.enableLoRA({ rank: 8, alpha: 16, targets: ['q', 'v'], seed: 1 });
  for (const l of model.lora.values()) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.sin(i) * 0.01));
  const before = process.memoryUsage().rss;
  const out = path.join(tmp, 'saved');
  const t0 = performance.now();
  if (mode === 'stream') await saveModel(model, config, out);
  else writeModelDir(out, { config, tensors: toHF(model.arch, await model.mergedParams()), dtype: model.sourceDtype ?? 'F32', overwrite: true });
  const save_s = (performance.now() - t0) / 1000;
  const bytes = fs.statSync(path.join(out, 'model.safetensors')).size;
  console.log(JSON.stringify({ shape, mode, rss_before_save: before, peak_rss: process.resourceUsage().maxRSS * 1024, save_s, bytes, load_average: os.loadavg()[0] }));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
