// The tiny example (examples/tiny): its own run — the README's `sppo train --config
// examples/tiny/sppo.config.json`, here into a temporary directory, with a seed drawn from
// SPPO_SEED — moves the trained 2-layer policy: the last iteration's win rate against the base
// is above 0.55 (across seeds 1–8 it ended at 0.61–0.66, its 95% interval's lower end ≥ 0.58),
// and, checked apart from the judge's probabilities, its answers are right more often than the
// base's on the held-out evaluation prompts.
// SPPO_TINY_RETRAIN=1 also retrains the policy with tools/tiny/train.sh (~1 minute) and checks
// the committed weights are what it makes, byte for byte.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { arithAnswer, arithCorrect } from '../../src/judge/arith.js';
import { SEED } from '../kernels/harness.js';
import { ensureBuilt, root } from './built.js';

ensureBuilt();
const example = path.join(root, 'examples/tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-tiny-example-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const seed = 1 + (SEED % 1000);

test(`the tiny example's run: win rate above 0.55 against its starting policy (seed ${seed})`, () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'sppo.config.json'), 'utf8'));
  // the README's command as it is, but for the run directory and the seed
  for (const k of ['model', 'prompts', 'evalPrompts', 'judge']) cfg[k] = path.resolve(example, cfg[k]);
  Object.assign(cfg, { out: path.join(tmp, 'run'), seed });
  const file = path.join(tmp, 'sppo.config.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sppo.mjs'), 'train', '--config', file], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, SPPO_QUIET: '1' } });
  assert.is(r.status, 0, `sppo train failed (seed ${seed}): ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.iterations.length, cfg.iterations);
  const rates = doc.iterations.map((it: { eval: { winRate: number; ci95: [number, number] } }) => it.eval);
  const fmt = (e: { winRate: number; ci95: [number, number] }) => `${e.winRate.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]`;
  // accuracy of the last iterate and of the base on the same evaluation prompts, from the answers
  const ev = JSON.parse(fs.readFileSync(path.join(tmp, 'run', `iter-${cfg.iterations}`, 'eval.json'), 'utf8'));
  const acc = (key: 'response' | 'baseline') => ev.samples.filter((s: Record<string, string>) => arithCorrect(s[key], arithAnswer(s.prompt)!)).length / ev.samples.length;
  console.log(`    seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s: win rate vs base by iteration ${rates.map(fmt).join(', ')}; ` +
    `accuracy ${(100 * acc('baseline')).toFixed(1)}% → ${(100 * acc('response')).toFixed(1)}% (n = ${ev.samples.length})`);
  const last = rates[rates.length - 1];
  for (const e of rates) assert.ok(Number.isFinite(e.winRate) && e.ci95[0] <= e.winRate && e.winRate <= e.ci95[1], 'win rate inside its interval');
  assert.ok(last.winRate > 0.55, `the last win rate ${fmt(last)} is not above 0.55 (seed ${seed})`);
  assert.ok(acc('response') > acc('baseline') + 0.1, `accuracy ${acc('baseline')} → ${acc('response')} did not rise by 10 points (seed ${seed})`);
  assert.is(ev.samples.length, 220);
});

if (process.env.SPPO_TINY_RETRAIN === '1') {
  test('tools/tiny/train.sh makes the committed weights, byte for byte', () => {
    const out = path.join(tmp, 'model');
    const r = spawnSync('bash', [path.join(root, 'tools/tiny/train.sh'), out], { encoding: 'utf8', timeout: 900_000, cwd: root });
    assert.is(r.status, 0, r.stderr);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
      assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(example, 'model', f))), `${f} differs from examples/tiny/model/${f}`);
    }
  });
}

test.run();
