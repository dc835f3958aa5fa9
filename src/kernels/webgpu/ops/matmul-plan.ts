// Matmul dispatch planning shared by the op (matmul.ts) and the variant measurements
// (matmul-select.ts): the variants, their kernels and workgroup tiles, the defines, the
// uniform Params and the grid (split into chunks within maxComputeWorkgroupsPerDimension).
// Kernels: shaders/matmul.wgsl (register-blocked) and shaders/matmul_tiled.wgsl.
import type { MatmulOptions } from '../../backend.js';
import { Params, type Defines, type GPUTensor, type WebGPUContext } from '../context.js';

export type MatmulVariant = 'reg4x4' | 'reg8x8' | 'reg16x8' | 'reg16x16' | 'tiled';

interface VariantSpec {
  shader: string;
  entry: string;
  /** rows × columns of out covered by one workgroup */
  rows: number; cols: number;
  /** register-blocked kernels bind a and b twice (vec4 and scalar views) */
  registerBlocked: boolean;
}

export const MATMUL_VARIANTS: Record<MatmulVariant, VariantSpec> = {
  reg4x4: { shader: 'matmul', entry: 'mm4x4', rows: 32, cols: 32, registerBlocked: true },
  reg8x8: { shader: 'matmul', entry: 'mm8x8', rows: 64, cols: 64, registerBlocked: true },
  reg16x8: { shader: 'matmul', entry: 'mm16x8', rows: 128, cols: 64, registerBlocked: true },
  reg16x16: { shader: 'matmul', entry: 'mm16x16', rows: 128, cols: 128, registerBlocked: true },
  tiled: { shader: 'matmul_tiled', entry: 'mm', rows: 64, cols: 64, registerBlocked: false },
};

export const isMatmulVariant = (v: string): v is MatmulVariant => Object.hasOwn(MATMUL_VARIANTS, v);

/** Everything that shapes a matmul dispatch. */
export interface MatmulDims {
  m: number; n: number; k: number; batch: number;
  transA: boolean; transB: boolean; broadcastB: boolean;
  bias: boolean; accumulate: boolean; alpha: number;
}

export function matmulDims(o: MatmulOptions): MatmulDims {
  return {
    m: o.m, n: o.n, k: o.k, batch: o.batch ?? 1,
    transA: !!o.transA, transB: !!o.transB, broadcastB: !!o.broadcastB,
    bias: !!o.bias, accumulate: !!o.accumulate, alpha: o.alpha ?? 1,
  };
}

/** vec4 loads are aligned when the operand's contiguous dimension is a multiple of 4 */
export function vecAligned(d: MatmulDims): { va: boolean; vb: boolean } {
  return { va: (d.transA ? d.m : d.k) % 4 === 0, vb: (d.transB ? d.k : d.n) % 4 === 0 };
}

export interface MatmulPlan {
  shader: string; defines: Defines;
  /** in order; register-blocked kernels add a `ktail` pass when K % 4 ≠ 0 */
  dispatches: { entry: string; params: Params; groups: [number, number, number] }[];
  /** the tensors for @binding(1..) in order */
  bind(out: GPUTensor, a: GPUTensor, b: GPUTensor, bias: GPUTensor): GPUTensor[];
}

/** The dispatches of one matmul with `variant`; each grid is split into chunks of at most
 *  `maxGroups` workgroups per dimension (each chunk offsets its workgroup ids). */
export function planMatmul(variant: MatmulVariant, d: MatmulDims, maxGroups: number): MatmulPlan {
  const spec = MATMUL_VARIANTS[variant];
  const { va, vb } = vecAligned(d);
  const defines: Defines = { TA: d.transA, TB: d.transB };
  if (spec.registerBlocked) { defines.VA = va; defines.VB = vb; }
  const dispatches: MatmulPlan['dispatches'] = [];
  const grid = (entry: string, rows: number, cols: number) => {
    const gx = Math.ceil(d.n / cols), gy = Math.ceil(d.m / rows), gz = d.batch;
    for (let z = 0; z < gz; z += maxGroups) {
      for (let y = 0; y < gy; y += maxGroups) {
        for (let x = 0; x < gx; x += maxGroups) {
          const params = new Params()
            .u(d.m).u(d.n).u(d.k)
            .u(d.m * d.k).u(d.broadcastB ? 0 : d.k * d.n).u(d.m * d.n)
            .u(x).u(y).u(z)
            .f(d.alpha)
            .u((d.bias ? 1 : 0) | (d.accumulate ? 2 : 0));
          dispatches.push({ entry, params, groups: [Math.min(maxGroups, gx - x), Math.min(maxGroups, gy - y), Math.min(maxGroups, gz - z)] });
        }
      }
    }
  };
  grid(spec.entry, spec.rows, spec.cols);
  if (spec.registerBlocked && d.k % 4 !== 0) grid('ktail', 8, 8);
  const bind = spec.registerBlocked
    ? (out: GPUTensor, a: GPUTensor, b: GPUTensor, bias: GPUTensor) => [out, a, b, a, b, bias]
    : (out: GPUTensor, a: GPUTensor, b: GPUTensor, bias: GPUTensor) => [out, a, b, bias];
  return { shader: spec.shader, defines, dispatches, bind };
}

// Kernels always declare a bias binding; without a bias a 1-element placeholder is bound
// (BIAS=0 keeps it unread).
const placeholders = new WeakMap<WebGPUContext, GPUTensor>();
export function placeholderBias(ctx: WebGPUContext): GPUTensor {
  let t = placeholders.get(ctx);
  if (!t || t.disposed) placeholders.set(ctx, (t = ctx.createTensor([1], 'f32', 'matmul: no bias')));
  return t;
}

