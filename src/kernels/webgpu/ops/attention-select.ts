// Which attention variant runs, per adapter and size class, chosen by measurement through the
// shared tuner (src/kernels/webgpu/tune.ts, family "attention@1").
// Size class: direction, head dim, group size Hq/Hkv, and T and B·Hq rounded up to powers of
// two — e.g. "forward D64 G2 T512 bh16".
// - Forced (setAttentionVariant / SPPO_VARIANT_ATTENTION=rows|tiled) wins.
// - Tiny problems (under MIN_TUNE_FLOPS) are launch-bound: the default by rule, never timed.
// - Otherwise the first call of a class runs the default and queues a measurement of both
//   variants on the class's shape (shrunk to a budget on CPU emulations) on scratch buffers,
//   outside the recorded step; later calls get the fastest. tuneAttention() measures now.
// Default by rule: CPU emulations → rows (barriers are dear there), GPUs → tiled.
import type { AttentionOptions } from '../../backend.js';
import { GPUTensor, type WebGPUContext } from '../context.js';
import { forcedVariant, timePass, Tuner, type Measurement } from '../tune.js';
import type { GPUContext } from '../../../gpu/device.js';
import { ATTENTION_VARIANTS, backwardSteps, forwardSteps, isAttentionVariant, type AttentionVariant, type Step } from './attention-plan.js';

/** family name in the variant cache; bump the version when the kernels change */
export const ATTENTION_FAMILY = 'attention@1';
export type Direction = 'forward' | 'backward';
export const MIN_TUNE_FLOPS = 2 ** 22;
const SOFTWARE_BUDGET_FLOPS = 2 ** 24;
const HARDWARE_BUDGET_FLOPS = 2 ** 34;

const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** flops of one call (causal: half the T×T scores; backward ≈ 2.5× forward) */
export function attentionFlops(dir: Direction, o: AttentionOptions): number {
  const f = 2 * o.batch * o.heads * o.seq * o.seq * o.headDim;
  return dir === 'forward' ? f : 2.5 * f;
}

export function attentionSizeClass(dir: Direction, o: AttentionOptions): string {
  return `${dir} D${o.headDim} G${o.heads / o.kvHeads} T${pow2(o.seq)} bh${pow2(o.batch * o.heads)}`;
}

export function defaultAttentionVariant(gpu: GPUContext): AttentionVariant {
  return gpu.software ? 'rows' : 'tiled';
}

export function selectAttentionVariant(ctx: WebGPUContext, dir: Direction, o: AttentionOptions): AttentionVariant {
  const forced = forcedVariant(ATTENTION_FAMILY);
  if (forced !== undefined) {
    if (!isAttentionVariant(forced)) throw new Error(`sppo: attention variant "${forced}" (SPPO_VARIANT_ATTENTION or setAttentionVariant) does not exist; use one of ${ATTENTION_VARIANTS.join(', ')}`);
    return forced;
  }
  const measure = attentionFlops(dir, o) >= MIN_TUNE_FLOPS ? () => measureAttention(ctx, dir, o) : undefined;
  const v = Tuner.for(ctx.gpu).choose(ATTENTION_FAMILY, attentionSizeClass(dir, o), measure);
  return v !== undefined && isAttentionVariant(v) ? v : defaultAttentionVariant(ctx.gpu);
}

/** Measure now (awaitable) and return the variant this class will use from then on. */
export async function tuneAttention(ctx: WebGPUContext, dir: Direction, o: AttentionOptions): Promise<AttentionVariant> {
  if (attentionFlops(dir, o) >= MIN_TUNE_FLOPS) {
    await Tuner.for(ctx.gpu).tune(ATTENTION_FAMILY, attentionSizeClass(dir, o), () => measureAttention(ctx, dir, o));
  }
  return selectAttentionVariant(ctx, dir, o);
}

/** The shape timed for a class: the real one with batch, then kv heads, then T halved until
 *  it fits the budget (head dim and group size kept: they decide registers and sharing). */
