// The `matmul` measure of `npm run bench -- scale`, our side: times each product a training step
// ran (recorded by bench/scale/ours.ts) in isolation on the wasm backend, in a process of its own.
//   node --import tsx bench/scale/matmul.ts '<json: {products: [{m, n, k, transA, transB, bDtype, accumulate}], minMs}>'
// Prints one JSON line: {ms: [ms per call of each product, in order]} or {error}.
// Layouts as Backend.matmul: out (m,n) = a·b with a (m,k) or, transA, (k,m); b (k,n) or, transB,
// (n,k); b in its recorded dtype (16-bit weights stay 16-bit, as in the step); inputs are random.
import { createBackend } from '../../src/kernels/index.js';
import { toHalfBits } from '../../src/kernels/half.js';

const cfg = JSON.parse(process.argv[2]);
const be = await createBackend('wasm');
const out: Record<string, unknown> = {};
let seed = 7;
const rand = (n: number) => { const x = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; x[i] = seed / 2 ** 32 - 0.5; } return x; };
try {
  const ms: number[] = [];
  for (const p of cfg.products) {
    const a = be.fromArray(rand(p.m * p.k), p.transA ? [p.k, p.m] : [p.m, p.k]);
    const bShape = p.transB ? [p.n, p.k] : [p.k, p.n];
    const b = p.bDtype === 'f32' ? be.fromArray(rand(p.n * p.k), bShape) : be.fromArray(toHalfBits(rand(p.n * p.k), p.bDtype), bShape, p.bDtype);
    const o = be.fromArray(new Float32Array(p.m * p.n), [p.m, p.n]);
    const opt = { m: p.m, n: p.n, k: p.k, transA: p.transA, transB: p.transB, accumulate: p.accumulate };
    be.matmul(o, a, b, opt); // warm-up (packing scratch, pages)
    // at least 2 calls and minMs of wall time; the best call (least disturbed by other processes)
    let best = Infinity, spent = 0, calls = 0;
    while (calls < 2 || spent < cfg.minMs) {
      const t0 = performance.now();
      be.matmul(o, a, b, opt);
      const t = performance.now() - t0;
      best = Math.min(best, t); spent += t; calls++;
    }
    ms.push(best);
    for (const t of [a, b, o]) be.dispose(t);
  }
  out.ms = ms;
} catch (e) {
  out.error = (e as Error).message;
}
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
