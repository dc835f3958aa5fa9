// The learned pairwise judge (PairRM-style cross-encoder): on every backend, its logits against
// an independent float64 forward (test/model/ref-model.ts, with the score head as a one-row LM
// head) and every parameter's gradient (trunk + head) against central finite differences of the
// float64 loss; on one backend (wasm when available), training a tiny random model on a
// synthetic preference ("the response with more letters a wins") to ≥ 90% held-out accuracy,
// the saved directory through loadJudge, and `sppo train-judge` end to end. Also: the sequence
// format and its truncation, and clear errors for bad data lines.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/model/config.js';
import { Checkpoint } from '../../src/model/io-files.js';
import { loadJudge } from '../../src/judge/load.js';
import { packRows } from '../../src/judge/model-common.js';
import { PairwiseModel } from '../../src/judge/pairwise-model.js';
import { evaluatePairwise, trainPairwise } from '../../src/judge/pairwise-train.js';
import { DEFAULT_PAIRWISE_FORMAT, shareBudget } from '../../src/judge/pairwise-format.js';
import { parsePreferenceJsonl, type PreferencePair } from '../../src/judge/preference-data.js';
import { backendNames, expectClose, getBackend, Rng, SEED, type Backend } from '../kernels/harness.js';
import { refLogits } from '../model/ref-model.js';
import { logistic, rejects } from './util.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tokenizerFile = path.join(root, 'test/fixtures/tiny/model/tokenizer.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-pairwise-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** a tiny Llama config over the 258-id byte-level tokenizer of test/fixtures/tiny */
function tinyConfig(hidden: number, intermediate: number, heads: number, kvHeads: number, qwen = false) {
  return parseConfig({
    architectures: [qwen ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'], model_type: qwen ? 'qwen2' : 'llama', vocab_size: 258,
    hidden_size: hidden, intermediate_size: intermediate, num_hidden_layers: 2, num_attention_heads: heads,
    num_key_value_heads: kvHeads, rms_norm_eps: 1e-5, max_position_embeddings: 128, tie_word_embeddings: false,
    bos_token_id: 256, eos_token_id: 257,
  }, 'tiny pairwise config');
}

/** random parameters (host copies, written to the model) so every gradient is non-trivial */
async function randomize(m: PairwiseModel, rng: Rng): Promise<Map<string, Float64Array>> {
  const host = new Map<string, Float64Array>();
  for (const [name, t] of m.params()) {
    const a = new Float32Array(t.size);
    const isNorm = /ln\d\.w|norm\.w/.test(name);
    for (let i = 0; i < a.length; i++) {
      a[i] = isNorm ? 1 + 0.2 * rng.normal()
        : name === 'embed' || name === 'score.w' ? rng.normal()
        : name.endsWith('.b') ? 0.2 * rng.normal()
        : 0.3 * rng.normal();
    }
    m.be.write(t, a);
    host.set(name, Float64Array.from(a));
  }
  return host;
}

/** float64 logits z of sequences: the reference trunk with the score row as a one-row LM head */
function refZ(m: PairwiseModel, host: Map<string, Float64Array>, seqs: number[][]): Float64Array {
  const arch = { ...m.trunk.arch, tied: false };
  const V = arch.vocab, C = arch.hidden;
  const head = new Float64Array(V * C);
  head.set(host.get('score.w')!);
  const { batch, last } = packRows(seqs);
  const logits = refLogits(arch, (n) => (n === 'lm_head.w' ? head : host.get(n)!), batch);
  const b = host.get('score.b')![0];
  return Float64Array.from(last, (row) => logits[row * V] + b);
}

const bce = (z: number, y: number) => Math.log(1 + Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;

function randomText(rng: Rng, n: number, alphabet = 'abcdefgh ij'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length)];
  return s;
}

