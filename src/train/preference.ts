// The preference losses of SPPO and its baselines, from judged samples to training records,
// and the training step that runs them on the device.
//
// Every loss is over the shared log-ratio r = log π_θ(y|x) − log π_t(y|x) (log-probs summed over
// response tokens; π_t the frozen policy that started the iteration), η = 1/β. w and l are the
// best and worst of the K samples by P̂; P_w, P_l their win rates; P_wl = P(y_w ≻ y_l):
//   sppo        ½[(r_w − η(P_w − ½))² + (r_l − η(P_l − ½))²]      (the original's default)
//   sppo_all    mean_k (r_k − η(P̂_k − ½))²
//   sppo_single ½[(r_w − η(P_wl − ½))² + (r_l + η(P_wl − ½))²]
//   sppo_hard   (r_w − η/2)² + (r_l + η/2)²
//   dpo         −(1−ε) log σ(β(r_w − r_l)) − ε log σ(−β(r_w − r_l))
//   ipo         (r_w − r_l − 1/(2β))²     (optionally with per-token-averaged log-probs)
//   hinge       max(0, 1 − β(r_w − r_l))
// The SPPO family is "square" (r − target)² with per-record targets and weights, computed here on
// the host; the pairwise family sends (winner, loser) adjacent. The device op does the rest.
//
// Magnetic SPPO (magnet α > 0; Wang et al. 2024, after magnetic mirror descent): each step is
// regularised toward a magnet policy μ (the base model, then the policy at each refresh):
//   π_{t+1} = argmax_π  E_{y∼π} P̂(y ≻ π_t) − α KL(π ‖ μ) − (1/η) KL(π ‖ π_t)   (per prompt)
// Stationarity on the simplex (multiplier λ for Σπ = 1), for each y:
//   P̂(y) − α(log π(y) − log μ(y) + 1) − (1/η)(log π(y) − log π_t(y) + 1) − λ = 0
//   ⇒ (1 + ηα) log π(y) = log π_t(y) + ηα log μ(y) + η P̂(y) + C(x)
//   ⇒ log π(y) − [log π_t(y) + ηα log μ(y)]/(1 + ηα) = η(P̂(y) − ½)/(1 + ηα) + C'(x)
// (½ moves into the per-prompt constant, which SPPO fixes as the original does). So the square
// loss keeps its form with r = log π_θ − [log π_t + c·log μ]/(1 + c), c = ηα, and every SPPO-family
// target divided by (1 + c); ∂/∂log π_θ of w(r − t)² is 2w(r − t) as before (μ and π_t are
// frozen). α = 0 is plain SPPO; μ = π_t is SPPO with the shorter step η/(1 + ηα).
import type { Backend, Tensor } from '../kernels/backend.js';
import { packBatch } from '../model/batch.js';
import type { Transformer } from '../model/transformer.js';
import { planPass } from '../model/plan.js';

export const LOSSES = ['sppo', 'sppo_all', 'sppo_single', 'sppo_hard', 'dpo', 'ipo', 'hinge'] as const;
export type LossName = (typeof LOSSES)[number];

/** One prompt's judged samples. */
export interface JudgedGroup {
  promptIds: number[];
  responses: number[][];
  /** P̂(y_k ≻ π_t | x) */
  winrates: number[];
  /** M[i][j] = P(y_i ≻ y_j | x) */
  matrix: number[][];
}

export interface TrainRecord {
  /** index of the prompt group */
  group: number;
  /** index of the sample within the group */
  sample: number;
  role: 'chosen' | 'rejected' | 'sample';
  promptIds: number[];
  responseIds: number[];
  /** square losses: the value r should reach; pairwise: unused (0) */
  target: number;
  /** weight of this record's term within its group's loss */
  weight: number;
  /** the sample's estimated win rate P̂(y ≻ π_t | x) */
  winrate: number;
  /** Σ log π_t(response) — filled in once per record before training */
  refLogp?: number;
  /** magnetic SPPO: Σ log μ(response) under the magnet μ (absent when magnet = 0) */
  magnetLogp?: number;
}

export interface LossConfig {
  loss: LossName;
  /** η = 1/β for the SPPO family; β for dpo/ipo/hinge */
  beta: number;
  labelSmoothing?: number;
  /** ipo: average log-probs over response tokens instead of summing */
  perTokenAverage?: boolean;
  /** magnetic SPPO: magnet strength α ≥ 0 (SPPO family only; 0 = plain SPPO) */
  magnet?: number;
}

/** c = ηα of magnetic SPPO (0 without a magnet); throws for a magnet on a pairwise loss */
export function magnetC(cfg: LossConfig): number {
  const a = cfg.magnet ?? 0;
  if (!(a >= 0 && Number.isFinite(a))) throw new Error(`loss: magnet must be a finite number ≥ 0, got ${a}`);
  if (a > 0 && deviceKind(cfg.loss) !== 'square') throw new Error(`loss: magnet (magnetic SPPO) applies to the SPPO losses (sppo, sppo_all, sppo_single, sppo_hard), not ${cfg.loss}: set magnet to 0`);
  return a / cfg.beta;
}

