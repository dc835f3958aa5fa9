// Bench entries for our WebAssembly CPU backend: "wasm-1t" (one thread) and "wasm" (every
// core: os.availableParallelism), both with the fused multiply-add build where the engine has
// relaxed SIMD, and "wasm-plain-1t" / "wasm-plain" (the mul-then-add build) beside them. Ops run synchronously, so a call's time is its wall time.
// "wasm:bf16" and "wasm:f16": the "wasm" entry with b a 16-bit weight (read 16-bit, f32
// accumulation), in the same layout — ratio groups wasm_bf16_vs_f32, wasm_f16_vs_f32.
import { createWasmBackend } from '../../src/kernels/wasm/create.js';
import type { WasmBackend } from '../../src/kernels/wasm/backend.js';
import { attentionTensors, timeCalls, type AttentionShape, type BenchEnv, type KernelImpl, type Timing } from './impl.js';
import { randomData } from './impl-webgpu.js';

const noSync = async () => {};

/** V8 runs wasm first in its baseline compiler (Liftoff) and tiers hot functions up to
 *  TurboFan in the background: call a few times (≥ 5 calls and ≥ 100 ms) before timing. */
export async function warmUp(call: () => void): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < 5 || performance.now() - t0 < 100; i++) {
    call();
    if (i >= 50) break;
    if (i === 2) await new Promise((r) => setTimeout(r, 20)); // let the background compile land
  }
}

export class WasmImpl implements KernelImpl {
  private be!: WasmBackend;
  constructor(readonly name: string, private readonly threads?: number, private readonly fma?: boolean, private readonly bDtype: 'f32' | 'bf16' | 'f16' = 'f32') {}

  async init(env: BenchEnv): Promise<void> {
    this.be = await createWasmBackend({ ...(this.threads ? { threads: this.threads } : {}), ...(this.fma === false ? { fma: false } : {}) });
    env.log(`${this.name}: ${this.be.description}`);
  }

  adapter(): Record<string, unknown> { return { description: this.be.description, threads: this.be.threads }; }

  async matmul(m: number, k: number, n: number, env: BenchEnv): Promise<Timing> {
    const be = this.be;
    const a = be.fromArray(randomData(m * k), [m, k]), b = be.fromArray(randomData(k * n), [k, n], this.bDtype);
    const out = be.tensor([m, n]);
    try {
      const call = () => be.matmul(out, a, b, { m, n, k });
      await warmUp(call);
      return await timeCalls(call, noSync, env);
    } finally {
      for (const x of [a, b, out]) be.dispose(x);
    }
  }

  async attention(s: AttentionShape, env: BenchEnv): Promise<{ forward: Timing; backward: Timing }> {
    if (this.bDtype !== 'f32') throw new Error('not run for 16-bit weight entries');
    const be = this.be;
    const { live, q, k, v, dout, out, lse, dq, dk, dv, o } = attentionTensors(be, s, randomData);
    try {
      const fwd = () => be.attention(out, lse, q, k, v, o);
      const bwd = () => be.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, o);
      await warmUp(fwd);
      await warmUp(bwd);
      const forward = await timeCalls(fwd, noSync, env);
      const backward = await timeCalls(bwd, noSync, env);
      return { forward, backward };
    } finally {
      for (const x of live) be.dispose(x);
    }
  }

  async close(): Promise<void> { this.be?.destroy(); }
}

export function wasmImpls(): KernelImpl[] {
  return [new WasmImpl('wasm-1t', 1), new WasmImpl('wasm'), new WasmImpl('wasm-plain-1t', 1, false), new WasmImpl('wasm-plain', undefined, false),
    new WasmImpl('wasm:bf16', undefined, undefined, 'bf16'), new WasmImpl('wasm:f16', undefined, undefined, 'f16')];
}