for (const bname of backendNames()) {
  const s = suite(`pairwise judge model [${bname}]`);
  let be: Backend;
  s.before(async () => { be = await getBackend(bname); });

  for (const qwen of [false, true]) {
    const label = qwen ? 'qwen2 (q/k/v bias)' : 'llama (GQA)';
    s(`${label}: logits and P(a ≻ b) match the float64 reference`, async () => {
      const rng = new Rng((SEED ^ 0x9a1 ^ (qwen ? 7 : 0)) >>> 0);
      const m = PairwiseModel.fresh(be, tinyConfig(16, 24, 4, qwen ? 4 : 2, qwen), tokenizerFile, { seed: rng.int(0, 1e6) });
      try {
        const host = await randomize(m, rng);
        const pairs = [1, 3, 17, 5].map((n) => ({ prompt: randomText(rng, rng.int(0, 9)), a: randomText(rng, n), b: randomText(rng, rng.int(1, 12)) }));
        const seqs = pairs.flatMap((p) => [m.encode(p.prompt, p.a, p.b), m.encode(p.prompt, p.b, p.a)]);
        const want = refZ(m, host, seqs);
        expectClose(await m.logits(seqs, 3), want, 1e-4, `${label} logits`);
        const P = await m.prefer(pairs, { batchSize: 4 });
        expectClose(P, pairs.map((_, i) => 0.5 * (logistic(want[2 * i]) + 1 - logistic(want[2 * i + 1]))), 1e-4, `${label} P(a ≻ b)`);
        const Q = await m.prefer(pairs.map((p) => ({ prompt: p.prompt, a: p.b, b: p.a })));
        P.forEach((p, i) => assert.ok(Math.abs(p + Q[i] - 1) < 1e-6, `P(a≻b) + P(b≻a) = ${p + Q[i]}`));
      } finally {
        m.dispose();
      }
    });

    s(`${label}: head + trunk gradients match central finite differences of the float64 loss`, async () => {
      const rng = new Rng((SEED ^ 0x6d2 ^ (qwen ? 7 : 0)) >>> 0);
      const m = PairwiseModel.fresh(be, tinyConfig(16, 24, 4, qwen ? 4 : 2, qwen), tokenizerFile, { seed: rng.int(0, 1e6) });
      try {
        const host = await randomize(m, rng);
        // two pairs in both orders with soft labels, as a training step presents them
        const pairs = [0.8, 0.3].map((p) => ({ prompt: randomText(rng, rng.int(1, 6)), a: randomText(rng, rng.int(1, 8)), b: randomText(rng, rng.int(1, 8)), p }));
        const examples = pairs.flatMap((q) => [{ ids: m.encode(q.prompt, q.a, q.b), label: q.p }, { ids: m.encode(q.prompt, q.b, q.a), label: 1 - q.p }]);
        const grads = m.zeroGrad();
        const { loss } = await m.accumulate(examples);
        const lossRef = () => {
          const z = refZ(m, host, examples.map((e) => e.ids));
          let L = 0;
          z.forEach((zi, i) => { L += bce(zi, examples[i].label) / examples.length; });
          return L;
        };
        expectClose([loss], [lossRef()], 1e-4, 'loss');
        let worst = 0;
        for (const [name, g] of grads) {
          const grad = Float64Array.from(await be.read(g));
          const p = host.get(name)!;
          // embedding rows of tokens that occur (others have zero gradient on both sides)
          const used = name === 'embed' ? examples[0].ids.map((id) => id * m.config.hiddenSize + rng.int(0, m.config.hiddenSize)) : [];
          const idxs = [0, p.length - 1, rng.int(0, p.length), ...used.slice(0, 3)];
          const gotV: number[] = [], wantV: number[] = [];
          for (const i of idxs) {
            const h = 1e-5, old = p[i];
            p[i] = old + h; const lp = lossRef();
            p[i] = old - h; const lm = lossRef();
            p[i] = old;
            wantV.push((lp - lm) / (2 * h));
            gotV.push(grad[i]);
          }
          let scale = 0;
          for (const v of grad) scale = Math.max(scale, Math.abs(v));
          const err = Math.max(...gotV.map((x, k) => Math.abs(x - wantV[k]))) / Math.max(scale, 1e-4);
          worst = Math.max(worst, err);
          if (!(err < 2e-3)) throw new Error(`${label}: gradient of ${name} differs from finite differences: rel err ${err.toExponential(2)} (got ${gotV.map((v) => v.toPrecision(5))}, want ${wantV.map((v) => v.toPrecision(5))}; seed ${SEED})`);
        }
        assert.ok(grads.has('score.w') && grads.has('score.b') && grads.has('embed'));
        console.log(`    ${label} [${bname}]: ${grads.size} gradients, worst rel err vs finite differences ${worst.toExponential(2)}`);
      } finally {
        m.dispose();
      }
    });
  }
  s.run();
}

// ---- training, saving, loadJudge, the command: one backend (wasm when it is in the list) ----