/** index of the best and of the worst sample (distinct; ties → the lowest index) */
export function bestWorst(winrates: number[]): { w: number; l: number } {
  let w = 0;
  for (let k = 1; k < winrates.length; k++) if (winrates[k] > winrates[w]) w = k;
  let l = w === 0 ? 1 : 0;
  for (let k = 0; k < winrates.length; k++) if (k !== w && winrates[k] < winrates[l]) l = k;
  return { w, l };
}

/** Training records of one iteration, in group order (pairwise losses: winner then loser). */
export function buildRecords(groups: JudgedGroup[], cfg: LossConfig): TrainRecord[] {
  if (!(cfg.beta > 0)) throw new Error(`loss: beta must be > 0, got ${cfg.beta}`);
  // magnetic SPPO divides every SPPO-family target by 1 + ηα (see the derivation above)
  const eta = 1 / cfg.beta / (1 + magnetC(cfg));
  const out: TrainRecord[] = [];
  groups.forEach((g, gi) => {
    const K = g.responses.length;
    if (K < 2) throw new Error(`loss: prompt ${gi} has ${K} samples; SPPO needs K ≥ 2`);
    const rec = (k: number, role: TrainRecord['role'], target: number, weight: number): TrainRecord => ({
      group: gi, sample: k, role, promptIds: g.promptIds, responseIds: g.responses[k], target, weight, winrate: g.winrates[k],
    });
    if (cfg.loss === 'sppo_all') {
      for (let k = 0; k < K; k++) out.push(rec(k, 'sample', eta * (g.winrates[k] - 0.5), 1 / K));
      return;
    }
    const { w, l } = bestWorst(g.winrates);
    switch (cfg.loss) {
      case 'sppo':
        out.push(rec(w, 'chosen', eta * (g.winrates[w] - 0.5), 0.5), rec(l, 'rejected', eta * (g.winrates[l] - 0.5), 0.5));
        break;
      case 'sppo_single': {
        const pwl = g.matrix[w][l];
        out.push(rec(w, 'chosen', eta * (pwl - 0.5), 0.5), rec(l, 'rejected', -eta * (pwl - 0.5), 0.5));
        break;
      }
      case 'sppo_hard':
        out.push(rec(w, 'chosen', eta / 2, 1), rec(l, 'rejected', -eta / 2, 1));
        break;
      case 'dpo': case 'ipo': case 'hinge':
        out.push(rec(w, 'chosen', 0, 1), rec(l, 'rejected', 0, 0));
        break;
      default:
        throw new Error(`loss: unknown loss "${cfg.loss}": use one of ${LOSSES.join(', ')}`);
    }
  });
  return out;
}

export const deviceKind = (loss: LossName): 'square' | 'dpo' | 'ipo' | 'hinge' =>
  loss === 'dpo' || loss === 'ipo' || loss === 'hinge' ? loss : 'square';

/**
 * Σ log π(response | prompt) for each record under `model` (no gradient). With perTokenAverage
 * the sum is divided by the response length. Batched by `batchSize` records.
 */
export async function sequenceLogprobs(model: Transformer, recs: { promptIds: number[]; responseIds: number[] }[], batchSize: number, perTokenAverage = false): Promise<number[]> {
  const out: number[] = [];
  const be = model.be;
  if (!recs.length) return out;
  // rows per pass within the memory budget (plan.ts); scoring recomputes nothing, so the planner
  // keeps one block's activations at a time when that lets more rows through
  const seq = Math.max(...recs.map((r) => r.promptIds.length + r.responseIds.length));
  const plan = planPass(model, { mode: 'score', rows: batchSize, seq, what: 'scoring sequences' });
  model.recompute = plan.recompute;
  batchSize = plan.rows;
  for (let i = 0; i < recs.length; i += batchSize) {
    const chunk = recs.slice(i, i + batchSize);
    const batch = packBatch(chunk.map((r) => ({ prompt: r.promptIds, response: r.responseIds })));
    const mask = scoreWeights(batch.scoreMask, batch.B, batch.T, perTokenAverage);
    const { logp } = model.forward(batch);
    const maskT = be.fromArray(mask, [batch.B, batch.T]);
    const seq = be.tensor([batch.B]);
    be.seqSum(seq, logp, maskT);
    const v = await be.read(seq);
    be.dispose(maskT); be.dispose(seq);
    out.push(...Array.from(v));
  }
  return out;
}

/** the f32 (B,T) weights of each scored token: 1, or 1/len with per-token averaging */
function scoreWeights(scoreMask: Float32Array, B: number, T: number, perTokenAverage: boolean): Float32Array {
  if (!perTokenAverage) return scoreMask;
  const out = new Float32Array(scoreMask.length);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) n += scoreMask[b * T + t];
    for (let t = 0; t < T; t++) out[b * T + t] = n > 0 ? scoreMask[b * T + t] / n : 0;
  }
  return out;
}

