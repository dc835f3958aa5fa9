// Causal grouped-query attention (forward and backward) vs the float64 reference in
// test/kernels/ref/attention.ts. On WebGPU every case runs once per kernel variant, forced.
import { expectClose, expectEqual, type CaseContext, type KernelCase } from '../harness.js';
import { attentionBackwardRef, attentionRef, type AttnShape } from '../ref/attention.js';
import { ATTENTION_VARIANTS, setAttentionVariant } from '../../../src/kernels/webgpu/ops/attention.js';

const TOL = 2e-5; // measured < 5e-6 on SwiftShader; the contract asks ≤ 1e-4
type MaskKind = 'none' | 'left' | 'right' | 'holes+empty';
interface AttnCase extends AttnShape { mask: MaskKind; std?: number }

const shapes: AttnCase[] = [
  { batch: 1, seq: 1, heads: 1, kvHeads: 1, headDim: 8, mask: 'none' },
  { batch: 2, seq: 3, heads: 4, kvHeads: 2, headDim: 16, mask: 'none' },
  { batch: 1, seq: 17, heads: 3, kvHeads: 1, headDim: 20, mask: 'none', scale: 0.3 },
  { batch: 2, seq: 33, heads: 2, kvHeads: 2, headDim: 64, mask: 'none' },
  { batch: 1, seq: 17, heads: 2, kvHeads: 1, headDim: 128, mask: 'none' },
  { batch: 1, seq: 65, heads: 2, kvHeads: 1, headDim: 8, mask: 'none', scale: 1, std: 2 },
  { batch: 2, seq: 17, heads: 4, kvHeads: 2, headDim: 8, mask: 'left' },
  { batch: 2, seq: 9, heads: 3, kvHeads: 3, headDim: 16, mask: 'right' },
  { batch: 3, seq: 9, heads: 2, kvHeads: 1, headDim: 16, mask: 'holes+empty', scale: 0.9 },
  // Gemma-2: sliding window shorter than the sequence, soft cap small enough to bend the scores
  { batch: 2, seq: 17, heads: 4, kvHeads: 2, headDim: 12, mask: 'none', window: 5 },
  { batch: 1, seq: 65, heads: 2, kvHeads: 1, headDim: 8, mask: 'none', scale: 1, std: 2, softcap: 3 },
  { batch: 2, seq: 33, heads: 2, kvHeads: 1, headDim: 20, mask: 'left', window: 7, softcap: 2.5, scale: 0.6 },
  { batch: 3, seq: 9, heads: 2, kvHeads: 1, headDim: 16, mask: 'holes+empty', window: 2, softcap: 1.5 },
  { batch: 1, seq: 3, heads: 1, kvHeads: 1, headDim: 8, mask: 'right', window: 1, softcap: 50 },
];

function makeMask(kind: MaskKind, B: number, T: number, rng: CaseContext['rng']): Int32Array | null {
  if (kind === 'none') return null;
  const m = new Int32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) {
    if (kind === 'left') { const pad = b === 0 ? 5 : rng.int(0, T); for (let t = 0; t < pad; t++) m[b * T + t] = 0; }
    if (kind === 'right') { const len = b === 0 ? T - 3 : rng.int(1, T + 1); for (let t = len; t < T; t++) m[b * T + t] = 0; }
    if (kind === 'holes+empty') {
      for (let t = 0; t < T; t++) m[b * T + t] = b === 1 ? 0 : rng.next() < 0.4 ? 0 : 1; // batch 1 fully padded
      if (b === 0) m[0] = 0;                                                               // a leading hole
    }
  }
  return m;
}

function describe(s: AttnCase): string {
  return `B${s.batch} T${s.seq} Hq${s.heads}/Hkv${s.kvHeads} D${s.headDim}${s.scale !== undefined ? ` scale=${s.scale}` : ''} mask=${s.mask}`
    + `${s.window !== undefined ? ` window=${s.window}` : ''}${s.softcap !== undefined ? ` softcap=${s.softcap}` : ''}`;
}

/** the variants to force on this backend ([null] = the backend's own choice) */
const variantsFor = (c: CaseContext) => (c.be.name === 'webgpu' ? ATTENTION_VARIANTS : [null]);

