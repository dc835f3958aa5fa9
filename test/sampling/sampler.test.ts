// The sampler against an independent float64 reference, token by token: for fresh random
// logits of awkward sizes and many configs, each draw must equal the reference inverse-CDF
// draw made with the reference PRNG (draws within 1e-9 of a CDF step are not judged: f32 vs
// f64 rounding may legitimately split them), and the returned log-probabilities must match
// the reference's. Plus greedy, edge cases, errors, batch independence and determinism.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sampler, SamplerRng, type SampleConfig } from '../../src/sampling/index.js';
import { RefXoshiro, refDistribution, refDraw } from './reference.js';
import { SEED, TestRng } from './random.js';

const rng = new TestRng(SEED);
const TOL = 2e-5; // log-probabilities: |got − want| ≤ TOL · max(1, |want|)

function closeLog(got: number, want: number, what: string): void {
  assert.ok(Number.isFinite(got), `${what}: got ${got}`);
  assert.ok(Math.abs(got - want) <= TOL * Math.max(1, Math.abs(want)), `${what}: got ${got}, expected ${want} (seed ${SEED})`);
}

const CONFIGS: SampleConfig[] = [
  {},
  { temperature: 0.6 },
  { temperature: 1.7 },
  { topK: 1 },
  { topK: 5 },
  { topK: 40, temperature: 0.8 },
  { topP: 0.9 },
  { topP: 0.3, temperature: 1.3 },
  { minP: 0.1 },
  { temperature: 0.7, topK: 20, topP: 0.95, minP: 0.02 },
  { repetitionPenalty: 1.5, topP: 0.9 },
  { frequencyPenalty: 0.5, presencePenalty: 0.5, temperature: 0.9 },
  { repetitionPenalty: 0.8, frequencyPenalty: -0.3, presencePenalty: 1, topK: 10, minP: 0.05 },
  { topP: 0 },
  { minP: 1 },
];

/** logits whose truncation decisions are not within rounding of a threshold */
function clearLogits(V: number, cfg: SampleConfig, hist: number[]) {
  for (let tries = 0; ; tries++) {
    const logits = rng.logits(V, 2.5, V > 4 ? 0.1 : 0);
    const ref = refDistribution(logits, cfg, hist);
    if (ref.margin > 2e-6 || tries > 20) return { logits, ref };
  }
}

function checkAgainstReference(sampler: Sampler, V: number, cfg: SampleConfig, draws: number, tag: string): number {
  const hist = Array.from({ length: rng.int(0, 12) }, () => rng.int(0, V));
  const { logits, ref } = clearLogits(V, cfg, hist);
  const seed = rng.int(0, 2 ** 31);
  const mine = SamplerRng.fromSeed(seed, 3);
  const theirs = RefXoshiro.fromSeed(BigInt(seed), 3n);
  const greedy = cfg.temperature === 0;
  let judged = 0;
  for (let d = 0; d < draws; d++) {
    const { tokens, logprobs, rawLogprobs } = sampler.sample(logits, cfg, [mine], [hist]);
    const t = tokens[0];
    assert.ok(t >= 0 && t < V, `${tag}: token ${t} outside [0, ${V})`);
    assert.ok(ref.q[t] > 0, `${tag}: drew token ${t}, which the reference truncates away (seed ${SEED})`);
    closeLog(logprobs[0], Math.log(ref.q[t]), `${tag} draw ${d}: logprob of ${t}`);
    closeLog(rawLogprobs[0], ref.rawLogSoftmax[t], `${tag} draw ${d}: raw logprob of ${t}`);
    if (greedy) continue;
    const { token, gap } = refDraw(ref.q, theirs.double());
    if (gap < 1e-9) continue;
    judged++;
    assert.is(t, token, `${tag} draw ${d}: token ${t}, the reference draws ${token} (seed ${SEED})`);
  }
  return judged;
}

test('draws equal the reference sampler token by token (awkward sizes × configs)', async () => {
  let judged = 0, total = 0;
  for (const V of [1, 2, 3, 17, 63, 65, 1000, 4099]) {
    const sampler = await Sampler.create(V);
    for (const cfg of [...CONFIGS, { temperature: 0 }, { temperature: 0, repetitionPenalty: 1.3, presencePenalty: 0.2 }]) {
      judged += checkAgainstReference(sampler, V, cfg, 120, `V=${V} ${JSON.stringify(cfg)}`);
      total += cfg.temperature === 0 ? 0 : 120;
    }
  }
  assert.ok(judged >= total * 0.999, `only ${judged} of ${total} draws were far enough from a CDF step to judge`);
});