export interface StepStats {
  /** mean loss per group in the micro-batch (sum of its records' terms) */
  loss: number;
  /** r per record (policy − reference log-prob) */
  logratios: number[];
}

/**
 * Forward + loss + backward for one micro-batch of records (gradients ACCUMULATE into the
 * model's grads, scaled by `scale`, e.g. 1/accumulation steps). Pairwise losses need winner and
 * loser adjacent. The loss of each group is weighted by 1/groups in the micro-batch (a mean).
 * A NaN/Inf loss is returned, not thrown: check it (src/train/guard.ts) before any update.
 */
export async function preferenceBackward(model: Transformer, recs: TrainRecord[], cfg: LossConfig, scale = 1): Promise<StepStats> {
  const kind = deviceKind(cfg.loss);
  const c = magnetC(cfg);
  if (c > 0) for (const r of recs) if (r.magnetLogp === undefined || !Number.isFinite(r.magnetLogp)) throw new Error(`loss: magnetic SPPO: record of group ${r.group} has no finite magnet log-prob (magnetLogp)`);
  if (kind !== 'square' && recs.length % 2 !== 0) throw new Error('loss: pairwise losses need (chosen, rejected) pairs');
  for (const r of recs) if (r.refLogp === undefined || !Number.isFinite(r.refLogp)) throw new Error(`loss: record of group ${r.group} has no finite reference log-prob`);
  const groups = new Set(recs.map((r) => r.group)).size;
  // the memory budget may take fewer rows per pass than the micro-batch holds: the loss is a sum
  // of per-record terms, so passes over parts of it (pairs kept whole) add up to the same gradient
  const seq = Math.max(...recs.map((r) => r.promptIds.length + r.responseIds.length));
  const plan = planPass(model, { mode: 'train', rows: recs.length, seq, what: 'a preference-training pass' });
  model.recompute = plan.recompute;
  let rows = plan.rows;
  if (kind !== 'square') rows = Math.max(2, rows - (rows % 2));
  if (rows >= recs.length) return preferencePass(model, recs, cfg, scale, groups, plan.keepLogits);
  let loss = 0;
  const logratios: number[] = [];
  for (let i = 0; i < recs.length; i += rows) {
    const r = await preferencePass(model, recs.slice(i, i + rows), cfg, scale, groups, plan.keepLogits);
    loss += r.loss; logratios.push(...r.logratios);
  }
  return { loss, logratios };
}

/** one forward + backward over records (all of them fit one pass); groups: of the whole micro-batch */
async function preferencePass(model: Transformer, recs: TrainRecord[], cfg: LossConfig, scale: number, groups: number, keepLogits: boolean): Promise<StepStats> {
  const be: Backend = model.be;
  const kind = deviceKind(cfg.loss);
  const c = magnetC(cfg);
  const batch = packBatch(recs.map((r) => ({ prompt: r.promptIds, response: r.responseIds })));
  const R = batch.B;
  const mask = scoreWeights(batch.scoreMask, batch.B, batch.T, !!cfg.perTokenAverage);
  const { logp } = model.forward(batch, { keepLogits });
  const tensors: Tensor[] = [];
  const mk = (data: Float32Array, shape: number[]) => { const t = be.fromArray(data, shape); tensors.push(t); return t; };
  const empty = (shape: number[]) => { const t = be.tensor(shape); tensors.push(t); return t; };
  const maskT = mk(mask, [batch.B, batch.T]);
  const seq = empty([R]), loss = empty([R]), dseq = empty([R]), dtok = empty([batch.B * batch.T]);
  be.seqSum(seq, logp, maskT);
  const w = Float32Array.from(recs, (r) => (r.weight * scale) / groups);
  const refT = mk(Float32Array.from(recs, (r) => r.refLogp!), [R]);
  // a magnet that is π_t itself (the first iteration, where μ = π_0, and the one right after
  // each refresh) shares π_t's tensor: the op then is the square loss with targets /(1 + c)
  const magnetic = c > 0 ? {
    kind: 'magnetic' as const, magnet: c,
    magnetLogp: recs.every((r) => r.magnetLogp === r.refLogp) ? refT : mk(Float32Array.from(recs, (r) => r.magnetLogp!), [R]),
  } : { kind };
  be.preferenceLoss(loss, dseq, seq, refT, mk(Float32Array.from(recs, (r) => r.target), [R]), mk(w, [R]), {
    beta: cfg.beta, labelSmoothing: cfg.labelSmoothing, ...magnetic,
  });
  be.seqSumBackward(dtok, dseq, maskT);
  model.backward(dtok);
  const [lossV, seqV] = await Promise.all([be.read(loss), be.read(seq)]);
  for (const t of tensors) be.dispose(t);
  let total = 0;
  for (const v of lossV) total += v;
  // a non-finite loss is returned as it is: the training loop's guard stops the step (naming it)
  // logratios stay log π_θ − log π_t (the metrics' KL estimate), with or without a magnet
  return { loss: total / scale, logratios: Array.from(seqV, (v, i) => v - recs[i].refLogp!) };
}
