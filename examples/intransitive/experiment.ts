// The intransitive-preference experiment: responses fall into three classes r, p, s with a
// cyclic preference (class i beats class i+1 with strengths 0.9, 0.7, 0.6), so no response is
// best and the Nash equilibrium is a NON-uniform mixture, computed here exactly. A tiny
// transformer policy answers one prompt with one token; it is trained for T iterations with
// SPPO, and with iterative DPO and IPO at the same budget (same samples, judge calls, steps and
// learning rate). Per iteration we report, for the last iterate and for the average of the
// iterates, the exploitability max_y P(y ≻ π) − ½ and the distance to the equilibrium.
// Magnetic SPPO is SPPO's loss with a magnet α toward μ (the initial policy, then the policy at
// every magnetEvery-th iteration): its last iterate is meant to converge, not to cycle.
import type { Backend } from '../../src/kernels/backend.js';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { Transformer } from '../../src/model/transformer.js';
import { packBatch } from '../../src/model/batch.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { buildRecords, preferenceBackward, sequenceLogprobs, type JudgedGroup, type LossName } from '../../src/train/preference.js';
import { cyclic3Judge } from '../../src/judge/cyclic3.js';
import { judgeMatrices, winRates } from '../../src/judge/matrix.js';
import { Policy } from '../../src/sppo/policy.js';

export const CLASSES = ['r', 'p', 's'];
export const STRENGTHS = [0.9, 0.7, 0.6];

/** A[i][j] = P(i ≻ j) − ½ for the cyclic game */
export function payoff(s = STRENGTHS): number[][] {
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) { const j = (i + 1) % 3; A[i][j] = s[i] - 0.5; A[j][i] = 0.5 - s[i]; }
  return A;
}

/** The unique fully mixed equilibrium of the antisymmetric 3×3 cyclic game: A·p = 0, Σp = 1. */
export function nashEquilibrium(s = STRENGTHS): number[] {
  const A = payoff(s);
  // p ∝ (A12, A20, A01): each row of A·p vanishes
  const v = [A[1][2], A[2][0], A[0][1]];
  const z = v[0] + v[1] + v[2];
  return v.map((x) => x / z);
}

/** max_y P(y ≻ π) − ½ = max_i (A π)_i (0 exactly at the equilibrium) */
export function exploitability(pi: number[], s = STRENGTHS): number {
  const A = payoff(s);
  return Math.max(...A.map((row) => row.reduce((t, a, j) => t + a * pi[j], 0)));
}

export const l1 = (a: number[], b: number[]) => a.reduce((t, x, i) => t + Math.abs(x - b[i]), 0);

export interface Row { method: string; iteration: number; pi: number[]; avg: number[]; exploitLast: number; exploitAvg: number; distLast: number; distAvg: number }

/** a training method: the loss, and for magnetic SPPO the magnet α and its refresh period */
export interface Method { name: string; loss: LossName; magnet?: number; magnetEvery?: number }

export interface ExperimentOptions {
  be: Backend;
  iterations: number;
  /** prompts (copies of the one prompt) × K samples per iteration */
  prompts: number; k: number;
  epochs: number; lr: number;
  /** η for SPPO (= 1/β); β for DPO/IPO */
  eta: number; beta: number;
  seed: number;
  methods?: Method[];
  onRow?: (r: Row) => void;
}

const arch: Arch = { family: 'llama', vocab: 3, hidden: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 8 };
const PROMPT = [0];

/** the policy's class distribution: softmax of the logits after the prompt */
async function classProbs(model: Transformer): Promise<number[]> {
  const logits = await model.be.read(model.forwardLogits(packBatch([{ prompt: PROMPT, response: [] }])));
  const m = Math.max(...logits), e = Array.from(logits.slice(0, 3), (x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

export async function runExperiment(o: ExperimentOptions): Promise<Row[]> {
  const methods: Method[] = o.methods ?? [{ name: 'SPPO', loss: 'sppo' }, { name: 'DPO', loss: 'dpo' }, { name: 'IPO', loss: 'ipo' }];
  const judge = cyclic3Judge({ classes: CLASSES });
  const ne = nashEquilibrium();
  const rows: Row[] = [];
  const init = initParams(arch, o.seed);
  for (const m of methods) {
    const model = new Transformer(o.be, arch, uploadParams(o.be, arch, init));
    const policy = new Policy(model, { encodePrompt: () => PROMPT, decode: (ids) => ids.map((i) => CLASSES[i] ?? '').join(''), eos: [] });
    const sum = [0, 0, 0];
    let pi = await classProbs(model);
    const magnet = m.magnet ?? 0, every = m.magnetEvery ?? 1;
    // the magnet μ: a frozen copy of the policy, taken at iterations 1, 1 + M, 1 + 2M, ... (π_0 first)
    let mu: Transformer | null = null;
    for (let t = 1; t <= o.iterations; t++) {
      if (magnet > 0 && (t - 1) % every === 0) {
        mu?.dispose();
        const host = new Map<string, Float32Array>();
        for (const [n, p] of model.params) host.set(n, (await o.be.read(p)) as Float32Array);
        mu = new Transformer(o.be, arch, uploadParams(o.be, arch, host));
      }
      // 1. K samples for each copy of the prompt from π_t (one token each)
      const items = Array.from({ length: o.prompts }, (_, i) => ({ item: { index: i, text: 'play' }, ids: PROMPT }));
      const ids = await policy.sample(items, { k: o.k, maxNewTokens: 1, sample: { temperature: 1 }, seed: BigInt(o.seed * 1000 + t) });
      // 2. the judge's matrices and win rates
      const mats = await judgeMatrices(judge, ids.map((rs) => ({ prompt: 'play', responses: rs.map((r) => policy.text.decode(r)) })));
      const groups: JudgedGroup[] = ids.map((rs, i) => ({ promptIds: PROMPT, responses: rs, matrix: mats[i], winrates: winRates(mats[i]) }));
      // 3. records against the frozen π_t, then the update
      const beta = m.loss.startsWith('sppo') ? 1 / o.eta : o.beta;
      const recs = buildRecords(groups, { loss: m.loss, beta, magnet });
      const ref = await sequenceLogprobs(model, recs, 64);
      recs.forEach((r, i) => { r.refLogp = ref[i]; });
      if (mu) {
        // μ = π_t right after a refresh: the same weights, so the same log-probs (no second pass)
        const fresh = (t - 1) % every === 0;
        const lm = fresh ? ref : await sequenceLogprobs(mu, recs, 64);
        recs.forEach((r, i) => { r.magnetLogp = lm[i]; });
      }
      const opt = new Optimizer(o.be, model.trainableParams(), { name: 'adamw', lr: o.lr });
      for (let e = 0; e < o.epochs; e++) {
        model.zeroGrad();
        await preferenceBackward(model, recs, { loss: m.loss, beta, magnet });
        opt.update(model.grads!);
      }
      opt.dispose();
      pi = await classProbs(model);
      for (let c = 0; c < 3; c++) sum[c] += pi[c];
      const avg = sum.map((x) => x / t);
      const row: Row = { method: m.name, iteration: t, pi, avg, exploitLast: exploitability(pi), exploitAvg: exploitability(avg), distLast: l1(pi, ne), distAvg: l1(avg, ne) };
      rows.push(row);
      o.onRow?.(row);
    }
    model.dispose();
    mu?.dispose();
  }
  return rows;
}
