// The fused LM head's chunk ops (logitsChunkStats / logitsChunkFinish / logitsChunkBackward)
// vs float64 references over the whole row: the logits are cut into chunks on the host, each
// chunk merged in turn, and the result must equal log-softmax over the full vocabulary.
// Awkward (rows, V, chunk): a chunk that does not divide V, V smaller than a chunk (one
// chunk), V = chunk + 1 (a last chunk of one column), chunk 1; ignored targets (-1, -100);
// targets at the first/last column of a chunk; logits ±50.
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import { tokenLogprobsBackwardRef, tokenLogprobsRef } from '../ref/softmax.js';

const shapes: [number, number, number][] = [[17, 100, 32], [3, 40, 64], [65, 65, 64], [1, 257, 257], [63, 33, 1], [5, 5003, 1024], [2, 3, 2]];

/** columns [v0, v0+vc) of every row of x (rows, V) */
function slice(x: Float32Array, rows: number, V: number, v0: number, vc: number): Float32Array {
  const o = new Float32Array(rows * vc);
  for (let r = 0; r < rows; r++) o.set(x.subarray(r * V + v0, r * V + v0 + vc), r * vc);
  return o;
}

const chunkCases = (big: boolean): KernelCase[] => shapes.map(([rows, V, chunk]) => ({
  name: `logitsChunk* ${rows}x${V} in chunks of ${chunk}${big ? ' logits ±50' : ''}`,
  async run(c: CaseContext) {
    const { be, input, out, read, rng } = c;
    const x = big ? rng.f32(rows * V, { lo: -50, hi: 50 }) : rng.f32(rows * V, { std: 3 });
    const targets = rng.i32(rows, 0, V);
    if (rows >= 3) { targets[1] = -1; targets[rows - 1] = -100; }
    // targets on a chunk's first and last column
    if (rows >= 5) { targets[2] = Math.min(V - 1, chunk); targets[3] = Math.min(V - 1, chunk - 1); targets[4] = V - 1; }
    const tt = be.fromArray(targets, [rows], 'i32');
    const state = out([rows, 3]), logp = out([rows]), lse = out([rows]);
    const chunks: [number, number][] = [];
    for (let v0 = 0; v0 < V; v0 += chunk) chunks.push([v0, Math.min(chunk, V - v0)]);
    const tensors = chunks.map(([v0, vc]) => input(slice(x, rows, V, v0, vc), [rows, vc]));
    chunks.forEach(([v0], i) => be.logitsChunkStats(state, tensors[i], tt, { v0, vocab: V, first: i === 0 }));
    be.logitsChunkFinish(logp, lse, state, tt, { vocab: V });
    const ref = tokenLogprobsRef(x, targets, V);
    const gotLogp = await read(logp);
    // logp = t − lse cancels: f32 rounding of lse (|lse|·6e-8) bounds the absolute error, so rows
    // that are all peaked (logp ≈ −1e-6 at ±50 logits) are judged against 0.1·max|lse|
    let maxLse = 0;
    for (const l of ref.lse) maxLse = Math.max(maxLse, Math.abs(l));
    expectClose(gotLogp, ref.logp, 1e-5, 'logp', 0.1 * maxLse);
    for (let n = 0; n < rows; n++) if (targets[n] < 0 && gotLogp[n] !== 0) throw new Error(`logp of ignored row ${n} is ${gotLogp[n]}, expected 0`);
    expectClose(await read(lse), ref.lse, 1e-6, 'lse');
    // backward per chunk from the lse the forward made
    const dlogp = rng.f32(rows);
    dlogp[0] = -1;
    const tdl = input(dlogp, [rows]);
    const want = tokenLogprobsBackwardRef(x, targets, dlogp, V);
    for (let i = 0; i < chunks.length; i++) {
      const [v0, vc] = chunks[i];
      const dl = out([rows, vc]);
      be.logitsChunkBackward(dl, tensors[i], tt, lse, tdl, { v0, vocab: V });
      const got = await read(dl), w = slice(Float32Array.from(want), rows, V, v0, vc);
      for (let n = 0; n < rows; n++) {
        const g = got.subarray(n * vc, (n + 1) * vc);
        if (targets[n] < 0) {
          for (let v = 0; v < vc; v++) if (g[v] !== 0) throw new Error(`dlogits of ignored row ${n} col ${v0 + v} is ${g[v]}, expected 0`);
        } else {
          // judged against the row's own scale |dlogp| (see tokenLogprobs' case)
          expectClose(g, w.subarray(n * vc, (n + 1) * vc), 1e-5, `dlogits row ${n} chunk ${v0}`, Math.abs(dlogp[n]));
        }
      }
    }
    be.dispose(tt);
  },
}));