test('vocabulary of 151936 (Qwen-sized): exact draws, logprobs; timing printed', async () => {
  const V = 151936;
  const sampler = await Sampler.create(V);
  for (const cfg of [{}, { topK: 50, temperature: 0.7 }, { topP: 0.9 }, { minP: 0.05, temperature: 1.2 }, { repetitionPenalty: 1.2, topP: 0.8, topK: 1000 }]) {
    checkAgainstReference(sampler, V, cfg, 8, `V=${V} ${JSON.stringify(cfg)}`);
  }
  const logits = rng.logits(V, 3);
  const r = SamplerRng.fromSeed(1);
  for (const cfg of [{ temperature: 0 }, {}, { topK: 50 }, { topP: 0.9 }, { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05 }] as SampleConfig[]) {
    sampler.sample(logits, cfg, [r]);
    const t0 = performance.now();
    const n = 20;
    for (let i = 0; i < n; i++) sampler.sample(logits, cfg, [r]);
    console.log(`  V=${V} ${JSON.stringify(cfg).padEnd(58)} ${((performance.now() - t0) / n).toFixed(2)} ms/row`);
  }
});

test('greedy: argmax of the penalised logits, lowest index on ties; rng untouched', async () => {
  for (const V of [1, 3, 17, 65, 1001]) {
    const sampler = await Sampler.create(V);
    for (let k = 0; k < 20; k++) {
      const logits = Float32Array.from({ length: V }, () => rng.int(-3, 4)); // many ties
      const want = logits.indexOf(Math.max(...logits));
      const r = SamplerRng.fromSeed(k);
      const before = r.toJSON();
      const { tokens, logprobs } = sampler.sample(logits, { temperature: 0, topK: 3, topP: 0.5 }, [r]);
      assert.is(tokens[0], want, `V=${V}: greedy picked ${tokens[0]}, argmax (lowest index) is ${want}`);
      assert.is(logprobs[0], 0);
      assert.equal(r.toJSON(), before, 'greedy must not advance the rng');
    }
  }
  // penalties move the argmax
  const s = await Sampler.create(4);
  const { tokens } = s.sample(Float32Array.from([3, 2.9, -1, 0]), { temperature: 0, repetitionPenalty: 1.1 }, undefined, [[0]]);
  assert.is(tokens[0], 1, 'repetition penalty 1.1 turns logit 3 into 2.727 < 2.9');
  const neg = s.sample(Float32Array.from([-1, -1.05, -3, -4]), { temperature: 0, repetitionPenalty: 1.1 }, undefined, [[0, 0]]);
  assert.is(neg.tokens[0], 1, 'negative logits are multiplied: -1 · 1.1 = -1.1 < -1.05');
});

test('edge cases: V = 1, one finite logit among -Infinity, topK ≥ V, topP 0, minP 1', async () => {
  const one = await Sampler.create(1);
  for (const cfg of CONFIGS) {
    const res = one.sample(Float32Array.from([rng.normal()]), cfg, [SamplerRng.fromSeed(2)], [[0, 0]]);
    assert.is(res.tokens[0], 0);
    assert.ok(Math.abs(res.logprobs[0]) < 1e-12 && Math.abs(res.rawLogprobs[0]) < 1e-12, `V=1 logprobs ${res.logprobs[0]} ${res.rawLogprobs[0]}`);
  }
  const V = 37, sampler = await Sampler.create(V);
  for (let k = 0; k < 10; k++) {
    const logits = new Float32Array(V).fill(-Infinity);
    const at = rng.int(0, V);
    logits[at] = rng.normal() * 5;
    const r = SamplerRng.fromSeed(k);
    for (const cfg of CONFIGS) {
      const res = sampler.sample(logits, cfg, [r], [[at]]);
      assert.is(res.tokens[0], at, `only token ${at} is finite`);
      assert.is(res.logprobs[0], 0);
      assert.is(res.rawLogprobs[0], 0);
    }
  }
  const logits = rng.logits(V, 2);
  const ref = refDistribution(logits, {});
  const big = SamplerRng.fromSeed(5), off = SamplerRng.fromSeed(5);
  for (let d = 0; d < 50; d++) {
    const a = sampler.sample(logits, { topK: V + 10 }, [big]), b = sampler.sample(logits, {}, [off]);
    assert.is(a.tokens[0], b.tokens[0], 'topK ≥ V is the same as no top-k');
    closeLog(a.logprobs[0], Math.log(ref.q[a.tokens[0]]), 'topK ≥ V logprob');
  }
  const top = logits.indexOf(Math.max(...logits));
  for (const cfg of [{ topP: 0 }, { minP: 1 }, { topK: 1, temperature: 3 }]) {
    const res = sampler.sample(logits, cfg, [SamplerRng.fromSeed(9)]);
    assert.is(res.tokens[0], top, `${JSON.stringify(cfg)} keeps only the top token`);
    assert.is(res.logprobs[0], 0);
  }
});

