// The dispatches of the attention kernels, as data: which shader entry, defines, uniform
// params, bound tensors and grid each step has, for a variant and a shape. ops/attention.ts
// records them into the step's encoder; attention-select.ts times them on scratch buffers.
// Kernels and their headers: shaders/attention_fwd.wgsl, attention_bwd_stats.wgsl,
// attention_bwd_dq.wgsl, attention_bwd_dkv.wgsl.
import { ShapeError, type AttentionOptions } from '../../backend.js';
import { grid1d, Params, type Defines, type GPUTensor } from '../context.js';
import type { GPUContext } from '../../../gpu/device.js';

/** 'rows': registers only, no barriers (CPU emulations); 'tiled': K/V (or Q/dO) tiles in
 *  workgroup memory shared by a block of rows (GPUs) */
export type AttentionVariant = 'rows' | 'tiled';
export const ATTENTION_VARIANTS: readonly AttentionVariant[] = ['rows', 'tiled'];
export const isAttentionVariant = (v: string): v is AttentionVariant => (ATTENTION_VARIANTS as readonly string[]).includes(v);

/** threads per workgroup: query rows (forward, dq) or key rows (dk/dv) of one block */
export const WG = 64;
/** largest head dim accepted: a thread keeps 3-4 rows of D floats in registers */
export const MAX_HEAD_DIM = 256;

export interface Step { shader: string; entry: string; defines: Defines; params: Params; tensors: GPUTensor[]; groups: [number, number, number] }

/** Workgroup-memory budget on CPU emulations. SwiftShader zero-initialises workgroup arrays
 *  with unrolled code when it compiles a pipeline, ~0.6 ms per element (a 2×4096-float tile
 *  took 6 s to compile; with Dawn's disable_workgroup_init toggle, 60 ms). The tiled
 *  variant rarely wins there anyway, so its tiles stay small. */
const SOFTWARE_TILE_BYTES = 2304;

/** rows in a workgroup-memory tile: the largest power of two ≤ WG whose floatsPerRow·4
 *  bytes per row fit the adapter's maxComputeWorkgroupStorageSize (and, on CPU emulations,
 *  SOFTWARE_TILE_BYTES) */
export function tileRows(gpu: GPUContext, floatsPerRow: number): number {
  const limit = Math.min(gpu.limits.maxComputeWorkgroupStorageSize ?? 16384, gpu.software ? SOFTWARE_TILE_BYTES : Infinity);
  let t = WG;
  while (t > 1 && t * floatsPerRow * 4 > limit) t >>= 1;
  if (t * floatsPerRow * 4 > limit) throw new ShapeError(`attention: one tile row needs ${floatsPerRow * 4} bytes of workgroup memory, over this adapter's ${limit}: use a smaller headDim or the 'rows' variant`);
  return t;
}

export const attentionScale = (o: AttentionOptions) => o.scale ?? 1 / Math.sqrt(o.headDim);

function params(o: AttentionOptions): Params {
  return new Params().u(o.seq).u(o.heads).u(o.kvHeads).u(o.keyMask ? 1 : 0).f(attentionScale(o)).u(o.window ?? 0).f(o.softcap ?? 0);
}

/** out (B,T,Hq,D), lse (B,Hq,T) from q, k, v; mask is the keyMask or any i32 placeholder */
export function forwardSteps(gpu: GPUContext, v: AttentionVariant, o: AttentionOptions,
  t: { out: GPUTensor; lse: GPUTensor; q: GPUTensor; k: GPUTensor; v: GPUTensor; mask: GPUTensor }): Step[] {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const tiled = v === 'tiled';
  return [{
    shader: 'attention_fwd', entry: tiled ? 'fwd_tiled' : 'fwd_rows',
    defines: { D, WG, TILE: tiled ? tileRows(gpu, 2 * D + 1) : 1 }, params: params(o),
    tensors: [t.out, t.lse, t.q, t.k, t.v, t.mask], groups: [Math.ceil(T / WG), H, B],
  }];
}

/** dq, dk, dv from dout and the forward's tensors; stats is a (B,Hq,T,2) scratch tensor */
export function backwardSteps(gpu: GPUContext, v: AttentionVariant, o: AttentionOptions,
  t: { dq: GPUTensor; dk: GPUTensor; dv: GPUTensor; dout: GPUTensor; q: GPUTensor; k: GPUTensor; v: GPUTensor; out: GPUTensor; lse: GPUTensor; mask: GPUTensor; stats: GPUTensor }): Step[] {
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = o;
  const tiled = v === 'tiled';
  const rows = B * H * T;
  const g = grid1d(rows, 64);
  return [
    { shader: 'attention_bwd_stats', entry: 'bwd_stats', defines: {}, params: new Params().u(rows).u(T).u(H).u(D),
      tensors: [t.stats, t.lse, t.dout, t.out], groups: [g[0], g[1], 1] },
    { shader: 'attention_bwd_dq', entry: tiled ? 'bwd_dq_tiled' : 'bwd_dq_rows',
      defines: { D, WG, TILE: tiled ? tileRows(gpu, 2 * D + 1) : 1 }, params: params(o),
      tensors: [t.dq, t.q, t.k, t.v, t.dout, t.stats, t.mask], groups: [Math.ceil(T / WG), H, B] },
    { shader: 'attention_bwd_dkv', entry: tiled ? 'bwd_dkv_tiled' : 'bwd_dkv_rows',
      defines: { D, WG, TILE: tiled ? tileRows(gpu, 2 * D + 2) : 1 }, params: params(o),
      tensors: [t.dk, t.dv, t.q, t.k, t.v, t.dout, t.stats, t.mask], groups: [Math.ceil(T / WG), KH, B] },
  ];
}