/** bf16/f16 slices copied out of a 16-bit weight (the fused head's W slices): bit for bit */
const halfCopy: KernelCase = {
  name: 'copy of 16-bit rows at even offsets (the fused head\'s weight slices), bit for bit',
  async run({ be, rng }) {
    for (const dtype of ['bf16', 'f16'] as const) {
      const V = 37, C = 6, v0 = 10, vc = 17;
      // zeros in the high half of some words: as f32 those words are subnormals, which a copy
      // through f32 registers may flush, losing the low half
      const data = rng.f32(V * C);
      for (let i = 1; i < data.length; i += 6) data[i] = 0;
      const w = be.fromArray(data, [V, C], dtype);
      const all = await be.read(w);
      const slice = be.tensor([vc, C], dtype);
      be.copy(slice, w, { srcOffset: v0 * C, count: vc * C });
      const got = await be.read(slice);
      for (let i = 0; i < vc * C; i++) if (!(got[i] === all[v0 * C + i])) throw new Error(`${dtype} copy: element ${i} is ${got[i]}, expected ${all[v0 * C + i]}`);
      // and back into another place of the weight
      be.copy(w, slice, { dstOffset: 2 * C, count: vc * C });
      const back = await be.read(w);
      for (let i = 0; i < vc * C; i++) if (!(back[2 * C + i] === all[v0 * C + i])) throw new Error(`${dtype} copy back: element ${i} is ${back[2 * C + i]}`);
      let msg = '';
      try { be.copy(be.tensor([4], 'f32'), w, { count: 4 }); } catch (e) { msg = String(e); }
      if (!/dtypes differ/.test(msg)) throw new Error(`a ${dtype} → f32 copy should be refused, got "${msg}"`);
      be.dispose(w); be.dispose(slice);
    }
  },
};

export const cases: KernelCase[] = [
  halfCopy,
  ...chunkCases(false),
  ...chunkCases(true),
  {
    name: 'logitsChunk*: NaN dlogp on ignored rows gives 0; bad chunks and shapes are rejected',
    async run({ be, input, out, read }) {
      const V = 5;
      const x = Float32Array.from([1, 2, 3, 4, 5, 5, 4, 3, 2, 1]);
      const tt = be.fromArray(Int32Array.from([-1, 2]), [2], 'i32');
      const state = out([2, 3]), logp = out([2]), lse = out([2]);
      be.logitsChunkStats(state, input(x, [2, V]), tt, { v0: 0, vocab: V, first: true });
      be.logitsChunkFinish(logp, lse, state, tt, { vocab: V });
      const dl = out([2, 2]);
      be.logitsChunkBackward(dl, input(Float32Array.from([4, 5, 2, 1]), [2, 2]), tt, lse, input(Float32Array.from([NaN, 1]), [2]), { v0: 3, vocab: V });
      const ref = tokenLogprobsBackwardRef(x, [-1, 2], [0, 1], V);
      expectClose(await read(dl), [ref[3], ref[4], ref[8], ref[9]], 1e-6, 'dlogits');
      const expectThrow = (f: () => void, re: RegExp, what: string) => {
        let msg = '';
        try { f(); } catch (e) { msg = String(e); }
        if (!re.test(msg)) throw new Error(`${what}: expected an error matching ${re}, got "${msg}"`);
      };
      expectThrow(() => be.logitsChunkStats(state, input(x, [2, V]), tt, { v0: 1, vocab: V, first: false }), /logitsChunkStats: the chunk \[1, 6\) is not inside the vocabulary \[0, 5\)/, 'chunk past V');
      expectThrow(() => be.logitsChunkStats(out([3]), input(x, [2, V]), tt, { v0: 0, vocab: V, first: true }), /logitsChunkStats: state/, 'state of 3');
      expectThrow(() => be.logitsChunkFinish(logp, lse, state, tt, { vocab: 0 }), /vocab must be a positive integer/, 'vocab 0');
      expectThrow(() => be.logitsChunkBackward(out([2, 3]), input(x, [2, V]), tt, lse, logp, { v0: 0, vocab: V }), /logitsChunkBackward: dlogits/, 'dlogits size');
      be.dispose(tt);
    },
  },
];
