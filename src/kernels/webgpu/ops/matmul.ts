// Matmul on WebGPU: out (batch, M, N) = alpha · op(a) @ op(b) (+ bias) (+ out).
//   a (batch, M, K), or (batch, K, M) when transA; b (batch, K, N), or (batch, N, K) when
//   transB, or one matrix for all batch entries when broadcastB; bias (N).
// Variants (the kernels are in shaders/matmul.wgsl and shaders/matmul_tiled.wgsl):
//   reg4x4, reg8x8, reg16x8, reg16x16 — register-blocked, no workgroup memory, no barriers;
//            each invocation computes a 4×4, 8×8, 16×8 or 16×16 block (CPU emulations)
//   tiled  — 64×64 workgroup tiles staged through workgroup memory (GPUs)
// Which one runs is chosen per adapter and size class by measurement (matmul-select.ts);
// setMatmulVariant() forces one (tests use it to exercise every variant). A b past one storage
// binding is multiplied in blocks of its rows (ops/matmul-split.ts).
import type { MatmulOptions, Tensor } from '../../backend.js';
import { checkMatmul } from '../../validate.js';
import type { WebGPUBackend } from '../backend.js';
import { MATMUL_FAMILY, selectMatmulVariant } from './matmul-select.js';
import { isMatmulVariant, MATMUL_VARIANTS, matmulDims, placeholderBias, planMatmul, type MatmulVariant } from './matmul-plan.js';
import { forceVariant } from '../tune.js';
import { matmulSplitB } from './matmul-split.js';

export { MATMUL_VARIANTS, type MatmulVariant } from './matmul-plan.js';

// ---- forcing a variant -------------------------------------------------------------------------
/** Force one variant for every matmul in this process (null: choose by measurement again).
 *  The environment can do the same: SPPO_VARIANT_MATMUL=reg8x8. */
export function setMatmulVariant(v: MatmulVariant | null): void {
  if (v !== null && !isMatmulVariant(v)) throw new Error(`setMatmulVariant: unknown variant "${v}"; use one of ${Object.keys(MATMUL_VARIANTS).join(', ')}`);
  forceVariant(MATMUL_FAMILY, v);
}

/** The variant that the last matmul call ran (for tests and diagnostics). */
export let lastMatmulVariant: MatmulVariant | null = null;

// ---- the op --------------------------------------------------------------------------------------
export function matmul(be: WebGPUBackend, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void {
  checkMatmul(out, a, b, o);
  // b past one storage binding: in blocks of its rows that fit (ops/matmul-split.ts)
  if (be.th(b).buffer.size > be.ctx.maxBinding) { matmulSplitB(be, out, a, b, o, (x, y, z, p) => matmul(be, x, y, z, p)); return; }
  if (b.dtype !== 'f32') { matmulHalfB(be, out, a, b, o); return; }
  const to = be.t(out), ta = be.t(a), tb = be.t(b);
  const tbias = o.bias ? be.t(o.bias) : placeholderBias(be.ctx);
  const d = matmulDims(o);
  const variant = selectMatmulVariant(be.ctx, d);
  lastMatmulVariant = variant;
  const plan = planMatmul(variant, d, be.ctx.maxWorkgroups);
  const tensors = plan.bind(to, ta, tb, tbias);
  for (const { entry, params, groups } of plan.dispatches) be.ctx.dispatch(plan.shader, entry, plan.defines, params, tensors, groups);
}

/** Which kernel reads a 16-bit b: 'f16-native' (shaders/matmul_half_f16.wgsl, array<f16>) for f16
 *  weights on a device with shader-f16, else 'packed' (shaders/matmul_half.wgsl, u32 words). */
export function halfMatmulKernel(be: WebGPUBackend, dtype: 'bf16' | 'f16'): 'f16-native' | 'packed' {
  return dtype === 'f16' && be.gpu.features.includes('shader-f16') ? 'f16-native' : 'packed';
}

/** The kernel the last matmul with a 16-bit b ran (tests, diagnostics). */
export let lastHalfMatmulKernel: 'f16-native' | 'packed' | null = null;

/** b bf16/f16 (shaders/matmul_half.wgsl, or matmul_half_f16.wgsl for f16 under shader-f16): one
 *  kernel, a 4×4 block per invocation over all of K (the grid of reg4x4, whose Params layout it
 *  shares; no ktail pass), loading b two elements at a time where its rows allow (PAIR). */
function matmulHalfB(be: WebGPUBackend, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void {
  const kernel = halfMatmulKernel(be, b.dtype as 'bf16' | 'f16');
  lastHalfMatmulKernel = kernel;
  dispatchHalfMatmul(be, kernel === 'f16-native' ? 'matmul_half_f16' : 'matmul_half', out, a, b, o);
}

/** one of the matmul_half_core kernels (shader: the file that includes it) over b as it is bound;
 *  tests also run matmul_half_f16's source compiled with f32 storage through it */
export function dispatchHalfMatmul(be: WebGPUBackend, shader: string, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void {
  const tbias = o.bias ? be.t(o.bias) : placeholderBias(be.ctx);
  const d = matmulDims(o);
  const plan = planMatmul('reg4x4', d, be.ctx.maxWorkgroups);
  // PAIR: b's contiguous dimension is even, so its rows are whole u32 words (with broadcastB
  // too: bStride is 0 then, else K·N, even either way)
  const defines = { TA: d.transA, TB: d.transB, HALF: b.dtype === 'bf16' ? 1 : 2, PAIR: (d.transB ? d.k : d.n) % 2 === 0 };
  const tensors = [be.t(out), be.t(a), be.th(b), tbias];
  for (const { entry, params, groups } of plan.dispatches) if (entry !== 'ktail') be.ctx.dispatch(shader, 'mm4x4h', defines, params, tensors, groups);
}
