// Causal grouped-query attention on WebGPU, forward and backward (flash-attention style: the
// T×T matrix is never stored; the backward recomputes P from the saved lse).
//   q, out, dq, dout (B,T,Hq,D);  k, v, dk, dv (B,T,Hkv,D);  lse (B,Hq,T);  keyMask (B,T) i32
//   forward   shaders/attention_fwd.wgsl        fwd_rows | fwd_tiled            grid (⌈T/64⌉, Hq, B)
//   backward  shaders/attention_bwd_stats.wgsl  stats = (lse, Δ = rowsum(dout ⊙ out))
//             shaders/attention_bwd_dq.wgsl     bwd_dq_rows | bwd_dq_tiled      grid (⌈T/64⌉, Hq, B)
//             shaders/attention_bwd_dkv.wgsl    bwd_dkv_rows | bwd_dkv_tiled    grid (⌈T/64⌉, Hkv, B)
// A query row with no key to attend to (all its earlier keys are padding) gives out = 0 and
// lse = 0. dk/dv sum over the query heads of a group in one thread per key row, in a fixed
// order: deterministic, no atomics.
// Variants (attention-plan.ts): 'rows' (registers only, no barriers: CPU emulations) and
// 'tiled' (tiles in workgroup memory, sized to the adapter's limit: GPUs), chosen per
// adapter and size class by measurement (attention-select.ts); setAttentionVariant() forces
// one (tests exercise both).
import { expectDtype, expectSize, ShapeError, type AttentionOptions, type Tensor } from '../../backend.js';
import { checkAttention, noAlias } from '../../validate.js';
import type { GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { forceVariant } from '../tune.js';
import { ATTENTION_VARIANTS, attentionScale, backwardSteps, forwardSteps, isAttentionVariant, MAX_HEAD_DIM, type AttentionVariant, type Step } from './attention-plan.js';
import { ATTENTION_FAMILY, selectAttentionVariant } from './attention-select.js';

export { ATTENTION_VARIANTS, type AttentionVariant } from './attention-plan.js';
export { tuneAttention } from './attention-select.js';

/** Force one variant for every attention call in this process (null: choose by measurement
 *  again). The environment can do the same: SPPO_VARIANT_ATTENTION=rows. */
export function setAttentionVariant(v: AttentionVariant | null): void {
  if (v !== null && !isAttentionVariant(v)) throw new Error(`setAttentionVariant: unknown variant "${v}"; use one of ${ATTENTION_VARIANTS.join(', ')}`);
  forceVariant(ATTENTION_FAMILY, v);
}

/** The variants the last forward and backward calls ran (tests and diagnostics). */
export const lastAttentionVariant: { forward: AttentionVariant | null; backward: AttentionVariant | null } = { forward: null, backward: null };

const placeholders = new WeakMap<WebGPUBackend, GPUTensor>();
/** a 1-element i32 tensor bound in place of an absent keyMask (never read: use_mask = 0) */
function maskOrPlaceholder(be: WebGPUBackend, keyMask: Tensor | undefined): GPUTensor {
  if (keyMask) return be.t(keyMask);
  let t = placeholders.get(be);
  if (!t || t.disposed) { t = be.ctx.createTensor([1], 'i32', 'attention.no-mask'); placeholders.set(be, t); }
  return t;
}

function checkOptions(op: string, o: AttentionOptions): void {
  for (const name of ['batch', 'seq', 'heads', 'kvHeads', 'headDim'] as const) {
    const v = o[name];
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${op}: ${name}=${v} must be a positive integer`);
  }
  if (o.headDim > MAX_HEAD_DIM) throw new ShapeError(`${op}: headDim=${o.headDim} is over the supported ${MAX_HEAD_DIM} on WebGPU: use the wasm backend or smaller heads`);
  if (!Number.isFinite(attentionScale(o))) throw new ShapeError(`${op}: scale=${o.scale} must be a finite number (default 1/sqrt(headDim))`);
}

function record(be: WebGPUBackend, steps: Step[]): void {
  for (const s of steps) be.ctx.dispatch(s.shader, s.entry, s.defines, s.params, s.tensors, s.groups);
}

/** out (B,T,Hq,D), lse (B,Hq,T) ← causal attention of q over k, v */
export function attention(be: WebGPUBackend, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): void {
  const op = 'attention';
  checkOptions(op, o);
  checkAttention(op, q, k, v, out, lse, o);
  for (const [n, t] of [['q', q], ['k', k], ['v', v], ['out', out], ['lse', lse]] as const) expectDtype(op, n, t, 'f32');
  noAlias(op, [['out', out], ['lse', lse]], [['q', q], ['k', k], ['v', v], ['keyMask', o.keyMask]]);
  const variant = selectAttentionVariant(be.ctx, 'forward', o);
  lastAttentionVariant.forward = variant;
  record(be, forwardSteps(be.gpu, variant, o, {
    out: be.t(out), lse: be.t(lse), q: be.t(q), k: be.t(k), v: be.t(v), mask: maskOrPlaceholder(be, o.keyMask),
  }));
}

/** dq (B,T,Hq,D), dk, dv (B,T,Hkv,D) written, from dout and the forward's q, k, v, out, lse */
export function attentionBackward(be: WebGPUBackend, dq: Tensor, dk: Tensor, dv: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
  const op = 'attentionBackward';
  checkOptions(op, o);
  checkAttention(op, q, k, v, out, lse, o);
  expectSize(op, 'dq', dq, q.size); expectSize(op, 'dk', dk, k.size); expectSize(op, 'dv', dv, v.size); expectSize(op, 'dout', dout, out.size);
  for (const [n, t] of [['dq', dq], ['dk', dk], ['dv', dv], ['dout', dout], ['q', q], ['k', k], ['v', v], ['out', out], ['lse', lse]] as const) expectDtype(op, n, t, 'f32');
  noAlias(op, [['dq', dq], ['dk', dk], ['dv', dv]], [['dout', dout], ['q', q], ['k', k], ['v', v], ['out', out], ['lse', lse], ['keyMask', o.keyMask]]);
  const variant = selectAttentionVariant(be.ctx, 'backward', o);
  lastAttentionVariant.backward = variant;
  // (lse, Δ) per row: scratch, back in the pool right after recording — whoever gets the
  // buffer next runs after these dispatches in queue order
  const stats = be.ctx.createTensor([o.batch, o.heads, o.seq, 2], 'f32', 'attention.stats');
  record(be, backwardSteps(be.gpu, variant, o, {
    dq: be.t(dq), dk: be.t(dk), dv: be.t(dv), dout: be.t(dout), q: be.t(q), k: be.t(k), v: be.t(v),
    out: be.t(out), lse: be.t(lse), mask: maskOrPlaceholder(be, o.keyMask), stats,
  }));
  be.ctx.release(stats);
}
