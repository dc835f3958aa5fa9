// Issue 18, defect 2 (and k from 5): every run config is checked before any work and before
// any file is written. resolveConfig refuses wrong types, non-integers, out-of-range values and
// inherited keys with one error naming the file, the key and the range; seeded mutations of a
// valid config give a config or one such error, never anything else. Through the CLI: a bad
// config, an "out" that is a file or an unwritable directory, or a model whose context cannot
// hold maxNewTokens leave nothing behind, and the corrected config then starts cleanly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULTS, resolveConfig } from '../../src/sppo/config.js';
import { checkSFTOptions } from '../../src/train/sft.js';
import { checkOptimizerConfig } from '../../src/train/optimizer.js';
import { Rng, SEED } from '../kernels/harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const example = path.join(root, 'test/fixtures/tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-guards-cfg-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const base = { model: 'm', prompts: 'p', judge: 'builtin:length' };

const s = suite('guards: run configs are checked before work starts');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

s('the probe\'s configs: one error naming file, key and range', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ seed: 1.5 }, /cfg\.json: "seed" must be an integer ≥ -9007199254740991 and ≤ 9007199254740991/],
    [{ stop: [5] }, /cfg\.json: "stop"\[0\] must be a non-empty string, got 5/],
    [{ maxGradNorm: -1 }, /"maxGradNorm" must be a number with 0 ≤ x ≤ finite, got -1/],
    [{ warmupSteps: 1e9 }, /"warmupSteps" must be an integer ≥ 0 and ≤ 1000000, got 1000000000/],
    [{ k: 1e9 }, /"k" must be an integer ≥ 2 and ≤ 1024/],
    [{ k: 1 }, /"k" must be an integer ≥ 2 and ≤ 1024/],
    [{ weightDecay: -0.1 }, /"weightDecay" must be a number/],
    [{ optimizer: 'adamw', lr: 1, weightDecay: 5 }, /"weightDecay" 5 with "lr" 1: AdamW .*lr·weightDecay ≤ 1/],
    [{ lr: Infinity }, /"lr" must be a number/],
    [{ temperature: NaN }, /"temperature" must be a number/],
    [{ labelSmoothing: 0.5 }, /"labelSmoothing" must be a number with 0 ≤ x < 0\.5/],
    [{ loraTargets: ['q', 'zz'] }, /"loraTargets"\[1\] must be a projection name/],
    [{ batchSize: 2.5 }, /"batchSize" must be an integer/],
    [{ out: '' }, /"out" is required/],
    [{ constructor: 1 }, /unknown key "constructor"/],
    [{ toString: 'x' }, /unknown key "toString"/],
    [JSON.parse('{"__proto__": {"k": 1}}'), /unknown key "__proto__"/],
    [{ hasOwnProperty: 1 }, /unknown key "hasOwnProperty"/],
  ];
  for (const [over, re] of bad) {
    let msg = '';
    try { resolveConfig({ ...base, ...over }, 'cfg.json'); } catch (e) { msg = (e as Error).message; }
    assert.match(msg, re, `${JSON.stringify(over)}: got "${msg}"`);
    assert.match(msg, /^cfg\.json: /);
  }
  // still fine: the examples' values, seeds as large as a safe integer, eta via beta
  assert.is(resolveConfig({ ...base, seed: 2 ** 53 - 1 }).seed, 2 ** 53 - 1);
  assert.is(resolveConfig({ ...base, beta: 0.5 }).eta, 2);
  assert.not.ok(Object.prototype.hasOwnProperty.call(Object.prototype, 'k'), 'no prototype pollution');
});

s('seeded mutations of a valid config: a config, or one error naming the key', () => {
  const rng = new Rng((SEED ^ 0x2c0f) >>> 0);
  const keys = Object.keys(DEFAULTS);
  const values: unknown[] = [0, -1, 1, 2, 1.5, 1e9, 1e300, -1e-9, '', 'x', null, true, [], [1], ['q'], {}, 2 ** 31, 2 ** 53, 0.5, 'adamw', 'left', 'wasm'];
  for (let n = 0; n < 2000; n++) {
    const cfg: Record<string, unknown> = { ...base };
    for (let m = rng.int(1, 4); m > 0; m--) cfg[keys[rng.int(0, keys.length)]] = values[rng.int(0, values.length)];
    let c;
    try { c = resolveConfig(cfg, 'mut.json'); } catch (e) {
      assert.match((e as Error).message, /^mut\.json: "[\w.]+"/, `mutation ${n} (seed ${SEED}): ${(e as Error).message}`);
      continue;
    }
    // a config that passed holds only sound values
    for (const k of ['k', 'iterations', 'epochs', 'batchSize', 'gradAccum', 'maxNewTokens', 'trainUnit', 'generateUnit', 'warmupSteps', 'seed', 'topK', 'loraRank']) {
      assert.ok(Number.isSafeInteger((c as any)[k]), `mutation ${n}: ${k} = ${(c as any)[k]} (seed ${SEED})`);
    }
    for (const k of ['lr', 'eta', 'weightDecay', 'maxGradNorm', 'temperature', 'topP', 'labelSmoothing', 'loraAlpha']) {
      assert.ok(Number.isFinite((c as any)[k]) && (c as any)[k] >= 0, `mutation ${n}: ${k} = ${(c as any)[k]} (seed ${SEED})`);
    }
    assert.ok(c.k <= 1024 && c.stop.every((x) => typeof x === 'string' && x));
  }
});

