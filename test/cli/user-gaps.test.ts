// What a new user meets at the command line (issue 19.6, 15.6), through the built CLI:
//  - generate / logprobs / eval check the model before the prompts or data (the bigger mistake);
//  - a bad sampling flag is named as the flag (--top-p 2), never as an internal field;
//  - sft with neither --model nor --init says what to give (not "…, not both");
//  - `sppo judge` reads the samples.jsonl that `sppo train` writes (ids under "responses",
//    texts under "texts") as well as what `sppo generate` writes — the same matrices;
//  - `sppo eval` shows progress on stderr and takes builtin:NAME models.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tiny = path.join(root, 'test/fixtures/tiny/model');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-cli-gaps-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[], extraEnv: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 300_000, cwd: tmp });

const s = suite('CLI gaps a new user meets');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

s('a missing model is reported before a missing prompts/data file', () => {
  for (const args of [
    ['generate', '--model', '/nonexistent-model', '--prompts', 'missing.jsonl'],
    ['logprobs', '--model', '/nonexistent-model', '--data', 'missing.jsonl'],
    ['eval', '--model', '/nonexistent-model', '--baseline', tiny, '--prompts', 'missing.jsonl', '--judge', 'builtin:length'],
  ]) {
    const r = sppo([...args, '--backend', 'wasm']);
    assert.is(r.status, 1, args[0]);
    assert.match(r.stderr, /--model \/nonexistent-model does not exist: give a model directory/, args[0]);
    assert.not.match(r.stderr, /missing\.jsonl/, `${args[0]} names the model, not the prompts`);
  }
  const r = sppo(['eval', '--model', tiny, '--baseline', 'builtin:no-such', '--prompts', 'missing.jsonl', '--judge', 'builtin:length']);
  assert.match(r.stderr, /no embedded model "no-such"/);
});

s('--top-p 2 names the flag', () => {
  const prompts = path.join(tmp, 'p.txt');
  fs.writeFileSync(prompts, 'Say hi.\n');
  for (const cmd of ['generate', 'eval']) {
    const extra = cmd === 'eval' ? ['--baseline', tiny, '--judge', 'builtin:length'] : [];
    const r = sppo([cmd, '--model', tiny, '--prompts', prompts, '--top-p', '2', ...extra, '--backend', 'wasm']);
    assert.is(r.status, 1, cmd);
    assert.match(r.stderr, /--top-p 2 is invalid: use a number in \[0, 1\]/, cmd);
    assert.not.match(r.stderr, /SampleConfig/, cmd);
  }
});

s('sft: neither --model nor --init, and both', () => {
  const neither = sppo(['sft', '--data', 'x.jsonl', '--out', 'o']);
  assert.is(neither.status, 1);
  assert.match(neither.stderr, /give --model DIR \(fine-tune a model\) or --init CONFIG\.json --tokenizer FILE/);
  assert.not.match(neither.stderr, /not both/);
  const both = sppo(['sft', '--data', 'x.jsonl', '--out', 'o', '--model', tiny, '--init', 'c.json']);
  assert.match(both.stderr, /not both/);
});