test('top-k reaching into tokens of zero weight (logit − max < −87.3) selects over the whole row', async () => {
  const V = 300, sampler = await Sampler.create(V);
  for (let trial = 0; trial < 5; trial++) {
    const logits = Float32Array.from({ length: V }, () => -200 + rng.normal());
    const live: number[] = [];
    for (let j = 0; j < 40; j++) { const t = rng.int(0, V); logits[t] = rng.normal(); live.push(t); }
    const r = SamplerRng.fromSeed(trial);
    for (const topK of [30, 45, 120]) {
      const ref = refDistribution(logits, { topK });
      for (let d = 0; d < 40; d++) {
        const { tokens, logprobs } = sampler.sample(logits, { topK }, [r]);
        assert.ok(ref.q[tokens[0]] > 1e-30, `topK ${topK}: drew ${tokens[0]} (reference weight ${ref.q[tokens[0]]})`);
        closeLog(logprobs[0], Math.log(ref.q[tokens[0]]), `topK ${topK} logprob`);
      }
    }
  }
});

test('long histories (memory grows past the initial 4096 ids): counts and penalties stay exact', async () => {
  const V = 50, sampler = await Sampler.create(V);
  for (const H of [5000, 70000]) {
    const hist = Int32Array.from({ length: H }, () => Math.min(V - 1, Math.floor(V * rng.next() ** 2)));
    const logits = rng.logits(V, 1);
    const cfg = { frequencyPenalty: 0.0004, presencePenalty: 0.2, repetitionPenalty: 1.1 };
    const ref = refDistribution(logits, cfg, hist);
    const r = SamplerRng.fromSeed(H);
    for (let d = 0; d < 20; d++) {
      const { tokens, logprobs } = sampler.sample(logits, cfg, [r], [hist]);
      closeLog(logprobs[0], Math.log(ref.q[tokens[0]]), `history ${H}: logprob of ${tokens[0]}`);
    }
  }
});

test('bad input: one clear error naming the cause', async () => {
  const V = 19, sampler = await Sampler.create(V, 2);
  const r = () => SamplerRng.fromSeed(1);
  const throwsWith = (fn: () => unknown, re: RegExp) => {
    try { fn(); } catch (e) { assert.match(String((e as Error).message), re); return; }
    assert.unreachable(`expected an error matching ${re}`);
  };
  const nan = rng.logits(2 * V); nan[V + 7] = NaN;
  throwsWith(() => sampler.sample(nan, {}, [r(), r()]), /row 1 has a NaN logit at token 7/);
  throwsWith(() => sampler.sample(nan, { temperature: 0 }, [r(), r()]), /row 1 has a NaN logit at token 7/);
  const inf = rng.logits(V); inf[3] = Infinity;
  throwsWith(() => sampler.sample(inf, {}, [r()]), /row 0 has a \+Infinity logit at token 3/);
  throwsWith(() => sampler.sample(new Float32Array(V).fill(-Infinity), {}, [r()]), /every logit -Infinity/);
  throwsWith(() => sampler.sample(rng.logits(V), { repetitionPenalty: 1.2 }, [r()], [[1, 2, V]]), /history\[2\] = 19 is not a token id in \[0, 19\)/);
  throwsWith(() => sampler.sample(rng.logits(V), { presencePenalty: 1 }, [r()], [[-1]]), /history\[0\] = -1/);
  throwsWith(() => sampler.sample(rng.logits(V), { temperature: 1e-44 }, [r()]), /largest logit is not finite; raise the temperature/);
  const pos = Float32Array.from({ length: V }, () => 1 + rng.next());
  for (const temperature of [0, 1, 0.5]) {
    throwsWith(() => sampler.sample(pos, { temperature, repetitionPenalty: 1e-40 }, [r()], [[2]]), /largest logit is not finite/);
    throwsWith(() => sampler.sample(pos, { temperature, repetitionPenalty: 1e-40, frequencyPenalty: 3e38 }, [r()], [[2, 2, 2]]), /largest logit is not finite/);
  }
  throwsWith(() => sampler.sample(rng.logits(V), {}, undefined), /row 0 samples \(temperature 1\) but has no SamplerRng/);
  throwsWith(() => sampler.sample(rng.logits(V + 1), {}, [r()]), /not a positive multiple of the vocabulary size 19/);
  throwsWith(() => sampler.sample(rng.logits(3 * V), {}, [r(), r(), r()]), /exceeds maxBatch 2/);
  throwsWith(() => sampler.sample(rng.logits(2 * V), [{}], [r(), r()]), /1 configs for 2 rows/);
  throwsWith(() => sampler.sample(Array.from(rng.logits(V)) as unknown as Float32Array, {}, [r()]), /must be a Float32Array/);
  for (const [cfg, re] of [
    [{ temperature: -1 }, /temperature = -1 is invalid/], [{ temperature: NaN }, /temperature = NaN/], [{ temperature: 1e-50 }, /rounds to 0 in f32/],
    [{ topK: 1.5 }, /topK = 1.5/], [{ topP: 1.2 }, /topP = 1.2 is invalid: use a number in \[0, 1\]/],
    [{ minP: -0.1 }, /minP/], [{ repetitionPenalty: 0 }, /repetitionPenalty = 0 is invalid: use a finite number > 0/],
    [{ frequencyPenalty: Infinity }, /frequencyPenalty/], [{ presencePenalty: NaN }, /presencePenalty/],
  ] as [SampleConfig, RegExp][]) throwsWith(() => sampler.sample(rng.logits(V), cfg, [r()]), re);
  // after errors the sampler still works (history counts were left clean)
  const logits = rng.logits(V);
  const res = sampler.sample(logits, { temperature: 0, frequencyPenalty: 100 }, undefined, [[4]]);
  const want = Array.from(logits, (x, i) => (i === 4 ? -Infinity : x));
  assert.is(res.tokens[0], want.indexOf(Math.max(...want)));
});

