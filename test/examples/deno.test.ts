// examples/deno/sppo.ts under Deno (the npm package `deno`), with only the permissions it
// asks for: one SPPO iteration through dist/deno/, the judge in a Web Worker over comlink. On the
// wasm backend its aligned weights equal, byte for byte, the same run in Node; on WebGPU
// (Deno's wgpu on SwiftShader, --unstable-webgpu) the loss agrees with the wasm run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNames } from '../kernels/harness.js';
import { createBackend } from '../../src/kernels/index.js';
import { nodeDeps } from '../../src/sppo/env/node-deps.js';
import { resolveConfig } from '../../src/sppo/config.js';
import { SPPO } from '../../src/sppo/coordinator.js';
import { SafetensorsBuffer } from '../../src/model/safetensors.js';
import { ensureBuilt, root } from './built.js';

ensureBuilt();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-deno-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const deno = path.join(root, 'node_modules/.bin/deno');
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function runDeno(be: string): { doc: any; out: string; seconds: number } {
  const out = path.join(tmp, be);
  const args = ['run', `--allow-read=${root}`, `--allow-write=${out}`];
  if (be === 'webgpu') args.push('--unstable-webgpu', '--allow-env');
  args.push(path.join(root, 'examples/deno/sppo.ts'), '--backend', be, '--out', out);
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmp };
  if (be === 'webgpu' && !env.VK_ICD_FILENAMES && fs.existsSync(ICD)) env.VK_ICD_FILENAMES = ICD;
  const t0 = Date.now();
  const r = spawnSync(deno, args, { cwd: root, env, encoding: 'utf8', timeout: 150_000 });
  assert.is(r.status, 0, `deno ${args.join(' ')} failed (${r.status} ${r.signal}): ${r.stderr.slice(-3000)}`);
  return { doc: JSON.parse(r.stdout.trim().split('\n').pop()!), out, seconds: (Date.now() - t0) / 1000 };
}

const weights = (f: string) => fs.readFileSync(f);
let wasmLoss = NaN;

const s = suite('examples/deno');
s('deno is there', () => {
  const r = spawnSync(deno, ['--version'], { encoding: 'utf8' });
  assert.is(r.status, 0);
  console.log(`  ${r.stdout.split('\n')[0]}`);
});

for (const be of ['wasm', ...backendNames().filter((b) => b === 'webgpu')]) {
  s(`one SPPO iteration [${be}]`, async () => {
    const { doc, out, seconds } = runDeno(be);
    console.log(`  [${be}] ${seconds.toFixed(1)} s on ${doc.backend}`);
    assert.match(doc.runtime, /^deno 2\./);
    assert.match(doc.backend, be === 'wasm' ? /^wasm \(SIMD/ : /^webgpu/);
    assert.match(doc.judge, /judge\.mjs \(worker\)$/);
    assert.is(doc.summary.iteration, 1);
    assert.is(doc.summary.steps, 4, "the example's 8 prompts, 2 per step");
    assert.ok(Number.isFinite(doc.summary.finalLoss));
    assert.ok(doc.summary.eval.winRate >= 0 && doc.summary.eval.winRate <= 1);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(fs.existsSync(path.join(out, 'aligned', f)), f);
    const st = new SafetensorsBuffer(new Uint8Array(weights(path.join(out, 'aligned/model.safetensors'))));
    for (const n of st.names()) assert.ok(st.readFloat32(n).every(Number.isFinite), n);
    if (be === 'wasm') {
      wasmLoss = doc.summary.finalLoss;
      // the same run in Node, in-process, from files on disk
      const c = resolveConfig({
        model: path.join(root, 'examples/tiny/model'), prompts: path.join(root, 'examples/tiny/prompts.jsonl'), judge: path.join(root, 'examples/tiny/judge.mjs'),
        out: path.join(tmp, 'node'), backend: 'wasm', maxPrompts: 8, iterations: 1, k: 3, maxNewTokens: 8, batchSize: 2, generateUnit: 2, evalSize: 4,
        eta: 10, lr: 1e-3, lrSchedule: 'constant', seed: 1,
      });
      const backend = await createBackend('wasm');
      try { await new SPPO(c, await nodeDeps(c, backend)).run(); } finally { backend.destroy(); }
      assert.ok(weights(path.join(c.out, 'iter-1/model/model.safetensors')).equals(weights(path.join(out, 'aligned/model.safetensors'))), 'Deno and Node end with the same weights');
    } else {
      assert.ok(Math.abs(doc.summary.finalLoss - wasmLoss) <= 1e-3 * Math.max(1, Math.abs(wasmLoss)), `webgpu loss ${doc.summary.finalLoss} vs wasm ${wasmLoss}`);
    }
  });
}
s.run();
