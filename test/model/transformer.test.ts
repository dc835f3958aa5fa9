// The transformer forward and backward on every backend against an independent float64
// reference (test/model/ref-model.ts): logits and token log-probs on random tiny models
// with padding, and every parameter's gradient spot-checked by central finite differences
// of the float64 reference loss.
import { suite } from 'uvu';
import type { Arch } from '../../src/model/arch.js';
import { paramSpecs } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { packBatch } from '../../src/model/batch.js';
import { Transformer } from '../../src/model/transformer.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';
import { refLogits, refTokenLogprobs } from './ref-model.js';

const archs: Record<string, Arch> = {
  'llama-gqa': { family: 'llama', vocab: 37, hidden: 24, layers: 2, heads: 6, kvHeads: 2, headDim: 4, intermediate: 40, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 64 },
  'llama-tied-bias': { family: 'llama', vocab: 29, hidden: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, intermediate: 24, normEps: 1e-6, ropeTheta: 500, tied: true, qkvBias: true, oBias: true, mlpBias: true, maxPositions: 64 },
  // Qwen3: per-head q/k RMSNorm, head_dim 10 ≠ hidden/heads, 3 query heads on 1 kv head
  'qwen3': { family: 'llama', vocab: 33, hidden: 20, layers: 2, heads: 3, kvHeads: 1, headDim: 10, intermediate: 28, normEps: 1e-6, ropeTheta: 10000, tied: false, qkvBias: false, qkNorm: true, maxPositions: 64 },
  'gpt2': { family: 'gpt2', vocab: 31, hidden: 16, layers: 2, heads: 4, kvHeads: 4, headDim: 4, intermediate: 64, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: true, maxPositions: 32 },
};

function randomSeqs(rng: Rng, V: number) {
  // three rows of different lengths: right padding on the short ones
  return [
    { prompt: rng.i32(3, 0, V), response: rng.i32(4, 0, V) },
    { prompt: rng.i32(1, 0, V), response: rng.i32(2, 0, V) },
    { prompt: rng.i32(2, 0, V), response: rng.i32(5, 0, V) },
  ];
}

/** Perturb init so norms/biases are not trivially 1/0 (their gradients must be checked too). */
function randomize(host: Map<string, Float32Array>, rng: Rng): void {
  for (const [name, a] of host) {
    const isNorm = /ln\d\.w|norm\.w|(qn|kn)\.w/.test(name);
    for (let i = 0; i < a.length; i++) a[i] = isNorm ? 1 + 0.2 * rng.normal() : a[i] + 0.05 * rng.normal() + (name.endsWith('.b') ? 0.1 * rng.normal() : 0);
  }
  // larger weights so the function is not nearly linear
  for (const [name, a] of host) if (name.endsWith('.w') && !/ln\d|norm|qn|kn/.test(name)) for (let i = 0; i < a.length; i++) a[i] *= 8;
}