/** a synthetic preference: the response with more letters "a" wins (counts differ) */
function synthPair(rng: Rng): PreferencePair {
  const resp = (na: number) => {
    const len = Math.max(na, rng.int(6, 13));
    const c: string[] = [];
    for (let i = 0; i < len; i++) c.push(i < na ? 'a' : 'bcdefgh '[rng.int(0, 8)]);
    for (let i = c.length - 1; i > 0; i--) { const j = rng.int(0, i + 1); [c[i], c[j]] = [c[j], c[i]]; }
    return c.join('');
  };
  const n1 = rng.int(0, 6);
  let n2 = rng.int(0, 6);
  while (n2 === n1) n2 = rng.int(0, 6);
  const r1 = resp(n1), r2 = resp(n2);
  const prompt = ['Pick one: ', 'Which? ', 'Say: '][rng.int(0, 3)];
  return n1 > n2 ? { prompt, chosen: r1, rejected: r2, probability: 1, line: 0 } : { prompt, chosen: r2, rejected: r1, probability: 1, line: 0 };
}

const trainBackend = backendNames().includes('wasm') ? 'wasm' : backendNames()[0];
const t = suite(`pairwise judge training [${trainBackend}]`);
let tbe: Backend;
t.before(async () => { tbe = await getBackend(trainBackend); });

t('learns "more a wins" to ≥ 90% held-out accuracy; the saved directory judges the same through loadJudge', async () => {
  const rng = new Rng((SEED ^ 0x7a11) >>> 0);
  const train = Array.from({ length: 300 }, () => synthPair(rng));
  const held = Array.from({ length: 100 }, () => synthPair(rng));
  const m = PairwiseModel.fresh(tbe, tinyConfig(32, 64, 4, 2), tokenizerFile, { seed: rng.int(0, 1e6) });
  const dir = path.join(tmp, 'judge-a');
  try {
    const before = await evaluatePairwise(m, held);
    assert.is(before.accuracy, 0, 'a zero head says ½ for every pair');
    const t0 = Date.now();
    const r = await trainPairwise(m, train, { optimizer: { name: 'adamw', lr: 3e-3, maxGradNorm: 1 }, batchSize: 16, epochs: 6, schedule: 'cosine', seed: rng.int(0, 1e6) });
    const seconds = (Date.now() - t0) / 1000;
    const ev = await evaluatePairwise(m, held);
    console.log(`    trained ${r.steps} steps in ${seconds.toFixed(1)} s: epoch losses ${r.epochs.map((e) => e.loss.toFixed(3)).join(' ')}; held-out accuracy ${(100 * ev.accuracy).toFixed(1)}% (seed ${SEED})`);
    assert.ok(ev.accuracy >= 0.9, `held-out accuracy ${ev.accuracy} < 0.9 (seed ${SEED})`);
    assert.ok(r.epochs[r.epochs.length - 1].loss < r.epochs[0].loss);

    const probe = held.slice(0, 24).map((p) => ({ prompt: p.prompt, a: p.chosen, b: p.rejected }));
    const want = await m.prefer(probe);
    m.training = { note: 'test' };
    await m.save(dir);
    // the directory: HF-shaped, trunk + score head, tokenizer carried, our architecture and format
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.architectures, ['SppoPairwiseJudge']);
    assert.is(cfg.model_type, 'llama');
    assert.is(cfg.tie_word_embeddings, true);
    assert.equal(cfg.sppo_judge.format, DEFAULT_PAIRWISE_FORMAT);
    assert.is(cfg.sppo_judge.max_length, 128);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    const names = Checkpoint.open(dir).names();
    for (const n of ['model.embed_tokens.weight', 'model.norm.weight', 'model.layers.1.mlp.down_proj.weight', 'score.weight', 'score.bias']) assert.ok(names.includes(n), n);
    assert.not.ok(names.includes('lm_head.weight'));
    assert.is(fs.readdirSync(tmp).filter((f) => f.startsWith('judge-a.')).length, 0, 'no temp directories left');

    const j = await loadJudge(dir, { backend: tbe, batchSize: 8 });
    try {
      assert.is(j.orderSensitive, false);
      assert.is(j.info?.kind, 'pairwise-model');
      const got = await j.compare(probe);
      expectClose(got, want, 1e-6, 'loaded judge vs trained model');
      const swapped = await j.compare(probe.map((p) => ({ prompt: p.prompt, a: p.b, b: p.a })));
      got.forEach((p, i) => assert.ok(Math.abs(p + swapped[i] - 1) < 1e-6));
      const [tie] = await j.compare([{ prompt: 'x', a: 'aaa', b: 'aaa' }]);
      assert.ok(Math.abs(tie - 0.5) < 1e-7, `identical responses: ${tie}`);
    } finally {
      await j.close?.();
    }
    // saving again over the same directory replaces it (training continued from it loads too)
    const again = PairwiseModel.load(tbe, dir);
    try {
      expectClose(await again.prefer(probe), want, 1e-6, 'reloaded model');
      assert.equal(again.training, { note: 'test' });
      await again.save(dir);
      assert.ok(fs.existsSync(path.join(dir, 'tokenizer.json')));
    } finally {
      again.dispose();
    }
  } finally {
    m.dispose();
  }
});

