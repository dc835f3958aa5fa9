// Which matmul variant runs, per adapter and size class, chosen by measurement (tune.ts).
// Size class: transposes, each of M, N, K and batch rounded up to a power of two, and whether
// vec4 loads are aligned — e.g. "NT m256 n1024 k256 b1 v11".
// - Forced (setMatmulVariant / SPPO_VARIANT_MATMUL) wins.
// - Products under MIN_TUNE_FLOPS are launch-bound: a default by rule, never measured.
// - Otherwise the first call of a class runs the default and queues a measurement: every
//   candidate runs on the class's shape (shrunk to a budget on CPU emulations, K first, so
//   tuning stays cheap): an untimed warm-up (SwiftShader compiles a kernel at its first dispatch),
//   one timed run, then 2 more unless it was already 3× slower than the best so far; the
//   fastest is kept, in memory and in the persisted cache.
// Defaults by rule: CPU emulations get the largest register block that still gives every
// core several workgroups; GPUs get the workgroup-memory tiles unless the output is small.
import { GPUTensor, type WebGPUContext } from '../context.js';
import { forcedVariant, timePass, Tuner, type Measurement } from '../tune.js';
import type { GPUContext } from '../../../gpu/device.js';
import { isMatmulVariant, MATMUL_VARIANTS, planMatmul, vecAligned, type MatmulDims, type MatmulVariant } from './matmul-plan.js';

/** family name in the variant cache; bump the version when the kernels change */
export const MATMUL_FAMILY = 'matmul@1';
/** below this many flops (2·M·N·K·batch) a product is not worth measuring */
export const MIN_TUNE_FLOPS = 2 ** 22;
/** largest product timed while tuning on a CPU emulation (≈30-100 ms per run there) */
const SOFTWARE_BUDGET_FLOPS = 2 ** 26;
const HARDWARE_BUDGET_FLOPS = 2 ** 32;

const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(x));

export function matmulSizeClass(d: MatmulDims): string {
  const { va, vb } = vecAligned(d);
  return `${d.transA ? 'T' : 'N'}${d.transB ? 'T' : 'N'} m${pow2(d.m)} n${pow2(d.n)} k${pow2(d.k)} b${pow2(d.batch)} v${+va}${+vb}`;
}

export const matmulFlops = (d: MatmulDims) => 2 * d.m * d.n * d.k * d.batch;

function workgroups(v: MatmulVariant, d: MatmulDims): number {
  const s = MATMUL_VARIANTS[v];
  return Math.ceil(d.m / s.rows) * Math.ceil(d.n / s.cols) * d.batch;
}

/** Variants this adapter can run. */
export function matmulCandidates(gpu: GPUContext): MatmulVariant[] {
  const l = gpu.limits;
  const tiledFits = (l.maxComputeInvocationsPerWorkgroup ?? 256) >= 256 && (l.maxComputeWorkgroupSizeX ?? 256) >= 16
    && (l.maxComputeWorkgroupSizeY ?? 256) >= 16 && (l.maxComputeWorkgroupStorageSize ?? 16384) >= 2 * 272 * 16;
  const all: MatmulVariant[] = ['reg4x4', 'reg8x8', 'reg16x8', 'reg16x16'];
  if (tiledFits) all.push('tiled');
  return all;
}

/** The rule used before (or instead of) a measurement. */
export function defaultMatmulVariant(gpu: GPUContext, d: MatmulDims): MatmulVariant {
  if (gpu.software || !matmulCandidates(gpu).includes('tiled')) {
    if (workgroups('reg16x16', d) >= 8) return 'reg16x16';
    if (workgroups('reg16x8', d) >= 8) return 'reg16x8';
    if (workgroups('reg8x8', d) >= 4) return 'reg8x8';
    return 'reg4x4';
  }
  return workgroups('tiled', d) >= 8 ? 'tiled' : 'reg4x4';
}

/** The variant for this product on this context's adapter (see the header). */
export function selectMatmulVariant(ctx: WebGPUContext, d: MatmulDims): MatmulVariant {
  const forced = forcedVariant(MATMUL_FAMILY);
  if (forced !== undefined) {
    if (!isMatmulVariant(forced)) throw new Error(`sppo: matmul variant "${forced}" (SPPO_VARIANT_MATMUL or setMatmulVariant) does not exist; use one of ${Object.keys(MATMUL_VARIANTS).join(', ')}`);
    return forced;
  }
  const measure = matmulFlops(d) >= MIN_TUNE_FLOPS ? () => measureMatmul(ctx, d) : undefined;
  const candidates = matmulCandidates(ctx.gpu);
  const v = Tuner.for(ctx.gpu).choose(MATMUL_FAMILY, matmulSizeClass(d), measure, candidates);
  if (v !== undefined && isMatmulVariant(v) && candidates.includes(v)) return v;
  return defaultMatmulVariant(ctx.gpu, d);
}

/** Measure now (awaitable) and return the variant this class will use from then on. */
export async function tuneMatmul(ctx: WebGPUContext, d: MatmulDims): Promise<MatmulVariant> {
  if (matmulFlops(d) >= MIN_TUNE_FLOPS) {
    await Tuner.for(ctx.gpu).tune(MATMUL_FAMILY, matmulSizeClass(d), () => measureMatmul(ctx, d), matmulCandidates(ctx.gpu));
  }
  return selectMatmulVariant(ctx, d);
}

