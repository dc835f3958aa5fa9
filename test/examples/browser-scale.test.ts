// A browser tab aligns a model in a real checkpoint's shape (headless Chromium, wasm backend with
// threads), from model files handed in as bytes through the example page's file inputs:
//  - one SPPO iteration with LoRA (K = 2, 4 prompts, 16 new tokens) through examples/browser's
//    "bring your own model" path (the folder picker, and the multiple-file input);
//  - sequence log-probs of 16 sequences computed in the tab from picked files equal the same
//    command's numbers in Node, and the tab's peak wasm memory is printed;
//  - a llama2.c model (model.bin + tokenizer.bin, no config.json) picked in the tab scores as in
//    Node, and its tokenizer.bin tokenizes there as in Node.
// Every run uses small shapes with the same structure (tools/scale-model.ts: tiny-llama,
// tiny-qwen2); SPPO_BIG=1 uses the SmolLM2-135M shape for the SPPO iteration and the
// Qwen2.5-0.5B shape for the log-probs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser } from 'playwright-core';
import { writeScaleModel } from '../../tools/scale-model.js';
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { sequenceLogprobs } from '../../src/train/preference.js';
import { Rng, SEED } from '../kernels/harness.js';
import { ensureBuilt, root } from './built.js';
// @ts-expect-error a plain .mjs script without types
import { serve } from '../../examples/browser/serve.mjs';

ensureBuilt();
const BIG = process.env.SPPO_BIG === '1';
const CHROMIUM = process.env.SPPO_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  ...(BIG ? ['--js-flags=--max-old-space-size=6144'] : [])];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-browser-scale-'));
const policyDir = path.join(tmp, BIG ? 'smollm2-135m' : 'tiny-llama');
const scoreDir = path.join(tmp, BIG ? 'qwen2.5-0.5b' : 'tiny-qwen2');
const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

let browser: Browser;
let server: { url: string; close(): Promise<void> };
const s = suite(`examples/browser: a real checkpoint's shape in the tab${BIG ? ' (SPPO_BIG=1)' : ' (small shapes)'}`);
s.before(async () => {
  writeScaleModel(policyDir, BIG ? 'smollm2-135m' : 'tiny-llama', 11);
  server = await serve({ root, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
});
s.after(async () => { await browser?.close(); await server?.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

const modelFiles = (dir: string) => ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => path.join(dir, f));

const l2cDir = path.join(root, 'test/fixtures/models/llama2c-cli');
for (const how of ['folder', 'files', 'llama2c'] as const) {
  s(`one SPPO iteration with LoRA (K = 2, 4 prompts, 16 new tokens) from a model ${how === 'folder' ? 'folder' : how === 'files' ? 'picked file by file' : 'in llama2.c files (model.bin + tokenizer.bin)'}`, async () => {
    const q = new URLSearchParams({ backend: 'wasm', iterations: '1', judge: 'builtin:length', 'set.k': '2', 'set.maxPrompts': '4', 'set.maxNewTokens': '16', 'set.loraRank': '4', 'set.loraAlpha': '8', 'set.evalSize': '0', 'set.batchSize': '2', 'set.generateUnit': '4', 'set.trainUnit': '4', 'set.epochs': '1' });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${server.url}examples/browser/?${q}`);
      if (how === 'folder') await page.setInputFiles('#folder', policyDir);
      else if (how === 'files') await page.setInputFiles('#model-files', modelFiles(policyDir));
      else await page.setInputFiles('#model-files', ['model.bin', 'tokenizer.bin'].map((f) => path.join(l2cDir, f)));
      assert.ok(await page.isChecked(`input[name=model][value=${how === 'folder' ? 'folder' : 'files'}]`), 'picking files selects their option');
      const t0 = Date.now();
      await page.click('#start');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: BIG ? 3_600_000 : 170_000, polling: 500 });
      const result = JSON.parse((await page.textContent('#result'))!);
      assert.ok(result.ok, `the page failed: ${result.error} ${errors.join(' | ')}`);
      assert.ok(result.crossOriginIsolated && /shared memory/.test(result.backend.description), `wasm threads: ${result.backend.description}`);
      assert.is(result.iterations.length, 1);
      const it = result.iterations[0];
      assert.ok(it.steps >= 1 && Number.isFinite(it.finalLoss), `one iteration trained: ${JSON.stringify(it)}`);
      assert.ok(result.losses.length === it.steps && result.losses.every(Number.isFinite));
      assert.ok(result.modelFiles.includes('model.safetensors') && result.modelBytes > 0, 'the aligned model is offered');
      if (how === 'llama2c') assert.ok(result.modelFiles.includes('tokenizer.bin') && result.modelFiles.includes('config.json'), `saved as HF with tokenizer.bin: ${result.modelFiles}`);
      console.log(`    [${how}] ${how === 'llama2c' ? 'llama2c-cli' : path.basename(policyDir)}: SPPO iteration in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${result.backend.description}, final loss ${it.finalLoss.toExponential(3)}`);
      assert.equal(errors, [], 'no page errors');
    } finally { await page.close(); }
  });
}

s('sequence log-probs in the tab from picked files equal Node\'s; peak wasm memory', async () => {
  const shape = writeScaleModel(scoreDir, BIG ? 'qwen2.5-0.5b' : 'tiny-qwen2', 12);
  const rng = new Rng(SEED ^ 0xb5);
  const T = BIG ? 128 : 29;
  const recs = Array.from({ length: 16 }, () => {
    const ids = Array.from(rng.i32(BIG ? T : rng.int(4, T), 0, shape.vocab));
    return { promptIds: ids.slice(0, 3), responseIds: ids.slice(3) };
  });
  // Node: the same model and sequences on the wasm backend
  const be = await createBackend('wasm');
  const { model } = loadModel(be, scoreDir, { seq: T });
  const want = await sequenceLogprobs(model, recs, 16);
  model.dispose(); be.destroy();
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}examples/browser/`);
    await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.multiple = true; i.id = 'lp-files'; document.body.append(i); });
    await page.setInputFiles('#lp-files', modelFiles(scoreDir));
    const got = await page.evaluate(async ({ recs, T }) => {
      const sppo = await import('/dist/browser/index.js' as string);
      const files = await sppo.modelFilesFromFileList([...(document.getElementById('lp-files') as HTMLInputElement).files!]);
      const be = await sppo.createBackend('wasm');
      const { model } = sppo.loadModelFromFiles(be, files, { seq: T });
      files.clear(); // the tab holds the bytes only while loading
      const t0 = performance.now();
      const lp = await sppo.sequenceLogprobs(model, recs, 16);
      return { lp, seconds: (performance.now() - t0) / 1000, wasmBytes: be.memory.buffer.byteLength, peakInUse: be.alloc.peak, description: be.description };
    }, { recs, T });
    console.log(`    ${path.basename(scoreDir)}: 16 sequences scored in the tab in ${got.seconds.toFixed(1)} s on ${got.description}; peak wasm memory ${gib(got.wasmBytes)} (allocator peak ${gib(got.peakInUse)})`);
    assert.is(got.lp.length, 16);
    got.lp.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `sequence ${i}: tab ${v}, Node ${want[i]} (seed ${SEED})`));
    assert.ok(got.wasmBytes <= 4 * 2 ** 30, 'within the wasm32 memory');
  } finally { await page.close(); }
});

