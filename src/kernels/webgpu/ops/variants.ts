// Kernel variants of the row-reduction families (softmax, norms, reductions) and how one is
// picked for an adapter; embeddingBackward follows the same switch (ops/embedding.ts).
//   'workgroup': one workgroup per row, partial results merged in workgroup memory with two
//                barriers — what GPUs reward.
//   'serial':    one thread per row (per chunk for sumSquares), no workgroup memory, no
//                barriers — what CPU emulations reward: on SwiftShader (2 shared cores) the
//                first workgroupBarrier in a shader costs ~0.1 ms per 64-thread workgroup and
//                more per 256-thread one. Measured there, 'workgroup' vs 'serial':
//                rmsnorm 1024×256 130–250 ms vs 20–24 ms, softmax 1024×256 110–170 vs 13–39,
//                tokenLogprobs 256×5003 420–550 vs 37–81, sumSquares 2²⁰ 310–420 vs 15–40.
// Default: 'serial' on software adapters, 'workgroup' otherwise. Either can be forced per
// backend (tests run both on every adapter); a measured choice can replace the default here.
import type { WebGPUBackend } from '../backend.js';
import { grid1d, type GPUTensor } from '../context.js';

export type RowVariant = 'workgroup' | 'serial';

const forced = new WeakMap<WebGPUBackend, RowVariant>();
const gridLimits = new WeakMap<WebGPUBackend, number>();

export function rowVariant(be: WebGPUBackend): RowVariant {
  return forced.get(be) ?? (be.gpu.software ? 'serial' : 'workgroup');
}

/** force a variant for this backend (null: back to the adapter's default) */
export function setRowVariant(be: WebGPUBackend, v: RowVariant | null): void {
  if (v) forced.set(be, v); else forced.delete(be);
}

/** workgroups per grid dimension before a 1-D grid folds into 2-D: the adapter's limit, or a
 *  smaller one set by tests so that the folding is exercised on small inputs */
export function gridLimit(be: WebGPUBackend): number {
  return gridLimits.get(be) ?? be.ctx.maxWorkgroups;
}

export function setGridLimit(be: WebGPUBackend, max: number | null): void {
  if (max) gridLimits.set(be, Math.min(max, be.ctx.maxWorkgroups)); else gridLimits.delete(be);
}

/** threads per row-workgroup for rows of `cols` ('workgroup' variant) */
export const rowWG = (cols: number): number => (cols >= 2048 ? 256 : 64);
/** threads per workgroup of the 'serial' variants (must match the *_serial.wgsl files) */
export const SERIAL_WG = 16;

/** shader, defines and grid of a row kernel of `family` for `rows` rows of `cols` under the
 *  backend's variant: `family`.wgsl with WG = rowWG(cols), one workgroup per row, or
 *  `family`_serial.wgsl, one thread per row. `defines` go to both. */
export function rowPlan(be: WebGPUBackend, family: string, rows: number, cols: number, defines: Record<string, number> = {}): { shader: string; defines: Record<string, number>; grid: [number, number] } {
  if (rowVariant(be) === 'serial') return { shader: `${family}_serial`, defines, grid: grid1d(rows, SERIAL_WG, gridLimit(be)) };
  return { shader: family, defines: { WG: rowWG(cols), ...defines }, grid: grid1d(rows, 1, gridLimit(be)) };
}

/** vec4 count of elementwise kernels that read tensors of n f32 as array<vec4f>: ceil(n/4).
 *  Relies on context.ts padding every buffer to 16 bytes; checked, so that a change there
 *  gives this error instead of out-of-bounds accesses that WebGPU would clamp silently. */
export function vec4Count(n: number, tensors: GPUTensor[]): number {
  const n4 = Math.ceil(n / 4);
  for (const t of tensors) {
    if (t.buffer.size < n4 * 16) throw new Error(`webgpu: tensor${t.label ? ` "${t.label}"` : ''} of ${t.size} elements sits in a ${t.buffer.size}-byte buffer; vec4 kernels need buffers padded to 16 bytes (WebGPUContext.createTensor)`);
  }
  return n4;
}
