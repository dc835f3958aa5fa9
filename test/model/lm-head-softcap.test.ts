// The fused LM head with final-logit soft-capping (Gemma-2): logits Z = c·tanh(H Wᵀ / c) chunk
// by chunk, against a float64 reference over the whole vocabulary — log-probs, lse, dH and dW
// (L = Σ dlogp·logp) — for chunks that divide V, do not, are one column wide, or cover all of V
// (backward then reuses the forward's capped logits). c is small enough that most logits bend.
import { suite } from 'uvu';
import { FusedLMHead } from '../../src/model/lm-head.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';

/** float64: logp, lse, dH (N,C), dW (V,C) of Σ_n dlogp[n]·log softmax(c·tanh(h_n·W/c))[target_n] */
function reference(h: Float32Array, w: Float32Array, targets: Int32Array, dlogp: Float32Array, N: number, V: number, C: number, cap: number) {
  const logp = new Float64Array(N), lse = new Float64Array(N), dh = new Float64Array(N * C), dw = new Float64Array(V * C);
  for (let n = 0; n < N; n++) {
    const z = new Float64Array(V), g = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let l = 0;
      for (let c = 0; c < C; c++) l += h[n * C + c] * w[v * C + c];
      const th = Math.tanh(l / cap);
      z[v] = cap * th; g[v] = 1 - th * th;
    }
    const m = Math.max(...z);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(z[v] - m);
    lse[n] = m + Math.log(s);
    const t = targets[n];
    if (t < 0) continue;
    logp[n] = z[t] - lse[n];
    for (let v = 0; v < V; v++) {
      const dz = dlogp[n] * ((v === t ? 1 : 0) - Math.exp(z[v] - lse[n]));
      const dl = dz * g[v];
      for (let c = 0; c < C; c++) { dh[n * C + c] += dl * w[v * C + c]; dw[v * C + c] += dl * h[n * C + c]; }
    }
  }
  return { logp, lse, dh, dw };
}

for (const beName of backendNames()) {
  const s = suite(`fused LM head with final-logit soft cap [${beName}]`);
  s('chunks 7, 1, V: logp, lse, dH, dW vs float64', async () => {
    const be = await getBackend(beName);
    const rng = new Rng(SEED ^ 0x50f7ca9);
    const N = 13, V = 45, C = 17, cap = 1.5;
    const h = rng.f32(N * C), w = rng.f32(V * C, { std: 0.6 });
    const targets = rng.i32(N, 0, V);
    targets[3] = -1; targets[5] = V - 1; targets[6] = 0;
    const dlogp = rng.f32(N);
    const ref = reference(h, w, targets, dlogp, N, V, C, cap);
    const th = be.fromArray(h, [N, C]), tw = be.fromArray(w, [V, C]), tt = be.fromArray(targets, [N], 'i32'), tdl = be.fromArray(dlogp, [N]);
    try {
      for (const chunk of [7, 1, V]) {
        const head = new FusedLMHead(be, N, V, C, { chunk, softcap: cap });
        const logp = be.tensor([N]), lse = be.tensor([N]), dh = be.tensor([N, C]), dw = be.tensor([V, C]);
        be.fill(logp, NaN); be.fill(lse, NaN); be.fill(dh, NaN); be.fill(dw, 0);
        try {
          head.forward(logp, lse, th, tw, tt);
          head.backward(dh, dw, th, tw, tt, lse, tdl);
          const what = `chunk ${chunk} [${beName}]`;
          const e1 = expectClose(await be.read(logp), ref.logp, 1e-5, `logp ${what}`);
          expectClose(await be.read(lse), ref.lse, 1e-6, `lse ${what}`);
          const e2 = expectClose(await be.read(dh), ref.dh, 1e-5, `dH ${what}`);
          const e3 = expectClose(await be.read(dw), ref.dw, 1e-5, `dW ${what}`);
          if (chunk === 7) console.log(`    soft-capped fused head ${what}: rel err logp ${e1.toExponential(1)}, dH ${e2.toExponential(1)}, dW ${e3.toExponential(1)}`);
        } finally {
          head.dispose();
          for (const t of [logp, lse, dh, dw]) be.dispose(t);
        }
      }
    } finally { for (const t of [th, tw, tt, tdl]) be.dispose(t); }
  });
  s('a soft cap that is not a positive number is refused', async () => {
    const be = await getBackend(beName);
    let msg = '';
    try { new FusedLMHead(be, 2, 3, 4, { softcap: 0 }); } catch (e) { msg = (e as Error).message; }
    if (!/softcap must be a positive number/.test(msg)) throw new Error(`got "${msg}"`);
  });
  s.run();
}
