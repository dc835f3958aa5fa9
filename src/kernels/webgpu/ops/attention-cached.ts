// Inference attention over a KV cache (shaders/attention_cached.wgsl) and appending to the
// cache (shaders/kv_write.wgsl).
import { expectDtype, expectSize, ShapeError, type CachedAttentionOptions, type Tensor } from '../../backend.js';
import { grid1d, Params, type GPUTensor } from '../context.js';
import { attentionExtras } from '../../validate.js';
import type { WebGPUBackend } from '../backend.js';

const ones = new WeakMap<WebGPUBackend, GPUTensor>();
/** an all-ones i32 mask of at least n elements, reused */
function onesMask(be: WebGPUBackend, n: number): GPUTensor {
  let t = ones.get(be);
  if (!t || t.size < n) {
    if (t) be.dispose(t);
    t = be.t(be.fromArray(new Int32Array(n).fill(1), [n], 'i32', 'ones-mask'));
    ones.set(be, t);
  }
  return t;
}

export function checkCached(out: Tensor, q: Tensor, kc: Tensor, vc: Tensor, o: CachedAttentionOptions): void {
  const { batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D } = o;
  if (KH < 1 || H % KH !== 0) throw new ShapeError(`attentionCached: heads=${H} is not a multiple of kvHeads=${KH}`);
  if (start < 0 || start + Tq > S) throw new ShapeError(`attentionCached: slots [${start}, ${start + Tq}) do not fit a cache of ${S}`);
  expectSize('attentionCached', 'q', q, B * Tq * H * D);
  expectSize('attentionCached', 'out', out, B * Tq * H * D);
  expectSize('attentionCached', 'kCache', kc, B * S * KH * D);
  expectSize('attentionCached', 'vCache', vc, B * S * KH * D);
  if (o.keyMask) { expectSize('attentionCached', 'keyMask', o.keyMask, B * S); expectDtype('attentionCached', 'keyMask', o.keyMask, 'i32'); }
  attentionExtras('attentionCached', o);
}

export function attentionCached(be: WebGPUBackend, out: Tensor, q: Tensor, kc: Tensor, vc: Tensor, o: CachedAttentionOptions): void {
  checkCached(out, q, kc, vc, o);
  const { batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D } = o;
  const MAXD = D <= 32 ? 32 : D <= 64 ? 64 : D <= 128 ? 128 : D <= 256 ? 256 : 0;
  if (!MAXD) throw new ShapeError(`attentionCached: headDim ${D} over the supported 256`);
  const mask = o.keyMask ? be.t(o.keyMask) : onesMask(be, B * S);
  const p = new Params().u(B).u(Tq).u(S).u(start).u(H).u(KH).u(D).f(o.scale ?? 1 / Math.sqrt(D)).u(o.window ?? 0).f(o.softcap ?? 0);
  be.ctx.dispatch('attention_cached', 'main', { MAXD }, p, [be.t(out), be.t(q), be.t(kc), be.t(vc), mask], [Math.ceil((B * H * Tq) / 64)]);
}

export function kvWrite(be: WebGPUBackend, cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void {
  const { batch: B, queries: Tq, slots: S, start, rowSize: R } = o;
  if (start < 0 || start + Tq > S) throw new ShapeError(`kvWrite: slots [${start}, ${start + Tq}) do not fit a cache of ${S}`);
  expectSize('kvWrite', 'x', x, B * Tq * R);
  expectSize('kvWrite', 'cache', cache, B * S * R);
  const n = B * Tq * R;
  be.ctx.dispatch('kv_write', 'kv_write', {}, new Params().u(B).u(Tq).u(S).u(start).u(R), [be.t(cache), be.t(x)], grid1d(n, 256));
}