s('a llama2.c model picked in the tab (model.bin + tokenizer.bin): log-probs and tokens = Node\'s', async () => {
  const l2c = path.join(root, 'test/fixtures/models/llama2c-cli');
  const rng = new Rng(SEED ^ 0x12c);
  const recs = Array.from({ length: 4 }, () => { const ids = Array.from(rng.i32(rng.int(5, 20), 0, 300)); return { promptIds: ids.slice(0, 3), responseIds: ids.slice(3) }; });
  const be = await createBackend('wasm');
  const { model } = loadModel(be, l2c);
  const want = await sequenceLogprobs(model, recs, 4);
  model.dispose(); be.destroy();
  const { loadTokenizerSync } = await import('../../src/tokenizer/node.js');
  const wantIds = loadTokenizerSync(path.join(l2c, 'tokenizer.bin')).encode('the hen sat in the shed');
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}examples/browser/`);
    await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.multiple = true; i.id = 'l2c-files'; document.body.append(i); });
    await page.setInputFiles('#l2c-files', ['model.bin', 'tokenizer.bin'].map((f) => path.join(l2c, f)));
    const got = await page.evaluate(async ({ recs }) => {
      const sppo = await import('/dist/browser/index.js' as string);
      const files = await sppo.modelFilesFromFileList([...(document.getElementById('l2c-files') as HTMLInputElement).files!]);
      const be = await sppo.createBackend('wasm');
      const { model, config } = sppo.loadModelFromFiles(be, files, { label: 'picked' });
      const tok = await sppo.tokenizerFromLlama2c(files.get('tokenizer.bin'));
      return { lp: await sppo.sequenceLogprobs(model, recs, 4), vocab: config.vocabSize, ids: tok.encode('the hen sat in the shed') };
    }, { recs });
    assert.is(got.vocab, 300);
    assert.equal(got.ids, wantIds);
    got.lp.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `sequence ${i}: tab ${v}, Node ${want[i]} (seed ${SEED})`));
    console.log(`    llama2.c model picked in the tab: 4 sequences = Node's log-probs, tokenizer.bin ids = Node's`);
  } finally { await page.close(); }
});

s.run();
