// SPPO's fixed point: for fixed responses with known win rates P̂, minimising the sppo_all loss
// drives log π_θ(y_k)/π_t(y_k) to η(P̂_k − ½) — the multiplicative-weights step
// π_{t+1} ∝ π_t·exp(η P̂) — absolutely, not only up to a per-prompt constant: the targets are
// reachable here, so the square losses' minimum is r = target. On a real tiny transformer, on
// every backend. Also: the pairwise losses move chosen above rejected.
import { suite } from 'uvu';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { Transformer } from '../../src/model/transformer.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { buildRecords, preferenceBackward, sequenceLogprobs, type JudgedGroup, type LossName } from '../../src/train/preference.js';
import { backendNames, getBackend, Rng, SEED } from '../kernels/harness.js';

const arch: Arch = { family: 'llama', vocab: 19, hidden: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, intermediate: 24, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 32 };

function groups(rng: Rng): JudgedGroup[] {
  // two prompts, K = 4 responses each, distinct first tokens so each sequence's probability is free
  return [0, 1].map((g) => {
    const K = 4;
    const first = [3, 7, 11, 15].map((x) => x + g);
    const responses = first.map((f) => [f, rng.int(0, arch.vocab)]);
    const winrates = [0.8, 0.55, 0.4, 0.25].map((w) => w + 0.05 * g);
    const matrix = winrates.map((wi, i) => winrates.map((wj, j) => (i === j ? 0.5 : 0.5 + (wi - wj) / 2)));
    return { promptIds: [1, 2 + g, 5], responses, winrates, matrix };
  });
}

async function train(beName: 'webgpu' | 'wasm', loss: LossName, beta: number, steps: number, magnet = 0) {
  const be = await getBackend(beName);
  const rng = new Rng(SEED ^ 0x1234);
  const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 7)));
  const gs = groups(rng);
  const recs = buildRecords(gs, { loss, beta, magnet });
  const ref = await sequenceLogprobs(model, recs, 16);
  recs.forEach((r, i) => { r.refLogp = ref[i]; });
  // magnetic SPPO: the magnet μ is another policy (a differently initialised model)
  let mu: number[] = [];
  if (magnet > 0) {
    const m = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 8)));
    mu = await sequenceLogprobs(m, recs, 16);
    m.dispose();
    recs.forEach((r, i) => { r.magnetLogp = mu[i]; });
  }
  const opt = new Optimizer(be, model.params, { name: 'adamw', lr: 0.05 });
  let last = Infinity;
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    last = (await preferenceBackward(model, recs, { loss, beta, magnet })).loss;
    opt.update(model.grads!);
  }
  const now = await sequenceLogprobs(model, recs, 16);
  const r = now.map((v, i) => v - ref[i]);
  opt.dispose(); model.dispose();
  return { gs, recs, r, last, mu, now, ref };
}

/** worst |(x − x̄) − (y − ȳ)| over each prompt's records (equality up to a per-prompt constant) */
function worstUpToConstant(recs: { group: number }[], x: number[], y: number[]): number {
  let worst = 0;
  for (const g of new Set(recs.map((r) => r.group))) {
    const idx = recs.map((r, i) => (r.group === g ? i : -1)).filter((i) => i >= 0);
    const mx = idx.reduce((a, i) => a + x[i], 0) / idx.length, my = idx.reduce((a, i) => a + y[i], 0) / idx.length;
    for (const i of idx) worst = Math.max(worst, Math.abs(x[i] - mx - (y[i] - my)));
  }
  return worst;
}

for (const beName of backendNames()) {
  const s = suite(`preference fixed point [${beName}]`);
  // Square losses define r itself, not only differences: with K distinct first tokens out of 19 the
  // targets are reachable (Σ π_t·e^r stays below 1), so the minimum puts every record's log-ratio
  // on its target — absolutely. A target of η·P̂ (no −½) or a stale reference fails here.
  for (const loss of ['sppo_all', 'sppo'] as LossName[]) {
    s(`${loss} drives every record's log π_θ/π_t to its target, absolutely`, async () => {
      const eta = 2;
      const { gs, recs, r } = await train(beName, loss, 1 / eta, 120);
      let worst = 0;
      recs.forEach((rec, i) => {
        const P = gs[rec.group].winrates;
        const want = eta * (P[rec.sample] - 0.5);
        worst = Math.max(worst, Math.abs(r[i] - want));
      });
      console.log(`    [${beName}] ${loss}: worst |r − target| = ${worst.toExponential(2)}`);
      if (!(worst < 0.02)) throw new Error(`${loss}: log-ratios did not reach their targets: worst deviation ${worst} (seed ${SEED})`);
    });
  }
  s('magnetic sppo_all converges to log π_θ − [log π_t + ηα log μ]/(1+ηα) = η(P̂ − ½)/(1+ηα) up to a per-prompt constant', async () => {
    const eta = 2, alpha = 0.75, c = eta * alpha;
    const { gs, recs, last, mu, now, ref } = await train(beName, 'sppo_all', 1 / eta, 150, alpha);
    // the fixed point of the mirror-descent step toward μ, in float64 from the three log-probs
    const lhs = now.map((v, i) => v - (ref[i] + c * mu[i]) / (1 + c));
    const want = recs.map((x) => (eta * (gs[x.group].winrates[x.sample] - 0.5)) / (1 + c));
    const worst = worstUpToConstant(recs, lhs, want);
    // the same run judged by the formula without the magnet: the magnet must have mattered
    const plain = worstUpToConstant(recs, now.map((v, i) => v - ref[i]), recs.map((x) => eta * (gs[x.group].winrates[x.sample] - 0.5)));
    console.log(`    [${beName}] magnetic sppo_all (ηα = ${c}): final loss ${last.toExponential(2)}, worst deviation from the magnetic fixed point ${worst.toExponential(2)} (from plain SPPO's: ${plain.toFixed(3)})`);
    if (!(worst < 0.02)) throw new Error(`log-ratios did not reach the magnetic fixed point up to a constant: worst deviation ${worst} (seed ${SEED})`);
    if (!(plain > 0.1)) throw new Error(`the magnet did not move the fixed point away from plain SPPO's (deviation ${plain}): the test cannot tell them apart (seed ${SEED})`);
  });
  for (const loss of ['sppo', 'dpo', 'ipo', 'hinge', 'sppo_single', 'sppo_hard'] as LossName[]) {
    s(`${loss} raises the chosen response over the rejected one`, async () => {
      const { recs, r } = await train(beName, loss, 0.5, 12);
      for (let i = 0; i < recs.length; i += 2) {
        if (!(r[i] > r[i + 1])) throw new Error(`${loss}: chosen log-ratio ${r[i]} not above rejected ${r[i + 1]} (group ${recs[i].group})`);
      }
    });
  }
  s.run();
}
