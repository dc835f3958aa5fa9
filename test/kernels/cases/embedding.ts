// Embedding gather and scatter-add backward vs float64 references: awkward sizes, repeated ids
// (the same row gathered and accumulated many times), a pre-filled dtable (accumulate), and
// ids outside [0,V): the contract lets a backend that sees the ids throw; one that does not
// (WebGPU: ids live on the device) gives zero rows forward and skips them backward.
import { expectClose, SEED, type KernelCase } from '../harness.js';
import { fromHalfBits, toHalfBits } from '../../../src/kernels/half.js';

// (V, C, N)
const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 5], [17, 3, 63], [65, 63, 17], [63, 65, 65], [1000, 257, 3], [5, 64, 300], [300, 17, 1000]];

export const cases: KernelCase[] = shapes.map(([V, C, N]): KernelCase => ({
  name: `embedding + backward V=${V} C=${C} N=${N}`,
  async run({ be, rng, input, out, read }) {
    const table = rng.f32(V * C);
    const ids = rng.i32(N, 0, V);
    if (N >= 2) ids[1] = ids[0]; // a repeat
    const tt = input(table, [V, C]);
    const ti = be.fromArray(ids, [N], 'i32');
    const o = out([N, C]);
    be.embedding(o, tt, ti);
    const want = new Float64Array(N * C);
    for (let n = 0; n < N; n++) if (ids[n] >= 0 && ids[n] < V) for (let c = 0; c < C; c++) want[n * C + c] = table[ids[n] * C + c];
    expectClose(await read(o), want, 0, 'embedding');
    const dout = rng.f32(N * C), prior = rng.f32(V * C);
    const dtable = input(prior, [V, C]);
    be.embeddingBackward(dtable, input(dout, [N, C]), ti);
    const wantD = Float64Array.from(prior);
    for (let n = 0; n < N; n++) if (ids[n] >= 0 && ids[n] < V) for (let c = 0; c < C; c++) wantD[ids[n] * C + c] += dout[n * C + c];
    // a row hit k times is a sum of k+1 f32 values: 1e-5 covers the rounding of up to ~100 adds
    expectClose(await read(dtable), wantD, 1e-5, 'embeddingBackward (accumulated)');
    be.dispose(ti);
  },
})).concat([{
  name: 'embedding ids outside [0,V): zeros and skipped, or an error',
  async run({ be, rng, input, out, read }) {
    const V = 9, C = 17, N = 6;
    const table = rng.f32(V * C), dout = rng.f32(N * C);
    const ids = Int32Array.from([3, -1, V, 0, V + 1000, 3]);
    const ti = be.fromArray(ids, [N], 'i32');
    try {
      const o = out([N, C]);
      const dtable = input(new Float32Array(V * C), [V, C]);
      try {
        be.embedding(o, input(table, [V, C]), ti);
        be.embeddingBackward(dtable, input(dout, [N, C]), ti);
      } catch (e) {
        if (!/\bid/.test(String(e))) throw new Error(`out-of-range ids raised an error that does not name them: ${e}`);
        return;
      }
      const want = new Float64Array(N * C), wantD = new Float64Array(V * C);
      for (let n = 0; n < N; n++) {
        if (ids[n] < 0 || ids[n] >= V) continue;
        for (let c = 0; c < C; c++) { want[n * C + c] = table[ids[n] * C + c]; wantD[ids[n] * C + c] += dout[n * C + c]; }
      }
      expectClose(await read(o), want, 0, 'embedding with out-of-range ids');
      expectClose(await read(dtable), wantD, 1e-6, 'embeddingBackward with out-of-range ids');
    } finally { be.dispose(ti); }
  },
}, {
  name: 'embedding id -1 (padding): zeros forward, skipped backward, on every backend, even beside NaN/Inf rows',
  async run({ be, rng, input, out, read }) {
    const V = 5, C = 19, N = 7;
    const table = rng.f32(V * C), dout = rng.f32(N * C);
    table.fill(NaN, 0, C); table.fill(Infinity, (V - 1) * C, V * C); // rows 0 and V-1: never read
    const ids = Int32Array.from([2, -1, 1, -1, -1, 3, 2]);
    const ti = be.fromArray(ids, [N], 'i32');
    try {
      const o = out([N, C]);
      const dtable = input(new Float32Array(V * C), [V, C]);
      be.embedding(o, input(table, [V, C]), ti);
      be.embeddingBackward(dtable, input(dout, [N, C]), ti);
      const want = new Float64Array(N * C), wantD = new Float64Array(V * C);
      for (let n = 0; n < N; n++) {
        if (ids[n] < 0) continue;
        for (let c = 0; c < C; c++) { want[n * C + c] = table[ids[n] * C + c]; wantD[ids[n] * C + c] += dout[n * C + c]; }
      }
      expectClose(await read(o), want, 0, 'embedding with padding ids');
      expectClose(await read(dtable), wantD, 1e-6, 'embeddingBackward with padding ids');
    } finally { be.dispose(ti); }
  },
}, {
  name: 'embeddingBackward is deterministic (bitwise equal over two runs)',
  async run({ be, rng, input, read }) {
    const V = 7, C = 33, N = 500;
    const ids = rng.i32(N, 0, V);
    const ti = be.fromArray(ids, [N], 'i32');
    const dout = input(rng.f32(N * C), [N, C]);
    const a = input(new Float32Array(V * C), [V, C]), b = input(new Float32Array(V * C), [V, C]);
    be.embeddingBackward(a, dout, ti);
    be.embeddingBackward(b, dout, ti);
    expectClose(await read(a), await read(b), 0, 'run 1 vs run 2');
    be.dispose(ti);
  },
}, {
  name: 'embedding rejects mismatched shapes',
  async run({ be, out }) {
    const ids = be.fromArray(Int32Array.from([0, 1, 2]), [3], 'i32');
    const bad: [string, () => void][] = [
      ['out of 3x4 for a table of C=5', () => be.embedding(out([3, 4]), out([10, 5]), ids)],
      ['1-D table', () => be.embedding(out([3, 5]), out([50]), ids)],
      ['f32 ids', () => be.embedding(out([3, 5]), out([10, 5]), out([3]))],
      ['dout of 2x5', () => be.embeddingBackward(out([10, 5]), out([2, 5]), ids)],
    ];
    try {
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    } finally { be.dispose(ids); }
  },
}, ...(['bf16', 'f16'] as const).flatMap((dt): KernelCase[] => [{
  // a frozen 16-bit table (the embedding of a half-weight model): rows widened exactly
  name: `embedding from a ${dt} table, awkward shapes`,
  async run({ be, rng, out, read }) {
    for (const [V, C, N] of [[1, 1, 1], [3, 17, 5], [65, 63, 17], [300, 5, 64], [17, 130, 3]]) {
      const bits = toHalfBits(rng.f32(V * C), dt), table = fromHalfBits(bits, dt);
      const ids = rng.i32(N, 0, V);
      const tt = be.fromArray(bits, [V, C], dt), ti = be.fromArray(ids, [N], 'i32');
      try {
        const o = out([N, C]);
        be.embedding(o, tt, ti);
        const want = new Float64Array(N * C);
        for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) want[n * C + c] = table[ids[n] * C + c];
        expectClose(await read(o), want, 0, `embedding ${dt} V=${V} C=${C} N=${N}`);
      } finally { be.dispose(tt); be.dispose(ti); }
    }
  },
}, {
  name: `embedding widens all 65536 ${dt} bit patterns exactly (NaN stays NaN, ±Inf, subnormals)`,
  async run({ be, rng, out, read }) {
    const C = 16, V = 65536 / C, N = V;
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const ids = Int32Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) { const j = rng.int(0, i + 1); [ids[i], ids[j]] = [ids[j], ids[i]]; }
    const tt = be.fromArray(bits, [V, C], dt), ti = be.fromArray(ids, [N], 'i32');
    try {
      const o = out([N, C]);
      be.embedding(o, tt, ti);
      const got = await read(o), ref = fromHalfBits(bits, dt);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
        const g = got[n * C + c], w = ref[ids[n] * C + c];
        if (Number.isNaN(w) ? !Number.isNaN(g) : !Object.is(g, w)) throw new Error(`${dt} bits 0x${(ids[n] * C + c).toString(16)}: got ${g}, expected ${w} (seed ${SEED})`);
      }
    } finally { be.dispose(tt); be.dispose(ti); }
  },
}])]);