test('batch rows are independent: one call = each row alone', async () => {
  const V = 211, B = 7, sampler = await Sampler.create(V, B);
  const logits = rng.logits(B * V, 2, 0.05);
  const configs = Array.from({ length: B }, (_, i) => CONFIGS[(i * 3) % CONFIGS.length]);
  const hist = Array.from({ length: B }, (_, i) => (i % 2 ? Int32Array.from({ length: 9 }, () => rng.int(0, V)) : Array.from({ length: 5 }, () => rng.int(0, V))));
  const rA = Array.from({ length: B }, (_, i) => SamplerRng.fromSeed(100 + i));
  const rB = rA.map((x) => x.clone());
  for (let step = 0; step < 30; step++) {
    const all = sampler.sample(logits, configs, rA, hist);
    for (let i = 0; i < B; i++) {
      const alone = sampler.sample(logits.slice(i * V, (i + 1) * V), configs[i], [rB[i]], [hist[i]]);
      assert.is(all.tokens[i], alone.tokens[0], `row ${i} step ${step}`);
      assert.is(all.logprobs[i], alone.logprobs[0]);
      assert.is(all.rawLogprobs[i], alone.rawLogprobs[0]);
      assert.equal(rA[i].toJSON(), rB[i].toJSON());
    }
  }
});

test('determinism: same seed same tokens (across instances), other seeds or streams differ, saved state resumes', async () => {
  const V = 500;
  const a = await Sampler.create(V), b = await Sampler.create(V);
  const logits = rng.logits(V, 1);
  const run = (s: Sampler, r: SamplerRng, n = 200) => Array.from({ length: n }, () => s.sample(logits, { topP: 0.95 }, [r]).tokens[0]);
  const x = run(a, SamplerRng.fromSeed(1234)), y = run(b, SamplerRng.fromSeed(1234));
  assert.equal(x, y, 'same seed, same tokens');
  const z = run(a, SamplerRng.fromSeed(1235)), w = run(a, SamplerRng.fromSeed(1234, 1)), big = run(a, SamplerRng.fromSeed(1234n + (1n << 40n)));
  for (const [other, what] of [[z, 'seed 1235'], [w, 'stream 1'], [big, 'seed 1234 + 2^40']] as [number[], string][]) {
    const same = other.filter((t, i) => t === x[i]).length;
    assert.ok(same < 60, `${what} repeats ${same}/200 tokens of seed 1234`);
  }
  const r = SamplerRng.fromSeed(99);
  const first = run(a, r, 50);
  const saved = JSON.parse(JSON.stringify(r));
  const rest = run(a, r, 50);
  const resumed = run(b, SamplerRng.fromState(saved), 50);
  assert.equal(resumed, rest, 'a saved state resumes the same stream');
  assert.ok(first.length === 50);
});

test.run();
