// A fixed workload for the wasm backend, run unchanged in Node, Deno and Chromium by
// wasm-runtimes.test.ts: products big enough to be split across the workers, attention
// forward and backward, a norm backward and a global sum of squares (sizes chosen so that each op but the layernorm forward is split
// across the workers). Returns every output's
// bits (as numbers) and what the pool did, so the runtimes can be compared bit for bit.
import { createWasmBackend } from '../../src/kernels/wasm/create.js';

function data(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296 - 0.5) * 2;
  }
  return a;
}

export interface ProbeResult { threads: number; workers: number; parallelRuns: number; shared: boolean; fma: boolean; outputs: number[][] }

export async function probe(threads = 2): Promise<ProbeResult> {
  const be = await createWasmBackend({ threads });
  try {
    const outs: Float32Array[] = [];
    const read = async (t: Parameters<typeof be.read>[0]) => outs.push((await be.read(t)) as Float32Array);
    // matmul 67×90 @ 90×131 with bias, and Aᵀ·B with K = 300 (two K blocks)
    const a = be.fromArray(data(67 * 90, 1), [67, 90]), b = be.fromArray(data(90 * 131, 2), [90, 131]);
    const bias = be.fromArray(data(131, 3), [131]);
    const c = be.tensor([67, 131]);
    be.matmul(c, a, b, { m: 67, n: 131, k: 90, bias });
    await read(c);
    const at = be.fromArray(data(300 * 40, 4), [300, 40]), bt = be.fromArray(data(300 * 70, 5), [300, 70]);
    const c2 = be.tensor([40, 70]);
    be.matmul(c2, at, bt, { m: 40, n: 70, k: 300, transA: true });
    await read(c2);
    // attention B2 T67 H4/2 D20
    const B = 2, T = 67, H = 4, KH = 2, D = 20;
    const q = be.fromArray(data(B * T * H * D, 6), [B, T, H, D]), k = be.fromArray(data(B * T * KH * D, 7), [B, T, KH, D]);
    const v = be.fromArray(data(B * T * KH * D, 8), [B, T, KH, D]), g = be.fromArray(data(B * T * H * D, 9), [B, T, H, D]);
    const o = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D };
    const out = be.tensor([B, T, H, D]), lse = be.tensor([B, H, T]);
    be.attention(out, lse, q, k, v, o);
    const dq = be.tensor([B, T, H, D]), dk = be.tensor([B, T, KH, D]), dv = be.tensor([B, T, KH, D]);
    be.attentionBackward(dq, dk, dv, g, q, k, v, out, lse, o);
    for (const t of [out, lse, dq, dk, dv]) await read(t);
    // layernorm backward 300×250 (dw, db over row chunks), sum of squares of 200k values
    const x = be.fromArray(data(300 * 250, 10), [300, 250]), w = be.fromArray(data(250, 11), [250]), bb = be.fromArray(data(250, 12), [250]);
    const y = be.tensor([300, 250]), mean = be.tensor([300]), rstd = be.tensor([300]);
    be.layernorm(y, mean, rstd, x, w, bb, 1e-5);
    const dx = be.tensor([300, 250]), dw = be.fromArray(new Float32Array(250), [250]), db = be.fromArray(new Float32Array(250), [250]);
    be.layernormBackward(dx, dw, db, be.fromArray(data(300 * 250, 13), [300, 250]), x, w, mean, rstd);
    for (const t of [y, dx, dw, db]) await read(t);
    const s = be.tensor([1]);
    be.sumSquares(s, be.fromArray(data(400_000, 14), [400_000]));
    await read(s);
    return {
      threads: be.threads, workers: be.pool.workerCount, parallelRuns: be.pool.parallelRuns, fma: be.fma,
      shared: typeof SharedArrayBuffer !== 'undefined' && be.memory.buffer instanceof SharedArrayBuffer,
      outputs: outs.map((f) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length))),
    };
  } finally { be.destroy(); }
}
