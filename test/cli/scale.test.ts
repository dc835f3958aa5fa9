// Real-size model paths through the built CLI on the wasm backend, with bf16 models in the
// shapes of real checkpoints written by tools/scale-model.ts (random weights, GPT-2 tokenizer):
//  - every run (small shapes, same code paths): `sppo logprobs` and `sppo generate` give the same
//    output when a tight SPPO_MEMORY_BUDGET makes the planner split them into more passes; a
//    budget too small fails with one error that gives the numbers and the fixes; one `sppo train`
//    iteration with LoRA (K = 2) completes;
//  - SPPO_BIG=1: `sppo logprobs` (16 sequences × 128 tokens, the case issue 11 reported running out
//    of memory) and `sppo generate` on the Qwen2.5-0.5B shape, and one `sppo train` iteration
//    with LoRA (K = 2, 4 prompts, 16 new tokens) on the Llama-3.2-1B shape; the peak wasm memory
//    and RSS of each command are printed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeScaleModel } from '../../tools/scale-model.js';
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { memoryBudget, passBytes } from '../../src/model/plan.js';
import { Rng, SEED } from '../kernels/harness.js';
import { ensureBuilt } from '../examples/built.js';

ensureBuilt();
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-scale-'));
const BIG = process.env.SPPO_BIG === '1';

function sppo(args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SPPO_QUIET: '1', SPPO_MEMORY_REPORT: '1', SPPO_PLAN_LOG: '1', ...extraEnv }, encoding: 'utf8', timeout: BIG ? 3_600_000 : 300_000, maxBuffer: 1 << 28 });
  const mem = /sppo-memory: (.*)/.exec(r.stderr ?? '');
  const plans = [...(r.stderr ?? '').matchAll(/sppo plan: (.*)/g)].map((m) => m[1]);
  return { ...r, memory: mem ? JSON.parse(mem[1]) : null, plans };
}
const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
function report(what: string, r: ReturnType<typeof sppo>) {
  console.log(`    ${what}: peak wasm memory ${r.memory ? gib(r.memory.peakDeviceBytes) : '?'}, peak RSS ${r.memory ? gib(r.memory.peakRss) : '?'}${r.plans.length ? `; ${r.plans[0]}` : ''}`);
}

