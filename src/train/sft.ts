// Supervised fine-tuning: the mean cross-entropy of response tokens given the prompt,
// with gradient accumulation, global-norm clipping and a learning-rate schedule.
import type { Transformer } from '../model/transformer.js';
import { packBatch, type Sequence } from '../model/batch.js';
import { planPass } from '../model/plan.js';
import { checkOptimizerConfig, Optimizer, scheduleLR, type OptimizerConfig } from './optimizer.js';
import { TrainingGuard } from './guard.js';
import { shuffleInPlace, uniform } from '../sampling/rng.js';

export interface SFTOptions {
  optimizer: OptimizerConfig;
  /** sequences per optimizer step */
  batchSize: number;
  /** micro-batches per step (the batch is split into this many) */
  gradAccum?: number;
  epochs: number;
  schedule?: 'constant' | 'linear' | 'cosine';
  warmupSteps?: number;
  /** longest sequence in tokens (longer ones are cut at the end) */
  maxLength?: number;
  seed?: number;
  signal?: AbortSignal;
  onStep?: (s: { step: number; total: number; loss: number; lr: number; tokensPerSecond: number; gradNorm?: number }) => void;
  /** warnings (a loss growing by orders of magnitude), e.g. to stderr */
  onWarn?: (message: string) => void;
  /** names the loop in messages (default 'sft') */
  what?: string;
}

/**
 * Mean cross-entropy (nats/token) over the response tokens of one micro-batch; gradients scaled
 * by `scale` accumulate. A non-finite loss is returned as it is: the caller's guard stops the step.
 */
export async function sftBackward(model: Transformer, seqs: Sequence[], scale: number, o: { recompute?: boolean } = {}): Promise<{ loss: number; tokens: number }> {
  // rows per pass within the memory budget (plan.ts); the loss is a mean over the micro-batch's
  // response tokens, so each pass weighs its tokens by 1/(tokens of the whole micro-batch)
  const seq = Math.max(...seqs.map((s) => s.prompt.length + s.response.length));
  const plan = planPass(model, { mode: 'train', rows: seqs.length, seq, recompute: o.recompute, what: 'an SFT pass' });
  model.recompute = plan.recompute;
  let total = 0;
  for (const m of packBatch(seqs).scoreMask) total += m;
  if (plan.rows >= seqs.length) return sftPass(model, seqs, scale, total, plan.keepLogits);
  let loss = 0, tokens = 0;
  for (let i = 0; i < seqs.length; i += plan.rows) {
    const r = await sftPass(model, seqs.slice(i, i + plan.rows), scale, total, plan.keepLogits);
    loss += r.loss * r.tokens; tokens += r.tokens;
  }
  return { loss: tokens ? loss / tokens : 0, tokens };
}

/** one pass; `total`: scored tokens of the whole micro-batch (the mean's denominator); keepLogits: the plan's */
async function sftPass(model: Transformer, seqs: Sequence[], scale: number, total: number, keepLogits: boolean): Promise<{ loss: number; tokens: number }> {
  const be = model.be;
  const batch = packBatch(seqs);
  let count = 0;
  for (const m of batch.scoreMask) count += m;
  if (count === 0) return { loss: 0, tokens: 0 };
  const { logp } = model.forward(batch, { keepLogits });
  const d = new Float32Array(batch.B * batch.T);
  for (let i = 0; i < d.length; i++) d[i] = batch.scoreMask[i] ? -scale / total : 0;
  const dT = be.fromArray(d, [d.length]);
  const lp = await be.read(logp);
  model.backward(dT);
  be.dispose(dT);
  let loss = 0;
  for (let i = 0; i < lp.length; i++) if (batch.scoreMask[i]) loss -= lp[i];
  loss /= count;
  return { loss, tokens: count };
}

