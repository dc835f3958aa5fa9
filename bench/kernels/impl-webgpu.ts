// Bench entries for our WebGPU backend: "webgpu" (the variant chosen by measurement, tuned
// before timing) and "webgpu:<variant>" (each matmul variant forced); "webgpu:bf16" and
// "webgpu:f16" time b as a 16-bit weight (shaders/matmul_half.wgsl) in the same layout.
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { lastMatmulVariant, MATMUL_VARIANTS, setMatmulVariant, type MatmulVariant } from '../../src/kernels/webgpu/ops/matmul.js';
import { tuneMatmul } from '../../src/kernels/webgpu/ops/matmul-select.js';
import { matmulDims } from '../../src/kernels/webgpu/ops/matmul-plan.js';
import { Tuner } from '../../src/kernels/webgpu/tune.js';
import { attentionTensors, sleep, timeCalls, type AttentionShape, type BenchEnv, type KernelImpl, type Timing } from './impl.js';

let shared: Promise<WebGPUBackend> | null = null;
const backend = () => (shared ??= WebGPUBackend.create());

/** normal-ish values, cheap to make (sum of uniforms), scaled */
export function randomData(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = 0x9e3779b9 ^ n;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

class WebGPUImpl implements KernelImpl {
  private be!: WebGPUBackend;
  constructor(readonly name: string, private readonly variant: MatmulVariant | null, private readonly withAttention: boolean, private readonly bDtype: 'f32' | 'bf16' | 'f16' = 'f32') {}

  async init(): Promise<void> { this.be = await backend(); }

  adapter(): Record<string, unknown> {
    const g = this.be.gpu;
    return { ...g.info, software: g.software, features: g.features, runtime: g.runtime };
  }

  private async sync(expectMs: number): Promise<void> {
    this.be.flush();
    if (expectMs > 2) await sleep(Math.min(expectMs, 60_000));
    await this.be.sync();
  }

  async matmul(m: number, k: number, n: number, env: BenchEnv): Promise<Timing> {
    const be = this.be;
    const a = be.fromArray(randomData(m * k), [m, k]), b = be.fromArray(randomData(k * n), [k, n], this.bDtype);
    const out = be.tensor([m, n]);
    const o = { m, n, k };
    try {
      setMatmulVariant(this.variant);
      if (this.bDtype !== 'f32') {
        const t = await timeCalls(() => be.matmul(out, a, b, o), (e) => this.sync(e), env);
        return { ...t, variant: 'matmul_half' };
      }
      if (!this.variant) {
        const v = await tuneMatmul(be.ctx, matmulDims(o));
        env.log(`${this.name} ${m}x${k}x${n}: measured choice ${v}`);
      }
      const t = await timeCalls(() => be.matmul(out, a, b, o), (e) => this.sync(e), env);
      return { ...t, variant: lastMatmulVariant ?? undefined };
    } finally {
      setMatmulVariant(null);
      for (const x of [a, b, out]) be.dispose(x);
    }
  }

  async attention(s: AttentionShape, env: BenchEnv): Promise<{ forward: Timing; backward: Timing }> {
    if (!this.withAttention) throw new Error('not run for forced matmul variants');
    const be = this.be;
    const { live, q, k, v, dout, out, lse, dq, dk, dv, o } = attentionTensors(be, s, randomData);
    try {
      const fwd = () => be.attention(out, lse, q, k, v, o);
      const bwd = () => be.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, o);
      // first calls: compile, and let the measured variant choice settle before timing
      fwd(); bwd();
      await this.sync(0);
      await Tuner.for(be.gpu).settle();
      const forward = await timeCalls(fwd, (e) => this.sync(e), env);
      const backward = await timeCalls(bwd, (e) => this.sync(e), env);
      const last = await import('../../src/kernels/webgpu/ops/attention.js').then((m: any) => m.lastAttentionVariant).catch(() => undefined);
      return { forward: { ...forward, variant: last?.forward ?? undefined }, backward: { ...backward, variant: last?.backward ?? undefined } };
    } finally {
      for (const x of live) be.dispose(x);
    }
  }
}

/** "webgpu" plus, with variants, one "webgpu:<variant>" entry per matmul variant */
export function webgpuImpls(variants: boolean): KernelImpl[] {
  const list: KernelImpl[] = [new WebGPUImpl('webgpu', null, true)];
  if (variants) for (const v of Object.keys(MATMUL_VARIANTS) as MatmulVariant[]) list.push(new WebGPUImpl(`webgpu:${v}`, v, false));
  list.push(new WebGPUImpl('webgpu:bf16', null, false, 'bf16'), new WebGPUImpl('webgpu:f16', null, false, 'f16'));
  return list;
}
