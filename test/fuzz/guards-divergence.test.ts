// Issue 18, defect 1 (and 7's loading half): a diverging run never writes NaN weights.
// Through the built CLI on the tiny example model (wasm):
//  - `sppo train` with AdamW at lr 1e38: exit ≠ 0 naming iteration, step and unit; no iter-1/model,
//    no training checkpoint (there was no good one);
//  - a step whose loss overflows (a record with a reference log-prob of −1e30) is stopped before
//    its update; the checkpoint of the step before stays, finite, and --resume starts from it;
//  - `sppo sft` at lr 1e38: exit ≠ 0 naming the step, no --out directory; rmsprop at lr 10
//    warns that the loss grows, naming the step;
//  - `sppo train-judge` at lr 1e38: exit ≠ 0, no --out directory;
//  - a model with NaN weights loads with a warning naming the tensor;
//  - the guard's own rules (TrainingGuard, assertFiniteWeights).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SafetensorsFile, writeSafetensorsFile } from '../../src/model/io-files.js';
import { shuffle } from '../../src/sampling/rng.js';
import { assertFiniteWeights, DivergenceError, TrainingGuard } from '../../src/train/guard.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const example = path.join(root, 'test/fixtures/tiny');
const tiny = path.join(example, 'model');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-guards-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 300_000 });

function trainConfig(name: string, over: Record<string, unknown>): { file: string; out: string } {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'sppo.config.json'), 'utf8'));
  const out = path.join(tmp, name);
  Object.assign(cfg, { model: tiny, prompts: path.join(example, 'prompts.jsonl'), judge: path.join(example, 'judge.mjs'), out, backend: 'wasm', iterations: 1, evalSize: 0 }, over);
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return { file, out };
}

const allFinite = (file: string) => {
  const f = SafetensorsFile.open(file);
  for (const n of f.names()) for (const v of f.readFloat32(n)) if (!Number.isFinite(v)) return `${n} holds ${v}`;
  return null;
};

const s = suite('guards: a diverging run never saves NaN weights');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

s('the guard: non-finite loss, gradient norm or weights stop the step; growth warns once per ×10', () => {
  const warns: string[] = [];
  const g = new TrainingGuard({ what: 'sppo train', iteration: 3, fix: 'lower "lr"', warn: (m) => warns.push(m) });
  g.check(1, 2.07, 1);
  g.check(2, 50, 1);
  assert.is(warns.length, 0);
  g.check(3, 300, 1, 'unit 1');
  assert.is(warns.length, 1);
  assert.match(warns[0], /iteration 3, step 3 \(unit 1\).*diverging/);
  g.check(4, 400, 1);
  assert.is(warns.length, 1, 'no new warning below the next ×10');
  g.check(5, 5.7e11, 1);
  assert.is(warns.length, 2);
  const stop = (f: () => void, re: RegExp) => {
    try { f(); } catch (e) { assert.instance(e, DivergenceError); assert.match((e as Error).message, re); return; }
    assert.unreachable('no DivergenceError');
  };
  stop(() => g.check(6, NaN, 1, 'unit 2'), /sppo train: iteration 3, step 6 \(unit 2\): the loss is NaN; the step was not applied\. Fix: lower "lr"/);
  stop(() => g.check(7, 1, Infinity), /step 7: the gradient norm is Infinity/);
  stop(() => g.check(8, 1, 1, undefined, NaN), /step 7: its update left non-finite/);
  stop(() => assertFiniteWeights([['a', [1, 2]], ['b.weight', [1, NaN, -Infinity]]], 'model m', { what: 'sft', step: 4, fix: 'x' }), /sft: step 4: model m not written: its update left non-finite weights in b\.weight \(2 of 3\)/);
  assertFiniteWeights([['a', new Float32Array(10000)]], 'w', { what: 'sft', step: 1, fix: 'x' });
});

s('sppo train, AdamW at lr 1e38: stops naming iteration, step and unit; nothing written', () => {
  const { file, out } = trainConfig('adamw-1e38', { optimizer: 'adamw', lr: 1e38, lrSchedule: 'constant', trainUnit: 1 });
  const r = sppo(['train', '--config', file]);
  assert.is.not(r.status, 0, 'exit status');
  assert.match(r.stderr, /iteration 1, step \d+ \(training unit \d+ of \d+, steps \d+–\d+\)/);
  assert.match(r.stderr, /non-finite/);
  assert.not.ok(fs.existsSync(path.join(out, 'iter-1/model')), 'no model written');
  assert.not.ok(fs.existsSync(path.join(out, 'iter-1/train/ckpt.safetensors')), 'no checkpoint written');
});

