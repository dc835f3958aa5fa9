// Goodness of fit: the sampler's draws follow the truncated, tempered, penalised distribution
// computed independently in float64 (reference.ts), judged by Pearson's chi-square at a fixed
// significance level on fixed seeds (deterministic, yet each check can fail: the same draws are
// shown to REJECT a deliberately wrong distribution). Tokens outside the kept set never appear.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sampler, SamplerRng, type SampleConfig } from '../../src/sampling/index.js';
import { refDistribution } from './reference.js';
import { chiSquarePValue, chiSquareTest } from './stats.js';

const ALPHA = 1e-3;      // accept the right distribution when p ≥ ALPHA
const POWER = 1e-6;      // and require the wrong one to score p < POWER on the same draws
const DRAWS = 20000;
const ROWS = 100;        // 100 sequences (streams) × 200 steps each

// 13 tokens with ties (1.0 twice, -0.4 twice) and one masked token
const LOGITS = Float32Array.from([2.0, 1.5, 1.2, 1.0, 1.0, 0.3, 0.0, -0.4, -0.4, -1.5, -2.5, -Infinity, -4.0]);
const V = LOGITS.length;
const HISTORY = [0, 0, 1, 5, 5, 5, 12, 3];

interface Case { name: string; cfg: SampleConfig; history?: number[]; wrong: SampleConfig; wrongHistory?: number[] }
const CASES: Case[] = [
  { name: 'temperature 1', cfg: {}, wrong: { temperature: 1.1 } },
  { name: 'temperature 0.7', cfg: { temperature: 0.7 }, wrong: { temperature: 0.8 } },
  { name: 'temperature 1.6', cfg: { temperature: 1.6 }, wrong: { temperature: 1.3 } },
  { name: 'top-k 4 (ties at the cut kept)', cfg: { topK: 4 }, wrong: { topK: 3 } },
  { name: 'top-k 6, temperature 1.5', cfg: { topK: 6, temperature: 1.5 }, wrong: { topK: 7, temperature: 1.5 } },
  { name: 'top-p 0.8', cfg: { topP: 0.8 }, wrong: { topP: 0.95 } },
  { name: 'top-p 0.5, temperature 2', cfg: { topP: 0.5, temperature: 2 }, wrong: { topP: 0.5, temperature: 1.4 } },
  { name: 'min-p 0.2', cfg: { minP: 0.2 }, wrong: { minP: 0.1 } },
  { name: 'combined: T 0.8, top-k 9, top-p 0.9, min-p 0.05', cfg: { temperature: 0.8, topK: 9, topP: 0.9, minP: 0.05 }, wrong: { temperature: 0.8, topK: 9, topP: 0.97, minP: 0.05 } },
  { name: 'repetition penalty 1.3', cfg: { repetitionPenalty: 1.3 }, history: HISTORY, wrong: {} },
  { name: 'frequency 0.4 + presence 0.3', cfg: { frequencyPenalty: 0.4, presencePenalty: 0.3 }, history: HISTORY, wrong: { frequencyPenalty: 0.4 }, wrongHistory: HISTORY },
  { name: 'all penalties, T 0.9, top-p 0.85', cfg: { repetitionPenalty: 1.2, frequencyPenalty: -0.2, presencePenalty: 0.5, temperature: 0.9, topP: 0.85 }, history: HISTORY, wrong: { repetitionPenalty: 1.2, temperature: 0.9, topP: 0.85 }, wrongHistory: HISTORY },
];

const sampler = await Sampler.create(V, ROWS);
const batch = new Float32Array(ROWS * V);
for (let r = 0; r < ROWS; r++) batch.set(LOGITS, r * V);

function draw(cfg: SampleConfig, history: number[] | undefined, seed: number): Int32Array {
  const rngs = Array.from({ length: ROWS }, (_, i) => SamplerRng.fromSeed(seed, i));
  const hist = Array.from({ length: ROWS }, () => history ?? null);
  const counts = new Int32Array(V);
  for (let s = 0; s < DRAWS / ROWS; s++) {
    const { tokens } = sampler.sample(batch, cfg, rngs, hist);
    for (let r = 0; r < ROWS; r++) counts[tokens[r]]++;
  }
  return counts;
}

test('chi-square helper reproduces textbook critical values', () => {
  // χ² critical values: (df, x) with P(X ≥ x) = 0.05 / 0.001
  for (const [df, x, p] of [[1, 3.841459, 0.05], [10, 18.307038, 0.05], [5, 20.515006, 0.001], [30, 59.702775, 0.001], [2, 5.991465, 0.05]]) {
    const got = chiSquarePValue(x, df);
    assert.ok(Math.abs(got - p) < 1e-5 * Math.max(1, p * 1e3), `df ${df} x ${x}: p ${got}, expected ${p}`);
  }
});

CASES.forEach((c, ci) => {
  test(`distribution: ${c.name}`, () => {
    const counts = draw(c.cfg, c.history, 1000 + ci);
    const ref = refDistribution(LOGITS, c.cfg, c.history);
    for (let i = 0; i < V; i++) {
      if (ref.q[i] === 0) assert.is(counts[i], 0, `token ${i} lies outside the kept set but was drawn ${counts[i]} times`);
    }
    const right = chiSquareTest(counts, ref.q);
    const wrongRef = refDistribution(LOGITS, c.wrong, c.wrongHistory);
    const wrong = chiSquareTest(counts, wrongRef.q);
    const kept = Array.from(ref.q).filter((x) => x > 0).length;
    console.log(`  ${c.name.padEnd(52)} kept ${String(kept).padStart(2)}  χ²=${right.stat.toFixed(1).padStart(6)} df ${right.df}  p=${right.p.toFixed(3)}   wrong: p=${wrong.p.toExponential(1)}`);
    assert.ok(right.p >= ALPHA, `draws do not fit the reference distribution: χ²=${right.stat.toFixed(2)}, df ${right.df}, p=${right.p.toExponential(2)} < ${ALPHA}; counts ${Array.from(counts)}`);
    assert.ok(wrong.p < POWER, `the check cannot tell the wrong distribution (${JSON.stringify(c.wrong)}) apart: p=${wrong.p.toExponential(2)}`);
  });
});

test('a sampler drawing from a biased uniform is rejected (the check fails when it should)', () => {
  // draws taken from the right distribution but with a slightly wrong temperature (1.05 instead of 1)
  const counts = draw({ temperature: 1.05 }, undefined, 77);
  const res = chiSquareTest(counts, refDistribution(LOGITS, {}).q);
  assert.ok(res.p < ALPHA, `temperature 1.05 draws passed as temperature 1: p=${res.p}`);
});

test.run();
