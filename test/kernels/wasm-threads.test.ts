// The wasm backend gives bit-identical results whatever its thread count: every op below runs
// on backends with 1, 2 and 3 threads over the same inputs, and the outputs must match bit for
// bit (reductions use fixed-size chunks combined in a fixed order; every output element is
// written by one task in a fixed summation order). The sizes are large enough that the ops
// really run across the workers (checked with pool.parallelRuns).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWasmBackend } from '../../src/kernels/wasm/create.js';
import type { WasmBackend } from '../../src/kernels/wasm/backend.js';
import type { Tensor } from '../../src/kernels/backend.js';
import { Rng, SEED } from './harness.js';

type Run = (be: WasmBackend, inputs: Record<string, Float32Array | Int32Array>) => Tensor[];
interface Job { name: string; inputs: (rng: Rng) => Record<string, Float32Array | Int32Array>; run: Run }

const f = (be: WasmBackend, a: Float32Array | Int32Array, shape?: number[]) => be.fromArray(a, shape ?? [a.length]);

const matmulJob = (m: number, n: number, k: number, o: { transA?: boolean; transB?: boolean; bias?: boolean; batch?: number; broadcastB?: boolean; accumulate?: boolean; alpha?: number } = {}): Job => ({
  name: `matmul ${m}x${k}x${n} ${JSON.stringify(o)}`,
  inputs: (rng) => {
    const batch = o.batch ?? 1;
    return { a: rng.f32(batch * m * k), b: rng.f32((o.broadcastB ? 1 : batch) * k * n), bias: rng.f32(n), c0: rng.f32(batch * m * n) };
  },
  run: (be, x) => {
    const out = f(be, x.c0);
    be.matmul(out, f(be, x.a), f(be, x.b), { m, n, k, transA: o.transA, transB: o.transB, batch: o.batch, broadcastB: o.broadcastB, accumulate: o.accumulate, alpha: o.alpha, bias: o.bias ? f(be, x.bias) : undefined });
    return [out];
  },
});

