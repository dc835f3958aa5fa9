// Training the pairwise judge (pairwise-model.ts) on preference pairs.
//   Each step takes `batchSize` pairs and presents each twice (symmetry augmentation, as PairRM):
//     (x, chosen, rejected) with label p,  (x, rejected, chosen) with label 1 − p
//   loss = mean over the 2·batchSize sequences of BCE(z, label); gradients through the head and
//   the whole trunk; an optimizer step (AdamW by default) with global-norm clipping.
//   Pairs are shuffled each epoch (seeded). The step's logits (before its update) give a running
//   accuracy: the pair counts as right when ½(σ(z_ab) + 1 − σ(z_ba)) is on the side of p.
import { checkOptimizerConfig, Optimizer, scheduleLR, type OptimizerConfig } from '../train/optimizer.js';
import { TrainingGuard } from '../train/guard.js';
import { shuffleInPlace, uniform } from '../sampling/rng.js';
import type { PairwiseModel } from './pairwise-model.js';
import type { PreferencePair } from './preference-data.js';
import { sigmoid } from './validate.js';

export interface PairwiseTrainOptions {
  optimizer: OptimizerConfig;
  /** pairs per optimizer step (each pair gives two sequences) */
  batchSize: number;
  epochs: number;
  schedule?: 'constant' | 'linear' | 'cosine';
  warmupSteps?: number;
  seed?: number;
  signal?: AbortSignal;
  onStep?: (s: { step: number; total: number; epoch: number; loss: number; accuracy: number; lr: number; pairsPerSecond: number }) => void;
  onEpoch?: (e: { epoch: number; loss: number; accuracy: number }) => void;
  /** warnings (a loss growing by orders of magnitude) */
  onWarn?: (message: string) => void;
}

export interface PairwiseTrainResult {
  /** loss of each step */
  losses: number[];
  /** mean loss and running accuracy of each epoch (accuracy over pairs with p ≠ ½) */
  epochs: { loss: number; accuracy: number }[];
  steps: number;
}

/** whether P (the model's) and p (the label) are on the same side of ½; null when p = ½ */
export function agrees(P: number, p: number): boolean | null {
  if (p === 0.5) return null;
  return (P > 0.5) === (p > 0.5);
}

export async function trainPairwise(model: PairwiseModel, pairs: readonly PreferencePair[], o: PairwiseTrainOptions): Promise<PairwiseTrainResult> {
  if (pairs.length === 0) throw new Error('train-judge: no preference pairs');
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new Error(`train-judge: batch size must be an integer ≥ 1, got ${o.batchSize}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new Error(`train-judge: epochs must be an integer ≥ 1, got ${o.epochs}`);
  if (o.warmupSteps !== undefined && !(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0)) throw new Error(`train-judge: warmup steps must be an integer ≥ 0, got ${o.warmupSteps}`);
  checkOptimizerConfig(o.optimizer, 'train-judge');
  // both orders of every pair, encoded once
  const enc = pairs.map((p) => ({
    ab: model.encode(p.prompt, p.chosen, p.rejected),
    ba: model.encode(p.prompt, p.rejected, p.chosen),
    p: p.probability,
  }));
  const params = model.params();
  const opt = new Optimizer(model.be, params, o.optimizer);
  const guard = new TrainingGuard({
    what: 'train-judge', warn: o.onWarn,
    fix: `lower the learning rate (now ${o.optimizer.lr})${o.optimizer.maxGradNorm ? '' : ' or clip the gradient norm'}; nothing was written`,
  });
  const stepsPerEpoch = Math.ceil(enc.length / o.batchSize);
  const total = stepsPerEpoch * o.epochs;
  const losses: number[] = [];
  const epochs: { loss: number; accuracy: number }[] = [];
  const rand = uniform((o.seed ?? 0) >>> 0);
  let step = 0;
  try {
    for (let e = 0; e < o.epochs; e++) {
      const order = enc.map((_, i) => i);
      shuffleInPlace(order, rand);
      let eLoss = 0, right = 0, counted = 0;
      for (let s = 0; s < stepsPerEpoch; s++, step++) {
        if (o.signal?.aborted) throw o.signal.reason ?? new Error('train-judge: aborted');
        const t0 = Date.now();
        const idx = order.slice(s * o.batchSize, (s + 1) * o.batchSize);
        const examples = idx.flatMap((k) => [{ ids: enc[k].ab, label: enc[k].p }, { ids: enc[k].ba, label: 1 - enc[k].p }]);
        const grads = model.zeroGrad();
        const { loss, logits } = await model.accumulate(examples);
        let stepRight = 0, stepCounted = 0;
        idx.forEach((k, j) => {
          const P = 0.5 * (sigmoid(logits[2 * j]) + 1 - sigmoid(logits[2 * j + 1]));
          const a = agrees(P, enc[k].p);
          if (a !== null) { stepCounted++; if (a) stepRight++; }
        });
        right += stepRight; counted += stepCounted;
        const { gradNorm, weightsNormSq } = await opt.norms(grads);
        guard.check(step + 1, loss, gradNorm, `epoch ${e + 1} of ${o.epochs}`, weightsNormSq);
        const lr = scheduleLR(o.schedule ?? 'constant', o.optimizer.lr, step, total, o.warmupSteps ?? 0);
        opt.update(grads, lr);
        losses.push(loss);
        eLoss += loss * idx.length;
        o.onStep?.({
          step: step + 1, total, epoch: e + 1, loss, lr,
          accuracy: stepCounted ? stepRight / stepCounted : NaN,
          pairsPerSecond: idx.length / Math.max(1e-3, (Date.now() - t0) / 1000),
        });
      }
      const ep = { loss: eLoss / enc.length, accuracy: counted ? right / counted : NaN };
      epochs.push(ep);
      o.onEpoch?.({ epoch: e + 1, ...ep });
    }
    // the last update has no next step to catch it
    guard.checkWeights(step, await opt.weightsNormSq(), `epoch ${o.epochs} of ${o.epochs}`);
  } finally {
    opt.dispose();
  }
  return { losses, epochs, steps: step };
}

/** accuracy (pairs with p ≠ ½ whose P falls on the side of p) and mean BCE of P against p */
export async function evaluatePairwise(model: PairwiseModel, pairs: readonly PreferencePair[], batchSize = 16): Promise<{ accuracy: number; loss: number; pairs: number }> {
  const P = await model.prefer(pairs.map((p) => ({ prompt: p.prompt, a: p.chosen, b: p.rejected })), { batchSize });
  let right = 0, counted = 0, loss = 0;
  pairs.forEach((p, i) => {
    const a = agrees(P[i], p.probability);
    if (a !== null) { counted++; if (a) right++; }
    const q = Math.min(1 - 1e-12, Math.max(1e-12, P[i]));
    loss -= p.probability * Math.log(q) + (1 - p.probability) * Math.log(1 - q);
  });
  return { accuracy: counted ? right / counted : NaN, loss: loss / pairs.length, pairs: pairs.length };
}