for (const beName of backendNames()) {
  for (const [archName, arch] of Object.entries(archs)) {
    const s = suite(`transformer ${archName} [${beName}]`);
    s('logits and token log-probs match the float64 reference', async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ 0x51);
      const host = initParams(arch, rng.int(0, 1 << 30));
      randomize(host, rng);
      const model = new Transformer(be, arch, uploadParams(be, arch, host));
      for (const padSide of ['right', 'left'] as const) {
        const batch = packBatch(randomSeqs(rng, arch.vocab), { padSide });
        const want = refLogits(arch, (n) => host.get(n)!, batch);
        const got = Float64Array.from(await be.read(model.forwardLogits(batch)));
        model.lmHeadOptions = { chunk: 7 }; // V = 37, 29, 31: chunks of 7 with a shorter last one
        const { logp } = model.forward(batch);
        // padded rows: logits there are unspecified (masked); compare real tokens only
        const V = arch.vocab;
        const g: number[] = [], w: number[] = [];
        for (let n = 0; n < batch.B * batch.T; n++) if (batch.keyMask[n]) for (let v = 0; v < V; v++) { g.push(got[n * V + v]); w.push(want[n * V + v]); }
        expectClose(g, w, 1e-4, `${archName} logits (${padSide} padding)`);
        expectClose(Float64Array.from(await be.read(logp)), refTokenLogprobs(want, batch.targets, V), 1e-4, `${archName} token logprobs (${padSide})`);
      }
      model.dispose();
    });

    s('every parameter gradient matches central finite differences of the float64 reference', async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ 0x77);
      const host = initParams(arch, rng.int(0, 1 << 30));
      randomize(host, rng);
      const model = new Transformer(be, arch, uploadParams(be, arch, host));
      const batch = packBatch(randomSeqs(rng, arch.vocab), { padSide: 'right' });
      // loss = -Σ_n c_n · logp_n with random positive weights c (exercises per-token dlogp)
      const c = new Float32Array(batch.B * batch.T);
      for (let i = 0; i < c.length; i++) c[i] = batch.targets[i] >= 0 ? 0.5 + rng.next() : 0;
      model.zeroGrad();
      model.lmHeadOptions = { chunk: 5 }; // the fused head in chunks that do not divide V
      model.forward(batch);
      const dlogp = be.fromArray(c.map((x) => -x), [c.length]);
      model.backward(dlogp);
      const f64: Map<string, Float64Array> = new Map([...host].map(([k, v]) => [k, Float64Array.from(v)]));
      const loss = () => {
        const lg = refLogits(arch, (n) => f64.get(n)!, batch);
        const lp = refTokenLogprobs(lg, batch.targets, arch.vocab);
        let L = 0;
        for (let i = 0; i < lp.length; i++) L -= c[i] * lp[i];
        return L;
      };
      let worst = 0;
      for (const spec of paramSpecs(arch)) {
        const grad = Float64Array.from(await be.read(model.grads!.get(spec.name)!));
        const p = f64.get(spec.name)!;
        const idxs = [0, p.length - 1, rng.int(0, p.length), rng.int(0, p.length)];
        const gotV: number[] = [], wantV: number[] = [];
        for (const i of idxs) {
          const h = 1e-5, old = p[i];
          p[i] = old + h; const lp = loss();
          p[i] = old - h; const lm = loss();
          p[i] = old;
          wantV.push((lp - lm) / (2 * h));
          gotV.push(grad[i]);
        }
        // compare against the scale of the whole gradient tensor (some entries are ~0); the key
        // bias gets an exactly-zero gradient (softmax is shift-invariant), hence the 1e-4 floor
        let scale = 0;
        for (const v of grad) scale = Math.max(scale, Math.abs(v));
        const err = Math.max(...gotV.map((g, k) => Math.abs(g - wantV[k]))) / Math.max(scale, 1e-4);
        worst = Math.max(worst, err);
        if (!(err < 2e-3)) throw new Error(`${archName}: gradient of ${spec.name} differs from finite differences: rel err ${err.toExponential(2)} (got ${gotV.map((v) => v.toPrecision(5))}, want ${wantV.map((v) => v.toPrecision(5))}; seed ${SEED})`);
      }
      console.log(`    ${archName} [${beName}]: worst gradient rel err vs finite differences ${worst.toExponential(2)}`);
      be.dispose(dlogp);
      model.dispose();
    });
    s('fused LM head vs the full-logits head: log-probs, lse and every gradient, on awkward chunkings', async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ 0x4d);
      const host = initParams(arch, rng.int(0, 1 << 30));
      randomize(host, rng);
      const model = new Transformer(be, arch, uploadParams(be, arch, host));
      const batch = packBatch(randomSeqs(rng, arch.vocab), { padSide: 'left' });
      const V = arch.vocab;
      // an ignored target inside the sequence too (targets < 0 give 0 and no gradient)
      const firstReal = batch.targets.findIndex((t) => t >= 0);
      batch.targets[firstReal] = -1;
      const c = new Float32Array(batch.B * batch.T).map((_, i) => (batch.targets[i] >= 0 ? -(0.5 + rng.next()) : 0));
      c[firstReal] = NaN; // never read: the row is ignored
      const dT = be.fromArray(c, [c.length]);
      const run = async (mode: 'full' | 'fused', chunk?: number, keepLogits = false) => {
        model.lmHeadMode = mode;
        model.lmHeadOptions = { chunk };
        model.zeroGrad();
        const { logp, lse } = model.forward(batch, { keepLogits });
        const lp = Float64Array.from(await be.read(logp)), ls = Float64Array.from(await be.read(lse));
        model.backward(dT);
        const grads = new Map<string, Float64Array>();
        for (const [n, g] of model.grads!) grads.set(n, Float64Array.from(await be.read(g)));
        return { lp, ls, grads };
      };
      const full = await run('full');
      if (full.lp[firstReal] !== 0) throw new Error(`logp of an ignored target is ${full.lp[firstReal]}`);
      // not a multiple of the chunk; V smaller than a chunk; V = chunk + 1; one column per chunk
      // keep: every chunk's logits held from forward to backward (no recomputation) — the same numbers
      for (const [chunk, keep] of [7, V + 5, V - 1, 1].flatMap((c) => [[c, false], [c, true]] as const)) {
        const f = await run('fused', chunk, keep);
        if (f.lp[firstReal] !== 0) throw new Error(`fused: logp of an ignored target is ${f.lp[firstReal]}`);
        expectClose(f.lp, full.lp, 1e-5, `${archName} fused logp (chunk ${chunk}${keep ? ', logits kept' : ''})`);
        const real: number[] = [], realFull: number[] = [];
        for (let n = 0; n < batch.B * batch.T; n++) if (batch.keyMask[n]) { real.push(f.ls[n]); realFull.push(full.ls[n]); }
        expectClose(real, realFull, 1e-5, `${archName} fused lse (chunk ${chunk})`);
        // each tensor against its own scale, floored at 1e-3 of the largest gradient of the model:
        // the key bias's gradient is exactly 0 in exact arithmetic (softmax is shift-invariant),
        // so both paths give rounding noise there
        let top = 0;
        for (const g of full.grads.values()) for (const v of g) top = Math.max(top, Math.abs(v));
        for (const [n, g] of full.grads) expectClose(f.grads.get(n)!, g, 1e-4, `${archName} fused grad ${n} (chunk ${chunk}${keep ? ', logits kept' : ''})`, 1e-3 * top);
      }
      model.lmHeadMode = 'fused';
      be.dispose(dT);
      model.dispose();
    });
    s('activation recomputation gives the same gradients', async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ 0x3c);
      const host = initParams(arch, rng.int(0, 1 << 30));
      randomize(host, rng);
      const model = new Transformer(be, arch, uploadParams(be, arch, host));
      const batch = packBatch(randomSeqs(rng, arch.vocab));
      const dl = new Float32Array(batch.B * batch.T).map((_, i) => (batch.targets[i] >= 0 ? -0.5 : 0));
      const dT = be.fromArray(dl, [dl.length]);
      const grads = async (recompute: boolean) => {
        model.recompute = recompute;
        model.zeroGrad();
        model.forward(batch);
        model.backward(dT);
        const out = new Map<string, Float64Array>();
        for (const [n, g] of model.grads!) out.set(n, Float64Array.from(await be.read(g)));
        return out;
      };
      const full = await grads(false), re = await grads(true);
      for (const [n, g] of full) expectClose(re.get(n)!, g, 1e-6, `${archName} recomputed grad ${n}`);
      be.dispose(dT);
      model.dispose();
    });
    s.run();
  }
}