/** The shape timed for a class: the real one, shrunk to the budget — batch first, then K
 *  down to 128 (the grid of workgroups, which decides between block sizes, stays as it is),
 *  then the larger of M and N — each halving keeping the dimension's remainder mod 4, so vec4
 *  alignment and the k tail are those of the real product. */
export function tuningShape(d: MatmulDims, budget: number): MatmulDims {
  const s = { ...d, bias: false, accumulate: false, alpha: 1 };
  const halve = (x: number) => { let h = Math.ceil(x / 2); h += (((x - h) % 4) + 4) % 4; return h < x ? h : x; };
  for (let guard = 0; matmulFlops(s) > budget && guard < 200; guard++) {
    if (s.batch > 1) { s.batch = Math.ceil(s.batch / 2); continue; }
    const key = s.k > 128 && halve(s.k) < s.k ? 'k' : s.m >= s.n ? 'm' : 'n';
    const h = halve(s[key]);
    if (h === s[key]) break;
    s[key] = h;
  }
  return s;
}

/** Time every candidate on the class's (shrunk) shape; ms per candidate. */
export async function measureMatmul(ctx: WebGPUContext, real: MatmulDims, candidates = matmulCandidates(ctx.gpu)): Promise<Measurement> {
  const gpu = ctx.gpu, device = gpu.device;
  const d = tuningShape(real, gpu.software ? SOFTWARE_BUDGET_FLOPS : HARDWARE_BUDGET_FLOPS);
  const first = defaultMatmulVariant(gpu, d);
  const order = [first, ...candidates.filter((v) => v !== first)].filter((v) => candidates.includes(v));
  const raw: GPUBuffer[] = [];
  const tensor = (n: number, label: string) => {
    const buf = device.createBuffer({ size: Math.max(16, Math.ceil(n / 4) * 16), usage: GPUBufferUsage.STORAGE, label });
    raw.push(buf);
    return new GPUTensor([n], 'f32', buf, label);
  };
  const a = tensor(d.batch * d.m * d.k, 'tune a');
  const b = tensor((d.broadcastB ? 1 : d.batch) * d.k * d.n, 'tune b');
  const out = tensor(d.batch * d.m * d.n, 'tune out');
  const bias = tensor(1, 'tune bias');
  const ms: Record<string, number> = {};
  let best = Infinity;
  try {
    for (const v of order) {
      try {
        const plan = planMatmul(v, d, ctx.maxWorkgroups);
        const tensors = plan.bind(out, a, b, bias);
        const steps: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; groups: [number, number, number] }[] = [];
        for (const { entry, params, groups } of plan.dispatches) {
          // GPUs: compile off this thread. CPU emulations: compile here — dawn.node busy-polls
          // a core while a promise waits, which doubled the CPU cost of an async compile.
          const pipeline = gpu.software ? ctx.pipeline(plan.shader, entry, plan.defines) : await ctx.pipelineAsync(plan.shader, entry, plan.defines);
          const bytes = params.bytes();
          const ub = device.createBuffer({ size: bytes.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
          raw.push(ub);
          device.queue.writeBuffer(ub, 0, bytes);
          const bindGroup = device.createBindGroup({
            layout: pipeline.getBindGroupLayout(0),
            entries: [{ binding: 0, resource: { buffer: ub } }, ...tensors.map((t, i) => ({ binding: i + 1, resource: { buffer: t.buffer } }))],
          });
          steps.push({ pipeline, bindGroup, groups });
        }
        let inner = 1;
        const encode = (pass: GPUComputePassEncoder) => {
          for (let r = 0; r < inner; r++) {
            for (const s of steps) { pass.setPipeline(s.pipeline); pass.setBindGroup(0, s.bindGroup); pass.dispatchWorkgroups(...s.groups); }
          }
        };
        // warm-up, untimed: CPU emulations compile the kernel at its first dispatch (seconds)
        await timePass(gpu, encode, 1, best);
        let t = await timePass(gpu, encode, 1, best);
        if (t > 3 * best) { ms[v] = t; continue; }   // clearly slower: one run settles it
        // very short runs: repeat inside one pass so timer resolution and launch cost fade
        if (t < 1) inner = Math.min(32, Math.ceil(2 / Math.max(t, 0.02)));
        t = Math.min(inner === 1 ? t : Infinity, (await timePass(gpu, encode, 2, t * inner)) / inner);
        ms[v] = t;
        best = Math.min(best, t);
      } catch (e) {
        ms[v] = Infinity;   // this candidate cannot run here: never chosen
        console.error(`sppo: matmul variant ${v} failed while measuring (${(e as Error).message})`);
      }
    }
  } finally {
    for (const buf of raw) buf.destroy();
  }
  return { ms, shape: `${d.batch > 1 ? `${d.batch}×` : ''}${d.m}x${d.k}x${d.n} ${d.transA ? 'T' : 'N'}${d.transB ? 'T' : 'N'}` };
}