t('a causal LM directory starts a judge from its trunk (LM head dropped, zero head)', async () => {
  const m = PairwiseModel.load(tbe, path.join(root, 'test/fixtures/tiny/model'), { maxLength: 64 });
  try {
    assert.is(m.maxLength, 64);
    const [p] = await m.prefer([{ prompt: 'q', a: 'x', b: 'yy' }]);
    assert.is(p, 0.5);
    assert.not.ok(m.params().has('lm_head.w'));
  } finally {
    m.dispose();
  }
});

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args],
  { cwd: root, env: { ...process.env, SPPO_QUIET: '1' }, encoding: 'utf8', timeout: 180_000 });

t('sppo train-judge --init --tokenizer writes a judge that loadJudge runs; bad lines fail with their number', async () => {
  const rng = new Rng((SEED ^ 0xc11) >>> 0);
  const data = path.join(tmp, 'pairs.jsonl'), valid = path.join(tmp, 'valid.jsonl'), init = path.join(tmp, 'config.json');
  const line = (p: PreferencePair, soft: boolean) => JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, ...(soft ? { probability: 0.9 } : {}) });
  fs.writeFileSync(data, Array.from({ length: 20 }, (_, i) => line(synthPair(rng), i % 3 === 0)).join('\n') + '\n\n');
  fs.writeFileSync(valid, Array.from({ length: 6 }, () => line(synthPair(rng), false)).join('\n'));
  fs.writeFileSync(init, JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 258, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 96, bos_token_id: 256, eos_token_id: 257 }));
  const out = path.join(tmp, 'cli-judge');
  const r = cli(['train-judge', '--data', data, '--valid', valid, '--out', out, '--init', init, '--tokenizer', tokenizerFile,
    '--epochs', '1', '--batch-size', '8', '--backend', trainBackend, '--seed', '3']);
  assert.is(r.status, 0, `sppo train-judge failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout.trim());
  assert.is(doc.pairs, 20);
  assert.is(doc.steps, 3);
  assert.is(doc.valid_pairs, 6);
  assert.ok(doc.valid_accuracy >= 0 && doc.valid_accuracy <= 1 && Number.isFinite(doc.train_loss));
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.is(cfg.sppo_judge.max_length, 96);
  assert.is(cfg.sppo_judge.training.pairs, 20);
  const j = await loadJudge(out, { backend: tbe });
  try {
    const ps = await j.compare([{ prompt: 'Which? ', a: 'aaab', b: 'bbbb' }, { prompt: '', a: '', b: 'x' }]);
    assert.ok(ps.every((p) => p >= 0 && p <= 1));
  } finally {
    await j.close?.();
  }
  // a bad line fails before anything is trained, naming the file, the line and the field
  const bad = path.join(tmp, 'bad.jsonl');
  fs.writeFileSync(bad, `${line(synthPair(rng), false)}\n{"prompt": "p", "chosen": "c"}\n`);
  const e = cli(['train-judge', '--data', bad, '--out', path.join(tmp, 'never'), '--init', init, '--tokenizer', tokenizerFile]);
  assert.is(e.status, 1);
  assert.match(e.stderr, /bad\.jsonl line 2: "rejected" is missing/);
  assert.not.ok(fs.existsSync(path.join(tmp, 'never')));
  const both = cli(['train-judge', '--data', data, '--out', path.join(tmp, 'never')]);
  assert.is(both.status, 1);
  assert.match(both.stderr, /give --model DIR .* or --init CONFIG\.json/);
});
t.run();

// ---- no backend: the sequence format, truncation and the data reader ----

const f = suite('pairwise judge: format and data');
f('shareBudget: short pieces keep everything, long ones share the rest', () => {
  assert.equal(shareBudget([3, 4, 5], 20), [3, 4, 5]);
  assert.equal(shareBudget([3, 40, 50], 23), [3, 10, 10]);
  assert.equal(shareBudget([30, 40, 50], 31), [11, 10, 10]);
  assert.equal(shareBudget([0, 9, 9], 4), [0, 2, 2]);
  const r = new Rng(SEED ^ 0x5b);
  for (let k = 0; k < 200; k++) {
    const lens = [r.int(0, 50), r.int(0, 50), r.int(0, 50)], budget = r.int(0, 120);
    const got = shareBudget(lens, budget);
    const sum = got.reduce((a, b) => a + b, 0);
    assert.is(sum, Math.min(budget, lens[0] + lens[1] + lens[2]));
    got.forEach((g, i) => assert.ok(g >= 0 && g <= lens[i]));
  }
});
f('the sequence: BOS, prompt tail, response heads, markers always kept', async () => {
  const be = await getBackend(trainBackend);
  const m = PairwiseModel.fresh(be, tinyConfig(16, 24, 2, 1), tokenizerFile, { maxLength: 40 });
  try {
    const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
    assert.equal(m.encode('Q?', 'yes', 'no'), [256, ...bytes('Q?\n[A] yes\n[B] no\n[A/B]')]);
    const long = m.encode('0123456789abcdefghij', 'ABCDEFGHIJKLMNOP', 'é'.repeat(3));
    assert.is(long.length, 40);
    // 1 BOS + 16 marker tokens; 23 left: b keeps its 6 bytes, a gets 8, the prompt 8 + the spare one
    assert.equal(long, [256, ...bytes('bcdefghij\n[A] ABCDEFGH\n[B] ééé\n[A/B]')]);
    await rejects(async () => { PairwiseModel.fresh(be, tinyConfig(16, 24, 2, 1), tokenizerFile, { maxLength: 12 }); }, /maxLength 12 leaves no room/, /at least 20/);
  } finally {
    m.dispose();
  }
});
f('data lines: HF-style fields, message lists, soft labels; each bad line is one clear error', async () => {
  const ok = parsePreferenceJsonl([
    '{"prompt": "p", "chosen": "a", "rejected": "b"}',
    '',
    '{"prompt": "p2", "chosen": "a2", "rejected": "b2", "probability": 0.25, "extra": 1}',
    '{"chosen": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "rejected": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "go away"}]}',
  ].join('\n'), 'd.jsonl');
  assert.equal(ok, [
    { prompt: 'p', chosen: 'a', rejected: 'b', probability: 1, line: 1 },
    { prompt: 'p2', chosen: 'a2', rejected: 'b2', probability: 0.25, line: 3 },
    { prompt: 'hi', chosen: 'hello', rejected: 'go away', probability: 1, line: 4 },
  ]);
  const bad = (text: string, ...res: RegExp[]) => rejects(async () => { parsePreferenceJsonl(text, 'd.jsonl'); }, ...res);
  await bad('{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"prompt": "p"', /d\.jsonl line 2: is not valid JSON/, /fix or delete that line/);
  await bad('{"prompt": "p", "rejected": "b"}', /line 1: "chosen" is missing/, /"prompt": string, "chosen": string, "rejected": string/);
  await bad('\n\n{"prompt": "p", "chosen": "a"}', /line 3: "rejected" is missing/);
  await bad('{"chosen": "a", "rejected": "b"}', /line 1: "prompt" is missing/);
  await bad('{"prompt": 3, "chosen": "a", "rejected": "b"}', /line 1: "prompt" is 3, not a string/);
  await bad('{"prompt": "p", "chosen": 5, "rejected": "b"}', /"chosen" is 5, not a string or a message list/);
  await bad('{"prompt": "p", "chosen": "a", "rejected": "b", "probability": 1.5}', /"probability" is 1\.5, not a number in \[0, 1\]/);
  await bad('{"prompt": "p", "chosen": [{"role": "user", "content": "x"}], "rejected": "b"}', /last message is not \{"role": "assistant"/);
  await bad('[1, 2]', /line 1: is \[1,2\], not a JSON object/);
  await bad('\n  \n', /no preference pairs/);
});
f.run();