const jobs: Job[] = [
  matmulJob(67, 131, 75),
  matmulJob(130, 65, 70, { transA: true }),
  matmulJob(33, 257, 70, { transB: true, bias: true, alpha: 0.7, accumulate: true }),
  matmulJob(33, 48, 65, { batch: 6, broadcastB: true, transA: true, transB: true }),
  matmulJob(3, 1000, 200, { transB: true }),
  matmulJob(2, 1001, 300),
  matmulJob(40, 70, 700, { transA: true, transB: true }),
  {
    name: 'attention forward + backward B2 T67 H4/2 D20 masked',
    inputs: (rng) => {
      const B = 2, T = 67, H = 4, KH = 2, D = 20;
      const mask = new Int32Array(B * T).fill(1);
      for (let t = 0; t < 5; t++) mask[T + t] = 0;
      mask[10] = 0;
      return { q: rng.f32(B * T * H * D), k: rng.f32(B * T * KH * D), v: rng.f32(B * T * KH * D), dout: rng.f32(B * T * H * D), mask };
    },
    run: (be, x) => {
      const o = { batch: 2, seq: 67, heads: 4, kvHeads: 2, headDim: 20, keyMask: f(be, x.mask) };
      const q = f(be, x.q), k = f(be, x.k), v = f(be, x.v);
      const out = be.tensor([x.q.length]), lse = be.tensor([2 * 4 * 67]);
      be.attention(out, lse, q, k, v, o);
      const dq = be.tensor([x.q.length]), dk = be.tensor([x.k.length]), dv = be.tensor([x.v.length]);
      be.attentionBackward(dq, dk, dv, f(be, x.dout), q, k, v, out, lse, o);
      return [out, lse, dq, dk, dv];
    },
  },
  {
    name: 'sumSquares n=100003 (and accumulate), sumRows 1001x131',
    inputs: (rng) => ({ x: rng.f32(100003), y: rng.f32(1001 * 131), r0: rng.f32(131) }),
    run: (be, x) => {
      const s1 = be.tensor([1]), s2 = f(be, new Float32Array([1.5]));
      be.sumSquares(s1, f(be, x.x));
      be.sumSquares(s2, f(be, x.x), { accumulate: true });
      const r1 = be.tensor([131]), r2 = f(be, x.r0);
      be.sumRows(r1, f(be, x.y, [1001, 131]));
      be.sumRows(r2, f(be, x.y, [1001, 131]), { accumulate: true });
      return [s1, s2, r1, r2];
    },
  },
  {
    name: 'embedding backward with repeated ids V50 C700 N200',
    inputs: (rng) => ({ ids: rng.i32(200, 0, 50), dout: rng.f32(200 * 700), t0: rng.f32(50 * 700) }),
    run: (be, x) => {
      const dt = f(be, x.t0, [50, 700]);
      be.embeddingBackward(dt, f(be, x.dout, [200, 700]), f(be, x.ids));
      return [dt];
    },
  },
  {
    name: 'rmsnorm / layernorm backward N300 C300 (dw, db across row chunks)',
    inputs: (rng) => ({ x: rng.f32(300 * 300), w: rng.f32(300), b: rng.f32(300), dout: rng.f32(300 * 300), dw0: rng.f32(300) }),
    run: (be, x) => {
      const X = f(be, x.x, [300, 300]), W = f(be, x.w), Bb = f(be, x.b), G = f(be, x.dout, [300, 300]);
      const out = be.tensor([300, 300]), rstd = be.tensor([300]), mean = be.tensor([300]);
      be.rmsnorm(out, rstd, X, W, 1e-5);
      const dx = be.tensor([300, 300]), dw = f(be, x.dw0);
      be.rmsnormBackward(dx, dw, G, X, W, rstd);
      const out2 = be.tensor([300, 300]), rstd2 = be.tensor([300]);
      be.layernorm(out2, mean, rstd2, X, W, Bb, 1e-5);
      const dx2 = be.tensor([300, 300]), dw2 = f(be, x.dw0), db2 = f(be, x.dw0);
      be.layernormBackward(dx2, dw2, db2, G, X, W, mean, rstd2);
      return [out, rstd, dx, dw, out2, dx2, dw2, db2];
    },
  },
  {
    name: 'tokenLogprobs + backward N40 V3001, seqSum',
    inputs: (rng) => ({ logits: rng.f32(40 * 3001, { std: 3 }), targets: rng.i32(40, -1, 3001), dlogp: rng.f32(40) }),
    run: (be, x) => {
      const L = f(be, x.logits, [40, 3001]), T = f(be, x.targets);
      const logp = be.tensor([40]), lse = be.tensor([40]);
      be.tokenLogprobs(logp, lse, L, T);
      const dl = be.tensor([40, 3001]);
      be.tokenLogprobsBackward(dl, L, T, lse, f(be, x.dlogp));
      const sm = be.tensor([40, 3001]);
      be.softmax(sm, L, 3001);
      return [logp, lse, dl, sm];
    },
  },
];

const backends: WasmBackend[] = [];
test.before(async () => {
  for (const threads of [1, 2, 3]) backends.push(await createWasmBackend({ threads }));
});
test.after(() => { for (const be of backends) be.destroy(); });

test('pools have the asked thread counts', () => {
  assert.equal(backends.map((b) => b.threads), [1, 2, 3]);
  assert.equal(backends.map((b) => b.pool.workerCount), [0, 1, 2]);
});

for (const job of jobs) {
  test(`bit-identical on 1, 2, 3 threads: ${job.name}`, async () => {
    const inputs = job.inputs(new Rng((SEED ^ job.name.length * 7919) >>> 0));
    const results: Uint32Array[][] = [];
    for (const be of backends) {
      const before = be.pool.parallelRuns;
      const outs = job.run(be, inputs);
      results.push(await Promise.all(outs.map(async (t) => {
        const r = await be.read(t);
        for (let i = 0; i < r.length; i++) if (!Number.isFinite(r[i])) throw new Error(`${job.name}: output has ${r[i]} at ${i} on ${be.threads} threads`);
        return new Uint32Array(r.buffer, r.byteOffset, r.length);
      })));
      if (be.threads > 1) assert.ok(be.pool.parallelRuns > before, `${job.name}: nothing ran in parallel on ${be.threads} threads (sizes too small for the test to mean anything)`);
      for (const t of outs) be.dispose(t);
    }
    for (let b = 1; b < results.length; b++) {
      results[0].forEach((want, o) => {
        const got = results[b][o];
        for (let i = 0; i < want.length; i++) {
          if (got[i] !== want[i]) throw new Error(`${job.name}: output ${o} element ${i} differs between 1 and ${backends[b].threads} threads (${new Float32Array(want.buffer, want.byteOffset)[i]} vs ${new Float32Array(got.buffer, got.byteOffset)[i]}; seed ${SEED})`);
        }
      });
    }
  });
}

test.run();