function write(name: string, over: Record<string, unknown>): string {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'sppo.config.json'), 'utf8'));
  Object.assign(cfg, { model: path.join(example, 'model'), prompts: path.join(example, 'prompts.jsonl'), judge: path.join(example, 'judge.mjs'), backend: 'wasm', iterations: 1, evalSize: 0 }, over);
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}
const train = (file: string, ...more: string[]) => spawnSync(process.execPath, [bin, 'train', '--config', file, ...more], { env, encoding: 'utf8', timeout: 300_000 });

s('sppo train: a bad config writes nothing; an "out" that is a file or unwritable gets one clear message', () => {
  const out = path.join(tmp, 'run-a');
  for (const over of [{ weightDecay: -5 }, { seed: 1.5 }, { stop: [5] }, { maxNewTokens: 128 }]) {
    const r = train(write('bad', { ...over, out }));
    assert.is.not(r.status, 0, JSON.stringify(over));
    assert.match(r.stderr, /"(weightDecay|seed|stop|maxNewTokens)"/);
    assert.not.ok(fs.existsSync(out) && fs.readdirSync(out).length, `${JSON.stringify(over)}: ${out} stays empty`);
  }
  // the corrected config then runs in the same "out" (no "already holds a run", no "different config")
  const ok = train(write('good', { out }));
  assert.is(ok.status, 0, ok.stderr);
  assert.ok(fs.existsSync(path.join(out, 'iter-1/model/model.safetensors')));
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, 'x');
  let r = train(write('outfile', { out: file }));
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /"out": .*a-file is a file, not a directory/);
  assert.not.match(r.stderr, /ENOTDIR|EEXIST/);
  r = train(write('outunder', { out: path.join(file, 'run') }));
  assert.match(r.stderr, /a-file is a file, not a directory/);
  if (process.getuid?.() !== 0) {
    const ro = path.join(tmp, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    r = train(write('outro', { out: path.join(ro, 'run') }));
    assert.match(r.stderr, /is not writable by this user/);
    assert.not.match(r.stderr, /EACCES/);
  }
});

s('sft and judge-training options: checked before any work (a batch size of 0 looped forever)', () => {
  const ok = { optimizer: { name: 'adamw' as const, lr: 1e-3 }, batchSize: 4, epochs: 1 };
  checkSFTOptions(ok);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ batchSize: 0 }, /sft: batchSize must be an integer ≥ 1/], [{ epochs: 1.5 }, /epochs must be an integer/],
    [{ gradAccum: 0 }, /gradAccum/], [{ warmupSteps: -1 }, /warmupSteps/], [{ maxLength: 1 }, /maxLength/],
    [{ schedule: 'step' }, /schedule must be constant, linear or cosine/],
    [{ optimizer: { name: 'adamw', lr: Infinity } }, /lr must be a finite number ≥ 0, got Infinity/],
    [{ optimizer: { name: 'adamw', lr: 1e-3, beta1: 1 } }, /beta1 must be a finite number in \[0, 1\)/],
    [{ optimizer: { name: 'rmsprop', lr: 1e-3, weightDecay: NaN } }, /weightDecay must be a finite number ≥ 0, got NaN/],
    [{ optimizer: { name: 'sgd', lr: 1e-3, maxGradNorm: -1 } }, /maxGradNorm/],
    [{ optimizer: { name: 'adamw', lr: 1, weightDecay: 5 } }, /AdamW scales weights by 1 − lr·weightDecay/],
    [{ optimizer: { name: 'adam', lr: 1 } }, /unknown optimizer "adam"/],
  ];
  for (const [over, re] of bad) assert.throws(() => checkSFTOptions({ ...ok, ...over } as any), re, JSON.stringify(over));
  assert.throws(() => checkOptimizerConfig({ name: 'adamw', lr: -1 }, 'train-judge'), /^train-judge: lr must be/);
  const out = path.join(tmp, 'sft-bs0');
  const r = spawnSync(process.execPath, [bin, 'sft', '--model', path.join(example, 'model'), '--data', path.join(example, 'prompts.jsonl'), '--out', out, '--batch-size', '0', '--backend', 'wasm'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /sppo sft: batchSize must be an integer ≥ 1 and ≤ 65536, got 0/);
  assert.not.ok(fs.existsSync(out));
});

s.run();
