// Fine-tuning PairRM: gradients of a training batch against float64 PyTorch autograd
// (tools/fixture_pairrm.py: two pairs in both orders, mean BCE of z against p / 1 − p) — the
// loss, the logits, every parameter's gradient norm and its dot with a fixed probe vector, and
// whole gradients of seven tensors (the head, the relative embeddings and their norm, biases) —
// on every backend; then a few optimizer steps through trainPairwise lower the loss, and the saved
// directory loads back as a judge (loadJudge) that prefers the chosen responses more.
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJudge } from '../../src/judge/load.js';
import { PairRM } from '../../src/judge/pairrm.js';
import { trainPairwise } from '../../src/judge/pairwise-train.js';
import { backendNames, expectClose, getBackend, type Backend } from '../kernels/harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.resolve(here, '../fixtures/pairrm');

interface Expected {
  train: {
    batch: { ids: number[]; label: number }[]; logits: number[]; loss: number;
    grads: Record<string, { norm: number; probe: number; full?: number[] }>;
  };
  triples: { prompt: string; a: string; b: string; options: Record<string, number> }[];
}
const ex: Expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8'));

const root = path.resolve(here, '../..');
const sppo = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/sppo.mjs'), ...args], { env: { ...process.env, SPPO_QUIET: '1' }, encoding: 'utf8', timeout: 300_000 });

{
  const s = suite('pairrm fine-tuning [cli]');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-pairrm-cli-'));
  s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  s('sppo train-judge --init pairrm --model DIR, then sppo judge --judge OUT', () => {
    const data = path.join(tmp, 'pairs.jsonl'), out = path.join(tmp, 'out');
    fs.writeFileSync(data, [
      { prompt: 'hello, how are you?', chosen: 'get out!', rejected: 'hi! I am fine, thanks!' },
      { prompt: 'I love you!', chosen: 'I hate you!', rejected: 'I love you too!' },
    ].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const r = sppo(['train-judge', '--init', 'pairrm', '--model', fixture, '--data', data, '--out', out, '--epochs', '3', '--batch-size', '2', '--lr', '3e-3', '--backend', 'wasm']);
    assert.is(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.is(summary.steps, 3);
    assert.ok(summary.train_loss < Math.log(2), `train loss ${summary.train_loss}`);
    const samples = path.join(tmp, 'samples.jsonl');
    fs.writeFileSync(samples, JSON.stringify({ prompt: 'I love you!', responses: ['I hate you!', 'I love you too!'] }) + '\n');
    const j = sppo(['judge', '--samples', samples, '--judge', `${out}?backend=wasm`]);
    assert.is(j.status, 0, j.stderr);
    const row = JSON.parse(j.stdout.trim().split('\n')[0]);
    assert.ok(row.matrix[0][1] > 0.5, `the fine-tuned PairRM prefers the trained answer: ${row.matrix[0][1]}`);
    // --init pairrm needs a PairRM directory
    const bad = sppo(['train-judge', '--init', 'pairrm', '--data', data, '--out', path.join(tmp, 'x')]);
    assert.is.not(bad.status, 0);
    assert.match(bad.stderr, /--init pairrm needs --model DIR/);
    const notPairRM = sppo(['train-judge', '--init', 'pairrm', '--model', path.join(root, 'examples/tiny/model'), '--data', data, '--out', path.join(tmp, 'y')]);
    assert.is.not(notPairRM.status, 0);
    assert.match(notPairRM.stderr, /is not a PairRM directory/);
  });
  s.run();
}

for (const bname of backendNames()) {
  const s = suite(`pairrm fine-tuning [${bname}]`);
  let be: Backend;
  const tmp: string[] = [];
  s.before(async () => { be = await getBackend(bname); });
  s.after(() => { for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  s('every gradient matches PyTorch autograd (float64)', async () => {
    const m = PairRM.load(be, fixture, { training: true });
    try {
      const t = ex.train;
      const grads = m.zeroGrad();
      assert.equal([...grads.keys()].sort(), Object.keys(t.grads).sort(), 'one gradient per checkpoint tensor');
      const { loss, logits } = await m.accumulate(t.batch, 1 / t.batch.length);
      assert.ok(Math.abs(loss - t.loss) < 1e-5, `loss ${loss} vs ${t.loss}`);
      expectClose(logits, t.logits, 1e-4, 'logits');
      let worstNorm = 0, worstProbe = 0;
      for (const [name, want] of Object.entries(t.grads)) {
        const g = await be.read(grads.get(name)!);
        let sq = 0, probe = 0;
        for (let i = 0; i < g.length; i++) { sq += g[i] * g[i]; probe += g[i] * Math.sin(0.37 * i + 0.11); }
        const norm = Math.sqrt(sq);
        assert.ok(Number.isFinite(norm), `${name}: gradient not finite`);
        const eNorm = Math.abs(norm - want.norm) / Math.max(want.norm, 1e-6);
        // the probe is a signed sum: judge it against the gradient's size
        const eProbe = Math.abs(probe - want.probe) / Math.max(want.norm * Math.sqrt(g.length), 1e-6);
        worstNorm = Math.max(worstNorm, eNorm); worstProbe = Math.max(worstProbe, eProbe);
        assert.ok(eNorm < 1e-4, `${name}: |grad| ${norm} vs ${want.norm}`);
        assert.ok(eProbe < 1e-5, `${name}: probe ${probe} vs ${want.probe}`);
        if (want.full) expectClose(g, want.full, 1e-4, `${name} gradient`);
      }
      console.log(`    [${bname}] ${Object.keys(t.grads).length} gradients: worst norm rel err ${worstNorm.toExponential(1)}, probe ${worstProbe.toExponential(1)}`);
    } finally { m.dispose(); }
  });

  s('a few AdamW steps lower the loss; the saved directory is a PairRM judge again', async () => {
    const m = PairRM.load(be, fixture, { training: true });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-pairrm-ft-'));
    tmp.push(out);
    const pairs = ex.triples.filter((t) => Object.keys(t.options).length === 0).map((t) => ({ prompt: t.prompt, chosen: t.b, rejected: t.a, probability: 1, line: 0 }));
    let before: number[];
    try {
      before = Array.from(await m.prefer(pairs.map((p) => ({ prompt: p.prompt, a: p.chosen, b: p.rejected }))));
      const r = await trainPairwise(m, pairs, { optimizer: { name: 'adamw', lr: 3e-3, weightDecay: 0, maxGradNorm: 1 }, batchSize: 2, epochs: 4, seed: 1 });
      assert.ok(r.losses.every(Number.isFinite));
      assert.ok(r.epochs[r.epochs.length - 1].loss < r.epochs[0].loss, `epoch losses ${r.epochs.map((e) => e.loss.toFixed(4)).join(' → ')}`);
      m.training = { steps: r.steps };
      await m.save(out);
    } finally { m.dispose(); }
    for (const f of ['config.json', 'model.safetensors', 'spm.model', 'added_tokens.json']) assert.ok(fs.existsSync(path.join(out, f)), `${f} written`);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.equal(cfg.architectures, ['DebertaV2PairRM']);
    assert.equal(cfg.sppo_training, { steps: 8 });
    const judge = await loadJudge(out, { backend: be });
    try {
      const after = await judge.compare(pairs.map((p) => ({ prompt: p.prompt, a: p.chosen, b: p.rejected })));
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
      assert.ok(mean(after) > mean(before), `P(chosen ≻ rejected) ${mean(before).toFixed(4)} → ${mean(after).toFixed(4)}`);
    } finally { await judge.close?.(); }
  });

  s.run();
}
