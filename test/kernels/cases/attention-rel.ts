// DeBERTa disentangled attention (forward) vs the float64 reference in
// test/kernels/ref/attention-rel.ts: awkward sequence lengths and head sizes, both relative
// terms, each alone, key masks with holes and a fully padded sequence, and rel indices outside
// [0, R) (clamped). Outputs are NaN-poisoned by the harness.
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import { disentangledAttentionBackwardRef, disentangledAttentionRef, type RelAttnShape } from '../ref/attention-rel.js';

const TOL = 2e-5;
type MaskKind = 'none' | 'right' | 'holes+empty';
interface RelCase extends Omit<RelAttnShape, 'scale'> { mask: MaskKind; outOfRange?: boolean }

const shapes: RelCase[] = [
  { batch: 1, seq: 1, heads: 1, headDim: 8, relRows: 2, c2p: true, p2c: true, mask: 'none' },
  { batch: 2, seq: 3, heads: 2, headDim: 5, relRows: 4, c2p: true, p2c: true, mask: 'none' },
  { batch: 1, seq: 17, heads: 3, headDim: 16, relRows: 8, c2p: true, p2c: false, mask: 'right' },
  { batch: 2, seq: 17, heads: 2, headDim: 20, relRows: 6, c2p: false, p2c: true, mask: 'right' },
  { batch: 1, seq: 65, heads: 2, headDim: 64, relRows: 16, c2p: true, p2c: true, mask: 'none', outOfRange: true },
  { batch: 3, seq: 9, heads: 2, headDim: 33, relRows: 10, c2p: true, p2c: true, mask: 'holes+empty' },
  { batch: 1, seq: 5, heads: 1, headDim: 128, relRows: 3, c2p: false, p2c: false, mask: 'none' },
];

function makeMask(kind: MaskKind, B: number, T: number, rng: CaseContext['rng']): Int32Array | null {
  if (kind === 'none') return null;
  const m = new Int32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) {
    if (kind === 'right') { const len = b === 0 ? Math.max(1, T - 3) : rng.int(1, T + 1); for (let t = len; t < T; t++) m[b * T + t] = 0; }
    if (kind === 'holes+empty') for (let t = 0; t < T; t++) m[b * T + t] = b === 1 ? 0 : rng.next() < 0.4 ? 0 : 1;
  }
  return m;
}

/** DeBERTa-like index table: r = clamp(i − j + R/2) (plus a few out-of-range entries) */
function makeRel(T: number, R: number, outOfRange: boolean, rng: CaseContext['rng']): Int32Array {
  const rel = new Int32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) rel[i * T + j] = Math.min(Math.max(i - j + (R >> 1), 0), R - 1);
  if (outOfRange) for (let n = 0; n < 10; n++) rel[rng.int(0, T * T)] = rng.next() < 0.5 ? -3 : R + 5;
  return rel;
}

export const cases: KernelCase[] = [
  ...shapes.map((s): KernelCase => ({
    name: `disentangledAttention B${s.batch} T${s.seq} H${s.heads} D${s.headDim} R${s.relRows}${s.c2p ? ' c2p' : ''}${s.p2c ? ' p2c' : ''} mask=${s.mask}${s.outOfRange ? ' rel out of range' : ''}`,
    async run({ be, rng, input, out, read }) {
      const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = s;
      const scale = 1 / Math.sqrt(3 * D);
      const n = B * T * H * D;
      const q = rng.f32(n), k = rng.f32(n), v = rng.f32(n), pos = rng.f32(R * 2 * H * D);
      const rel = makeRel(T, R, !!s.outOfRange, rng);
      const mask = makeMask(s.mask, B, T, rng);
      const o = out([B, T, H, D]), lse = out([B, H, T]);
      be.disentangledAttention(o, lse, input(q, [B, T, H, D]), input(k, [B, T, H, D]), input(v, [B, T, H, D]),
        input(pos, [R, 2, H, D]), input(rel, [T, T]),
        { batch: B, seq: T, heads: H, headDim: D, relRows: R, scale, c2p: s.c2p, p2c: s.p2c, keyMask: mask ? input(mask, [B, T]) : undefined });
      const want = disentangledAttentionRef(q, k, v, pos, rel, mask, { ...s, scale });
      expectClose(await read(o), want.out, TOL, 'out');
      expectClose(await read(lse), want.lse, TOL, 'lse', 1);
    },
  })),
  ...shapes.map((s): KernelCase => ({
    name: `disentangledAttentionBackward B${s.batch} T${s.seq} H${s.heads} D${s.headDim} R${s.relRows}${s.c2p ? ' c2p' : ''}${s.p2c ? ' p2c' : ''} mask=${s.mask}${s.outOfRange ? ' rel out of range' : ''}`,
    async run({ be, rng, input, out, read }) {
      const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = s;
      const scale = 1 / Math.sqrt(3 * D);
      const n = B * T * H * D, shape = [B, T, H, D];
      const q = rng.f32(n), k = rng.f32(n), v = rng.f32(n), pos = rng.f32(R * 2 * H * D), dout = rng.f32(n);
      const rel = makeRel(T, R, !!s.outOfRange, rng);
      const mask = makeMask(s.mask, B, T, rng);
      const opts = { batch: B, seq: T, heads: H, headDim: D, relRows: R, scale, c2p: s.c2p, p2c: s.p2c, keyMask: mask ? input(mask, [B, T]) : undefined };
      const tq = input(q, shape), tk = input(k, shape), tv = input(v, shape), tpos = input(pos, [R, 2, H, D]), trel = input(rel, [T, T]);
      const o = out(shape), lse = out([B, H, T]);
      be.disentangledAttention(o, lse, tq, tk, tv, tpos, trel, opts);
      const dq = out(shape), dk = out(shape), dv = out(shape), dpos = out([R, 2, H, D]);
      be.disentangledAttentionBackward(dq, dk, dv, dpos, input(dout, shape), tq, tk, tv, tpos, trel, o, lse, opts);
      const want = disentangledAttentionBackwardRef(q, k, v, pos, rel, mask, dout, { ...s, scale });
      expectClose(await read(dq), want.dq, TOL, 'dq');
      expectClose(await read(dk), want.dk, TOL, 'dk');
      expectClose(await read(dv), want.dv, TOL, 'dv');
      expectClose(await read(dpos), want.dpos, TOL, 'dpos');
    },
  })),
  {
    name: 'disentangledAttention rejects bad shapes and aliasing',
    async run({ be, out }) {
      const B = 1, T = 4, H = 2, D = 8, R = 6;
      const o = { batch: B, seq: T, heads: H, headDim: D, relRows: R, scale: 0.2, c2p: true, p2c: true };
      const x = () => out([B, T, H, D]);
      const rel = out([T, T], 'i32');
      const bad: [string, () => void][] = [
        ['pos of the wrong size', () => be.disentangledAttention(x(), out([B, H, T]), x(), x(), x(), out([R, H, D]), rel, o)],
        ['relIdx f32', () => be.disentangledAttention(x(), out([B, H, T]), x(), x(), x(), out([R, 2, H, D]), out([T, T]), o)],
        ['out = q', () => { const t = x(); be.disentangledAttention(t, out([B, H, T]), t, x(), x(), out([R, 2, H, D]), rel, o); }],
        ['relRows 0', () => be.disentangledAttention(x(), out([B, H, T]), x(), x(), x(), out([R, 2, H, D]), rel, { ...o, relRows: 0 })],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
