// Causal grouped-query attention (assembly/kernels/attention.ts), optionally sliding-window
// (o.window) and soft-capped (o.softcap), as Gemma-2 uses them.
// Forward: tasks (b, h, QB query rows). Backward: delta = Σ dout·out per row, then dq tasks
// (b, h, QB rows) and dk/dv tasks (b, kv head, QB key rows) — each output row written by one
// task in a fixed order, so results do not depend on the thread count.
// A query row with no key to attend to (all earlier keys are padding) gets out = 0, lse =
// EMPTY_LSE and zero gradients.
// Inference: attentionCached (queries of cache slots [start, start+Tq) over a KV cache, the
// same exact softmax) and kvWrite (append K or V rows to the cache).
import type { AttentionOptions, CachedAttentionOptions, Tensor } from '../../backend.js';
import { ShapeError } from '../../backend.js';
import { attentionExtras, checkAttention, checkCachedAttention, checkKvWrite, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

/** lse of a query row with nothing to attend to */
export const EMPTY_LSE = 0;

function dims(op: string, o: AttentionOptions) {
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = o;
  for (const [k, v] of Object.entries({ batch: B, seq: T, heads: H, kvHeads: KH, headDim: D })) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${op}: ${k}=${v} must be a positive integer`);
  }
  const scale = o.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new ShapeError(`${op}: scale=${scale} must be finite`);
  const { window, cap } = attentionExtras(op, o);
  return { B, T, H, KH, D, scale, window, cap };
}

export function attention(be: WasmBackend, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): void {
  checkAttention('attention', q, k, v, out, lse, o);
  noAlias('attention', [['out', out], ['lse', lse]], [['q', q], ['k', k], ['v', v], ['keyMask', o.keyMask]]);
  const { B, T, H, KH, D, scale, window, cap } = dims('attention', o);
  const QB = be.k('QB');
  const stride = be.exports.att_scratch_floats(T, D) * 4;
  const scratch = be.scratch(be.threads * stride, 2);
  const work = B * H * T * T * D / 5; // ≈ ns: 2·T²·D flops per head at ~10 GFLOP/s
  be.run('att_forward', B * H * Math.ceil(T / QB), work, [be.p(out), be.p(lse), be.p(q), be.p(k), be.p(v), be.p(o.keyMask), B, T, H, KH, D, scale, EMPTY_LSE, window, cap, scratch, stride]);
}

export function attentionBackward(be: WasmBackend, dq: Tensor, dk: Tensor, dv: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
  checkAttention('attentionBackward', q, k, v, out, lse, o);
  checkAttention('attentionBackward', dq, dk, dv, dout, lse, o);
  noAlias('attentionBackward', [['dq', dq], ['dk', dk], ['dv', dv]], [['dout', dout], ['q', q], ['k', k], ['v', v], ['out', out], ['lse', lse], ['keyMask', o.keyMask]]);
  const { B, T, H, KH, D, scale, window, cap } = dims('attentionBackward', o);
  const QB = be.k('QB');
  const delta = be.scratch(B * H * T * 4, 0);
  be.run('att_bwd_delta', Math.ceil(B * T / QB), B * T * H * D, [delta, be.p(dout), be.p(out), B, T, H, D]);
  const stride = be.exports.att_scratch_floats(T, D) * 4;
  const scratch = be.scratch(be.threads * stride, 2);
  const work = B * H * T * T * D / 2;
  const mask = be.p(o.keyMask);
  be.run('att_bwd_dq', B * H * Math.ceil(T / QB), work, [be.p(dq), be.p(dout), be.p(q), be.p(k), be.p(v), be.p(lse), delta, mask, B, T, H, KH, D, scale, window, cap, scratch, stride]);
  be.run('att_bwd_dkv', B * KH * Math.ceil(T / QB), work, [be.p(dk), be.p(dv), be.p(dout), be.p(q), be.p(k), be.p(v), be.p(lse), delta, mask, B, T, H, KH, D, scale, window, cap, scratch, stride]);
}

/** inference attention over a KV cache: tasks (b, h, QB query rows) */
export function attentionCached(be: WasmBackend, out: Tensor, q: Tensor, kc: Tensor, vc: Tensor, o: CachedAttentionOptions): void {
  checkCachedAttention(out, q, kc, vc, o);
  noAlias('attentionCached', [['out', out]], [['q', q], ['kCache', kc], ['vCache', vc], ['keyMask', o.keyMask]]);
  const { batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D } = o;
  const scale = o.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new ShapeError(`attentionCached: scale=${scale} must be finite`);
  const { window, cap } = attentionExtras('attentionCached', o);
  const QB = be.k('QB');
  const stride = (S + D + 16) * 4;
  const scratch = be.scratch(be.threads * stride, 2);
  be.run('att_cached', B * H * Math.ceil(Tq / QB), B * H * Tq * (start + Tq) * D * 2, [be.p(out), be.p(q), be.p(kc), be.p(vc), be.p(o.keyMask), B, Tq, S, start, H, KH, D, scale, window, cap, scratch, stride]);
}

/** cache (B,S,R)[b, start+t] = x (B,Tq,R)[b, t] */
export function kvWrite(be: WasmBackend, cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void {
  checkKvWrite(cache, x, o);
  noAlias('kvWrite', [['cache', cache]], [['x', x]]);
  const { batch: B, queries: Tq, slots: S, start, rowSize: R } = o;
  if (B * Tq * R === 0) return;
  be.run('kv_write', B, B * Tq * R, [be.p(cache), be.p(x), Tq, S, start, R]);
}