function idsData(file: string, vocab: number, n: number, len: () => number, rng: Rng): void {
  const lines = Array.from({ length: n }, () => {
    const L = len();
    const ids = Array.from(rng.i32(L, 0, vocab));
    return JSON.stringify({ prompt_ids: ids.slice(0, 3), response_ids: ids.slice(3) });
  });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

const prompts = ['Write a haiku about the sea.', 'What is 17 + 25?', 'Name three colours.', 'Tell me a short story about a fox.', 'Why is the sky blue?', 'Say hello.'];

const s = suite(BIG ? 'real-size shapes through the CLI (SPPO_BIG=1)' : 'real-size code paths through the CLI (small shapes)');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const qwen = path.join(tmp, BIG ? 'qwen2.5-0.5b' : 'tiny-qwen2');
const llama = path.join(tmp, BIG ? 'llama3.2-1b' : 'tiny-llama');

s('logprobs: a tight budget splits the passes, same numbers; too tight: one clear error', async () => {
  const shape = writeScaleModel(qwen, BIG ? 'qwen2.5-0.5b' : 'tiny-qwen2', 3);
  const rng = new Rng(SEED ^ 0x5ca1e);
  const data = path.join(tmp, 'lp.jsonl');
  const n = 16, T = BIG ? 128 : 37;
  idsData(data, shape.vocab, n, () => (BIG ? T : 5 + rng.int(0, T - 4)), rng);
  const full = sppo(['logprobs', '--model', qwen, '--data', data, '--batch-size', String(n), '--backend', 'wasm']);
  assert.is(full.status, 0, full.stderr);
  report(`logprobs ${path.basename(qwen)} ${n}×${T}`, full);
  const a = full.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(a.length, n);
  for (const x of a) assert.ok(Number.isFinite(x.logprob) && x.token_logprobs.every((v: number) => Number.isFinite(v) && v <= 0), 'finite log-probs ≤ 0');
  if (BIG) return;
  // the same held bytes as the command, plus room for 3 rows: the planner must split 16 rows
  const be = await createBackend('wasm', { threads: 1 });
  const { model } = loadModel(be, qwen, { seq: T });
  const held = memoryBudget(be).inUse;
  model.dispose(); be.destroy();
  const budget = held + passBytes(model.arch, 'score', { rows: 3, seq: T, recompute: true });
  const split = sppo(['logprobs', '--model', qwen, '--data', data, '--batch-size', String(n), '--backend', 'wasm'], { SPPO_MEMORY_BUDGET: String(budget) });
  assert.is(split.status, 0, split.stderr);
  const rows = Number(/: (\d+) of 16 rows/.exec(split.plans[0] ?? '')?.[1]);
  assert.ok(rows >= 1 && rows < n, `the planner should take fewer than ${n} rows per pass: ${split.plans[0]}`);
  const b = split.stdout.trim().split('\n').map((l) => JSON.parse(l));
  a.forEach((x, i) => {
    assert.is(b[i].token_logprobs.length, x.token_logprobs.length);
    x.token_logprobs.forEach((v: number, j: number) => assert.ok(Math.abs(v - b[i].token_logprobs[j]) <= 1e-4 * Math.max(1, Math.abs(v)), `line ${i + 1} token ${j}: ${b[i].token_logprobs[j]} vs ${v} (seed ${SEED})`));
  });
  const tight = sppo(['logprobs', '--model', qwen, '--data', data, '--backend', 'wasm'], { SPPO_MEMORY_BUDGET: '2MiB' });
  assert.is.not(tight.status, 0);
  assert.match(tight.stderr, /does not fit: it needs about [\d.]+ MiB \(weights [\d.]+ MiB, one \d+-token sequence's activations [\d.]+ MiB[^)]*\), over the wasm budget of 2\.0 MiB \(override\)/);
  // the bf16 checkpoint's matrices already stay 16-bit for log-probs: the fixes left are these
  assert.match(tight.stderr, /to make it fit: shorter sequences, or a smaller model/);
  const w = Number(/weights ([\d.]+) MiB/.exec(tight.stderr)![1]);
  const params = shape.vocab * shape.hidden + shape.layers * (shape.hidden * (2 * shape.hidden + 2 * shape.kvHeads * shape.hidden / shape.heads) + 3 * shape.hidden * shape.intermediate);
  assert.ok(Math.abs(w * 2 ** 20 - 2 * params) < 0.05 * 2 * params, `weights counted 16-bit: ${w} MiB for ${params} matrix parameters`);
  assert.not.match(tight.stderr, /\n\s+at /, 'no stack trace');
});

s('generate: a tight budget decodes in smaller batches, the same responses', async () => {
  const pf = path.join(tmp, 'prompts.jsonl');
  fs.writeFileSync(pf, prompts.map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
  const args = ['generate', '--model', qwen, '--prompts', pf, '--n', '2', '--max-new-tokens', BIG ? '16' : '6', '--temperature', '1', '--seed', '5', '--backend', 'wasm', '--no-chat'];
  const full = sppo(args);
  assert.is(full.status, 0, full.stderr);
  report(`generate ${path.basename(qwen)} ${prompts.length}×2`, full);
  const a = full.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(a.length, prompts.length);
  for (const r of a) assert.is(r.responses.length, 2);
  if (BIG) return;
  const be = await createBackend('wasm', { threads: 1 });
  const { model } = loadModel(be, qwen);
  const held = memoryBudget(be).inUse;
  model.dispose(); be.destroy();
  const budget = held + passBytes(model.arch, 'decode', { rows: 3, seq: 24 + 6, prefill: 24, recompute: false });
  const split = sppo(args, { SPPO_MEMORY_BUDGET: String(budget) });
  assert.is(split.status, 0, split.stderr);
  const rows = Number(/generation: (\d+) of (\d+) rows/.exec(split.plans[0] ?? '')?.[1]);
  assert.ok(rows >= 1 && rows < 12, `generation should decode fewer than 12 rows at a time: ${split.plans.join(' | ')}`);
  // each (prompt, sample) has its own seeded stream: batching must not change a response
  assert.equal(split.stdout.trim().split('\n').map((l) => JSON.parse(l)), a);
});

s('train: one SPPO iteration with LoRA (K = 2) completes', () => {
  writeScaleModel(llama, BIG ? 'llama3.2-1b' : 'tiny-llama', 4);
  const pf = path.join(tmp, 'train-prompts.jsonl');
  fs.writeFileSync(pf, prompts.slice(0, 4).map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
  const cfgFile = path.join(tmp, 'sppo.config.json');
  fs.writeFileSync(cfgFile, JSON.stringify({
    model: llama, prompts: pf, judge: 'builtin:length', out: path.join(tmp, 'run'), iterations: 1, k: 2, loss: 'sppo', eta: 10,
    optimizer: 'adamw', lr: 1e-3, batchSize: 2, maxNewTokens: 16, maxPromptTokens: 32, temperature: 1, topP: 1, seed: 1, backend: 'wasm',
    generateUnit: 4, trainUnit: 4, loraRank: 4, loraAlpha: 8, loraTargets: ['q', 'v'], evalSize: 0,
  }));
  const r = sppo(['train', '--config', cfgFile]);
  assert.is(r.status, 0, r.stderr);
  report(`train ${path.basename(llama)} LoRA K=2`, r);
  const out = JSON.parse(r.stdout);
  assert.is(out.iterations.length, 1);
  const it = out.iterations[0];
  assert.ok(it.steps >= 1 && Number.isFinite(it.finalLoss), `one iteration trained: ${JSON.stringify(it)}`);
  assert.ok(r.plans.some((p) => /preference-training pass/.test(p)), 'the training passes were planned');
});

s('doctor says which memory limit is in force and the WebGPU binding limit', () => {
  const j = sppo(['doctor', '--json']);
  assert.is(j.status, 0, j.stderr);
  const m = JSON.parse(j.stdout).memory;
  assert.is(m.wasmLimit, 'wasm32');
  assert.is(m.wasmMaxBytes, 4 * 2 ** 30);
  // Node 20 has no wasm memory64; Node ≥ 24 does (reported, not used yet)
  assert.is(m.memory64Available, Number(process.versions.node.split('.')[0]) >= 24);
  const text = sppo(['doctor'], { SPPO_MEMORY_BUDGET: '3GiB' });
  assert.match(text.stdout, /memory: wasm limit in force wasm32 \(4\.00 GiB\)/);
  assert.match(text.stdout, /webgpu: one storage binding ≤ /);
  assert.match(text.stdout, /SPPO_MEMORY_BUDGET: 3\.00 GiB/);
});

s.run();