export function tuningShape(dir: Direction, o: AttentionOptions, budget: number): AttentionOptions {
  const s = { batch: o.batch, seq: o.seq, heads: o.heads, kvHeads: o.kvHeads, headDim: o.headDim, scale: o.scale };
  const G = o.heads / o.kvHeads;
  for (let guard = 0; attentionFlops(dir, s) > budget && guard < 100; guard++) {
    if (s.batch > 1) s.batch = Math.ceil(s.batch / 2);
    else if (s.kvHeads > 1) { s.kvHeads = Math.ceil(s.kvHeads / 2); s.heads = s.kvHeads * G; }
    else if (s.seq > 64) s.seq = Math.ceil(s.seq / 2);
    else break;
  }
  return s;
}

/** Time both variants on the class's (shrunk) shape on scratch buffers; ms per variant. */
export async function measureAttention(ctx: WebGPUContext, dir: Direction, real: AttentionOptions): Promise<Measurement> {
  const gpu = ctx.gpu, device = gpu.device;
  const o = tuningShape(dir, real, gpu.software ? SOFTWARE_BUDGET_FLOPS : HARDWARE_BUDGET_FLOPS);
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = o;
  const raw: GPUBuffer[] = [];
  const tensor = (shape: number[], label: string) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const buf = device.createBuffer({ size: Math.max(16, Math.ceil(n / 4) * 16), usage: GPUBufferUsage.STORAGE, label });
    raw.push(buf);
    return new GPUTensor(shape, 'f32', buf, label);
  };
  // zero-filled buffers: the kernels have no data-dependent work, so the timing is the same
  const qs = [B, T, H, D], kvs = [B, T, KH, D];
  const t = {
    q: tensor(qs, 'tune q'), k: tensor(kvs, 'tune k'), v: tensor(kvs, 'tune v'), out: tensor(qs, 'tune out'),
    lse: tensor([B, H, T], 'tune lse'), mask: tensor([1], 'tune mask'), dout: tensor(qs, 'tune dout'),
    dq: tensor(qs, 'tune dq'), dk: tensor(kvs, 'tune dk'), dv: tensor(kvs, 'tune dv'), stats: tensor([B, H, T, 2], 'tune stats'),
  };
  const first = defaultAttentionVariant(gpu);
  const order = [first, ...ATTENTION_VARIANTS.filter((v) => v !== first)];
  const ms: Record<string, number> = {};
  let best = Infinity;
  try {
    for (const v of order) {
      const steps: Step[] = dir === 'forward' ? forwardSteps(gpu, v, o, t) : backwardSteps(gpu, v, o, t);
      const bound = steps.map((s) => {
        const pipeline = ctx.pipeline(s.shader, s.entry, s.defines);
        const bytes = s.params.bytes();
        const ub = device.createBuffer({ size: bytes.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        raw.push(ub);
        device.queue.writeBuffer(ub, 0, bytes);
        const bindGroup = device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [{ binding: 0, resource: { buffer: ub } }, ...s.tensors.map((x, i) => ({ binding: i + 1, resource: { buffer: x.buffer } }))],
        });
        return { pipeline, bindGroup, groups: s.groups };
      });
      let inner = 1;
      const encode = (pass: GPUComputePassEncoder) => {
        for (let r = 0; r < inner; r++) {
          for (const s of bound) { pass.setPipeline(s.pipeline); pass.setBindGroup(0, s.bindGroup); pass.dispatchWorkgroups(...s.groups); }
        }
      };
      let ts = await timePass(gpu, encode, 1, best);      // the first run also compiles
      if (ts > 3 * best) { ms[v] = ts; continue; }        // clearly slower: one run settles it
      if (ts < 1) inner = Math.min(32, Math.ceil(2 / Math.max(ts, 0.02)));
      ts = Math.min(inner === 1 ? ts : Infinity, (await timePass(gpu, encode, 2, ts * inner)) / inner);
      ms[v] = ts;
      best = Math.min(best, ts);
    }
  } finally {
    for (const buf of raw) buf.destroy();
  }
  return { ms, shape: `${dir} B${B} T${T} Hq${H} Hkv${KH} D${D}` };
}