s('sppo judge reads a run\'s samples.jsonl (texts under "texts") like generate\'s output', () => {
  const rows = [
    { index: 0, prompt: 'Say hi.', promptIds: [256, 83], responses: [[104, 105], [104], [104, 105, 33]], texts: ['hi', 'h', 'hi!'] },
    { index: 1, prompt: 'Name a color.', promptIds: [256, 78], responses: [[114, 101, 100], [98]], texts: ['red', 'b'] },
  ];
  const trainFile = path.join(tmp, 'samples.jsonl'), genFile = path.join(tmp, 'generated.jsonl');
  fs.writeFileSync(trainFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(genFile, rows.map((r) => JSON.stringify({ prompt: r.prompt, responses: r.texts })).join('\n') + '\n');
  const a = sppo(['judge', '--samples', trainFile, '--judge', 'builtin:length']);
  const b = sppo(['judge', '--samples', genFile, '--judge', 'builtin:length']);
  assert.is(a.status, 0, a.stderr);
  assert.is(b.status, 0, b.stderr);
  assert.is(a.stdout, b.stdout);
  const out = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(out.length, 2);
  assert.is(out[0].matrix.length, 3);
  assert.ok(out[0].matrix[1][2] > 0.5, "builtin:length prefers the shorter answer: h beats hi!");
  const bad = path.join(tmp, 'bad.jsonl');
  fs.writeFileSync(bad, JSON.stringify({ prompt: 'x', responses: [[1], [2]] }) + '\n');
  const r = sppo(['judge', '--samples', bad, '--judge', 'builtin:length']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /line 1: expected .*"texts"/);
});

s('sppo eval shows progress on stderr; models may be builtin:NAME', () => {
  const prompts = path.join(tmp, 'e.txt');
  fs.writeFileSync(prompts, 'What is 2+3?\nWhat is 10-4?\nWhat is 7+7?\n');
  const r = sppo(['eval', '--model', 'builtin:demo', '--baseline', 'builtin:demo', '--prompts', prompts, '--judge', 'builtin:arith', '--max-new-tokens', '8', '--backend', 'wasm'], { SPPO_QUIET: '' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /eval generate: 6\/6/);
  assert.match(r.stderr, /eval judge: 3\/3/);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.n, 3);
  assert.is(doc.winRate, 0.5, 'the same model, greedy: every pair is identical');
});

s('sppo train: small-model settings when η, optimizer and lr are left out (said once); loss/η² reported', () => {
  const base = { model: tiny, prompts: path.join(root, 'test/fixtures/tiny/prompts.jsonl'), judge: 'builtin:length', iterations: 1, k: 2, maxNewTokens: 4, maxPrompts: 2, batchSize: 2, backend: 'wasm' };
  const cfgFile = path.join(tmp, 'small.json');
  fs.writeFileSync(cfgFile, JSON.stringify({ ...base, out: path.join(tmp, 'small-run') }));
  const r = sppo(['train', '--config', cfgFile], { SPPO_QUIET: '' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.split('the config leaves η, optimizer and lr out').length - 1, 1, `said once:\n${r.stderr}`);
  assert.match(r.stderr, /for this \d+K-parameter model sppo uses η = 10, adamw, lr 0\.0001/);
  const written = JSON.parse(fs.readFileSync(path.join(tmp, 'small-run/config.json'), 'utf8'));
  assert.equal([written.eta, written.optimizer, written.lr], [10, 'adamw', 1e-4]);
  const out = JSON.parse(r.stdout).iterations[0];
  assert.ok(Number.isFinite(out.finalLoss));
  assert.ok(Math.abs(out.finalLossScaled - out.finalLoss / 100) <= 1e-12 * Math.max(1, out.finalLoss), 'finalLossScaled = finalLoss / η²');
  const metrics = fs.readFileSync(path.join(tmp, 'small-run/iter-1/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const m of metrics) assert.ok(Math.abs(m.lossScaled - m.loss / 100) <= 1e-12 * Math.max(1, m.loss));
  // η given (the original's 1000): kept, with a note on what it means at this size
  fs.writeFileSync(cfgFile, JSON.stringify({ ...base, eta: 1000, out: path.join(tmp, 'big-eta-run') }));
  const big = sppo(['train', '--config', cfgFile], { SPPO_QUIET: '' });
  assert.is(big.status, 0, big.stderr);
  assert.match(big.stderr, /η = 1000 on a \d+K-parameter model: the SPPO targets η\(P̂ − ½\) reach ±500 nats/);
  assert.is(JSON.parse(fs.readFileSync(path.join(tmp, 'big-eta-run/config.json'), 'utf8')).eta, 1000);
});

s.run();