export const cases: KernelCase[] = [
  ...shapes.map((s): KernelCase => ({
    name: `attention fwd+bwd ${describe(s)}`,
    async run(c) {
      const { rng, input, out, read, be } = c;
      const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = s;
      const std = s.std ?? 1;
      const q = rng.f32(B * T * H * D, { std }), k = rng.f32(B * T * KH * D, { std }), v = rng.f32(B * T * KH * D);
      const dout = rng.f32(B * T * H * D);
      const mask = makeMask(s.mask, B, T, rng);
      const o = { ...s, keyMask: mask ? input(mask, [B, T]) : undefined };
      const tq = input(q, [B, T, H, D]), tk = input(k, [B, T, KH, D]), tv = input(v, [B, T, KH, D]), tg = input(dout, [B, T, H, D]);
      const want = attentionRef(q, k, v, mask, s);
      const grad = attentionBackwardRef(dout, q, k, v, mask, s);
      for (const variant of variantsFor(c)) {
        const tag = variant ? ` [${variant}]` : '';
        setAttentionVariant(variant);
        try {
          const tout = out([B, T, H, D]), tlse = out([B, H, T]);
          be.attention(tout, tlse, tq, tk, tv, o);
          const dq = out([B, T, H, D]), dk = out([B, T, KH, D]), dv = out([B, T, KH, D]);
          be.attentionBackward(dq, dk, dv, tg, tq, tk, tv, tout, tlse, o);
          const dq2 = out([B, T, H, D]), dk2 = out([B, T, KH, D]), dv2 = out([B, T, KH, D]);
          be.attentionBackward(dq2, dk2, dv2, tg, tq, tk, tv, tout, tlse, o);
          expectClose(await read(tout), want.out, TOL, `out${tag}`);
          expectClose(await read(tlse), want.lse, TOL, `lse${tag}`);
          const gdq = await read(dq), gdk = await read(dk), gdv = await read(dv);
          expectClose(gdq, grad.dq, TOL, `dq${tag}`);
          expectClose(gdk, grad.dk, TOL, `dk${tag}`);
          expectClose(gdv, grad.dv, TOL, `dv${tag}`);
          // no atomics, fixed summation order: a second run is bit-identical
          expectEqual(await read(dq2), gdq, `dq rerun${tag}`);
          expectEqual(await read(dk2), gdk, `dk rerun${tag}`);
          expectEqual(await read(dv2), gdv, `dv rerun${tag}`);
        } finally {
          setAttentionVariant(null);
        }
      }
    },
  })),
  {
    name: 'attention rejects bad options with a clear error',
    async run({ input, out, be }) {
      const B = 1, T = 2, H = 4, KH = 2, D = 4;
      const q = input(new Float32Array(B * T * H * D), [B, T, H, D]), k = input(new Float32Array(B * T * KH * D), [B, T, KH, D]);
      const v = input(new Float32Array(B * T * KH * D), [B, T, KH, D]);
      const o = { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D };
      const y = out([B, T, H, D]), lse = out([B, H, T]);
      const bad: [() => void, RegExp][] = [
        [() => be.attention(y, lse, q, k, v, { ...o, kvHeads: 3 }), /heads=4 is not a multiple of kvHeads=3/],
        [() => be.attention(y, lse, q, k, v, { ...o, seq: 3 }), /q .*expected 48/],
        [() => be.attention(y, lse, q, k, v, { ...o, keyMask: input(new Float32Array(2), [1, 2]) }), /keyMask must be i32/],
        [() => be.attention(y, y, q, k, v, o), /lse .*expected 8|same tensor/],
        [() => be.attention(q, lse, q, k, v, o), /out and q are the same tensor/],
        [() => be.attention(y, lse, q, k, v, { ...o, window: 0 }), /window=0 must be a positive integer/],
        [() => be.attention(y, lse, q, k, v, { ...o, softcap: -1 }), /softcap=-1 must be a positive finite number/],
      ];
      for (const [f, re] of bad) {
        let msg = '';
        try { f(); } catch (e) { msg = (e as Error).message; }
        if (!re.test(msg)) throw new Error(`expected an error matching ${re}, got "${msg}"`);
      }
    },
  },
];