s('sppo train: an overflowing step is stopped before its update; the checkpoint before it stays and --resume starts there', () => {
  const { file, out } = trainConfig('overflow', { trainUnit: 1 });
  let r = sppo(['train', '--config', file]);
  assert.is(r.status, 0, r.stderr);
  // back to "records written, not trained"; the group of step 2 gets a reference log-prob of −1e30
  for (const f of ['iter-1/train', 'iter-1/metrics.jsonl', 'iter-1/model', 'iter-1/summary.json', 'summary.json', 'report.html']) fs.rmSync(path.join(out, f), { recursive: true, force: true });
  const recFile = path.join(out, 'iter-1/records.jsonl');
  const recs = fs.readFileSync(recFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const groups = [...new Set(recs.map((x) => x.group))];
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  // the coordinator's order of prompt groups in epoch 0 (src/sppo/coordinator.ts stageTrain)
  const order = shuffle(groups.length, BigInt(cfg.seed) * 7919n + 1n * 104729n + 0n);
  const step2 = order.slice(cfg.batchSize, 2 * cfg.batchSize).map((i) => groups[i]);
  for (const x of recs) if (step2.includes(x.group)) x.refLogp = -1e30;
  fs.writeFileSync(recFile, recs.map((x) => JSON.stringify(x)).join('\n') + '\n');
  for (let attempt = 0; attempt < 2; attempt++) {
    r = spawnSync(process.execPath, [bin, 'train', '--config', file, '--resume'], { env: { ...env, SPPO_QUIET: '' }, encoding: 'utf8', timeout: 300_000 });
    assert.is.not(r.status, 0, 'exit status');
    assert.match(r.stderr, /sppo train: iteration 1, step 2 \(training unit 2 of \d+, steps 2–2\): the (loss|gradient norm) is (NaN|Infinity|-Infinity)/);
    assert.match(r.stderr, /ckpt\.safetensors \(step 1\) stays the checkpoint --resume starts from/);
    if (attempt === 1) assert.match(r.stderr, /resuming training at step 1/);
    const ckpt = path.join(out, 'iter-1/train/ckpt.safetensors');
    assert.ok(fs.existsSync(ckpt), 'the checkpoint of step 1 stays');
    assert.is(JSON.parse(SafetensorsFile.open(ckpt).metadata.meta).step, 1);
    assert.is(allFinite(ckpt), null);
    assert.not.ok(fs.existsSync(path.join(out, 'iter-1/model')), 'no model written');
  }
});

function sftData(): string {
  const data = path.join(tmp, 'sft.jsonl');
  const lines = ['the cat sat', 'a dog ran far', 'birds sing', 'fish swim deep', 'we go home', 'it is late'].map((t) => JSON.stringify({ prompt: 'Say:', response: ` ${t}` }));
  fs.writeFileSync(data, lines.join('\n') + '\n');
  return data;
}

s('sppo sft at lr 1e38: stops naming the step, writes nothing; rmsprop at lr 10 warns that the loss grows', () => {
  const data = sftData();
  const out = path.join(tmp, 'sft-1e38');
  let r = sppo(['sft', '--model', tiny, '--data', data, '--out', out, '--epochs', '3', '--batch-size', '2', '--lr', '1e38', '--optimizer', 'adamw', '--backend', 'wasm']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /sppo sft: step \d+ \(epoch \d+ of 3\)/);
  assert.not.ok(fs.existsSync(out), 'nothing written');
  const out2 = path.join(tmp, 'sft-rms10');
  r = sppo(['sft', '--model', tiny, '--data', data, '--out', out2, '--epochs', '8', '--batch-size', '2', '--lr', '10', '--optimizer', 'rmsprop', '--max-grad-norm', '0', '--schedule', 'constant', '--backend', 'wasm']);
  // either it diverges to NaN (stopped, nothing written) or it warns on the way
  if (r.status === 0) assert.match(r.stderr, /sppo sft: step \d+ \(epoch \d+ of 8\): the loss .* the first step's .* diverging/);
  else { assert.match(r.stderr, /sppo sft: step \d+/); assert.not.ok(fs.existsSync(out2)); }
  assert.match(r.stderr, /step \d+/);
});

s('sppo train-judge at lr 1e38: stops, writes nothing', () => {
  const data = path.join(tmp, 'pairs.jsonl');
  fs.writeFileSync(data, [['a', 'good answer', 'bad'], ['b', 'fine words', 'x'], ['c', 'long reply here', 'no']].map(([p, c, r]) => JSON.stringify({ prompt: p, chosen: c, rejected: r })).join('\n') + '\n');
  const out = path.join(tmp, 'judge-1e38');
  const r = sppo(['train-judge', '--model', tiny, '--data', data, '--out', out, '--epochs', '3', '--batch-size', '1', '--lr', '1e38', '--backend', 'wasm']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /train-judge: step \d+ \(epoch \d+ of 3\)/);
  assert.not.ok(fs.existsSync(out), 'nothing written');
});

s('a model with NaN weights loads with a warning naming the tensor', () => {
  const dir = path.join(tmp, 'nan-model');
  fs.mkdirSync(dir);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tiny, f), path.join(dir, f));
  const src = SafetensorsFile.open(path.join(tiny, 'model.safetensors'));
  const tensors = src.names().map((n) => ({ name: n, shape: src.info(n)!.shape, data: src.readFloat32(n), dtype: 'F32' as const }));
  const t = tensors.find((x) => x.name === 'model.layers.1.mlp.up_proj.weight')!;
  t.data[3] = NaN; t.data[7] = Infinity;
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors);
  const data = path.join(tmp, 'lp.jsonl');
  fs.writeFileSync(data, JSON.stringify({ prompt_ids: [256, 72], response_ids: [105, 32] }) + '\n');
  const r = sppo(['logprobs', '--model', dir, '--data', data, '--backend', 'wasm']);
  assert.match(r.stderr, /warning: .*NaN\/Inf weights in "model\.layers\.1\.mlp\.up_proj\.weight" \(2 of \d+ values\)/);
});

s.run();