/** Train on the sequences; returns the loss of each step. */
/** the options checked before any work: one error naming the option and its range */
export function checkSFTOptions(o: SFTOptions, what = 'sft'): void {
  const int = (k: 'batchSize' | 'gradAccum' | 'epochs' | 'warmupSteps' | 'maxLength', min: number, max: number, optional: boolean) => {
    const v = o[k];
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`${what}: ${k} must be an integer ≥ ${min} and ≤ ${max}, got ${v}`);
  };
  int('batchSize', 1, 65536, false); int('epochs', 1, 1e6, false); int('gradAccum', 1, 65536, true);
  int('warmupSteps', 0, 1e6, true); int('maxLength', 2, 2 ** 24, true);
  if (o.schedule !== undefined && !['constant', 'linear', 'cosine'].includes(o.schedule)) throw new Error(`${what}: schedule must be constant, linear or cosine, got "${o.schedule}"`);
  checkOptimizerConfig(o.optimizer, what);
}

export async function trainSFT(model: Transformer, data: Sequence[], o: SFTOptions): Promise<number[]> {
  checkSFTOptions(o, o.what ?? 'sft');
  if (!data.length) throw new Error('sft: no training examples');
  const maxLen = o.maxLength ?? model.arch.maxPositions;
  const seqs = data.map((s) => {
    const total = s.prompt.length + s.response.length;
    if (total <= maxLen) return s;
    const keepResp = Math.max(0, maxLen - s.prompt.length);
    return { prompt: Array.from(s.prompt).slice(0, maxLen), response: Array.from(s.response).slice(0, keepResp) };
  });
  const opt = new Optimizer(model.be, model.trainableParams(), o.optimizer);
  // recomputation the caller asked for stays on; otherwise the planner decides per pass
  const forceRecompute = model.recompute;
  const guard = new TrainingGuard({
    what: o.what ?? 'sft', warn: o.onWarn,
    fix: `lower the learning rate (now ${o.optimizer.lr})${o.optimizer.maxGradNorm ? '' : ' or clip the gradient norm'}; nothing was written`,
  });
  const stepsPerEpoch = Math.ceil(seqs.length / o.batchSize);
  const total = stepsPerEpoch * o.epochs;
  const losses: number[] = [];
  const rand = uniform((o.seed ?? 0) >>> 0);
  try {
    let step = 0;
    for (let e = 0; e < o.epochs; e++) {
      const order = seqs.map((_, i) => i);
      shuffleInPlace(order, rand);
      for (let s = 0; s < stepsPerEpoch; s++, step++) {
        if (o.signal?.aborted) throw new Error('sft: aborted');
        const t0 = Date.now();
        const idx = order.slice(s * o.batchSize, (s + 1) * o.batchSize);
        const acc = Math.min(o.gradAccum ?? 1, idx.length);
        model.zeroGrad();
        let loss = 0, tokens = 0;
        for (let a = 0; a < acc; a++) {
          const part = idx.slice(Math.floor((a * idx.length) / acc), Math.floor(((a + 1) * idx.length) / acc));
          const r = await sftBackward(model, part.map((i) => seqs[i]), part.length / idx.length, { recompute: forceRecompute });
          loss += r.loss * (part.length / idx.length);
          tokens += r.tokens;
        }
        const { gradNorm, weightsNormSq } = await opt.norms(model.grads!);
        guard.check(step + 1, loss, gradNorm, `epoch ${e + 1} of ${o.epochs}`, weightsNormSq);
        const lr = scheduleLR(o.schedule ?? 'constant', o.optimizer.lr, step, total, o.warmupSteps ?? 0);
        opt.update(model.grads!, lr);
        losses.push(loss);
        o.onStep?.({ step: step + 1, total, loss, lr, tokensPerSecond: tokens / Math.max(1e-3, (Date.now() - t0) / 1000), gradNorm });
      }
    }
    // the last update has no next step to catch it
    guard.checkWeights(step, await opt.weightsNormSq(), `epoch ${o.epochs} of ${o.epochs}`);
  } finally {
    opt.dispose();
  }
  return losses;
}
