// Bench entry "tfjs-wasm": @tensorflow/tfjs-backend-wasm's matMul (XNNPACK, SIMD). In Node
// it runs ONE thread (its worker cannot load from a blob: URL). tfjs-core is shared with the
// tfjs-webgpu entry, so the wasm backend is made current only around our own calls.
import { createRequire } from 'node:module';
import path from 'node:path';
import { timeCalls, type BenchEnv, type KernelImpl, type Timing } from './impl.js';
import { randomData } from './impl-webgpu.js';
import { warmUp } from './impl-wasm.js';

export class TfjsWasmImpl implements KernelImpl {
  readonly name = 'tfjs-wasm';
  private tf: any;

  private async use<T>(f: () => Promise<T>): Promise<T> {
    const prev = this.tf.getBackend();
    if (prev !== 'wasm') await this.tf.setBackend('wasm');
    try { return await f(); } finally { if (prev && prev !== 'wasm') await this.tf.setBackend(prev); }
  }

  async init(env: BenchEnv): Promise<void> {
    this.tf = await import('@tensorflow/tfjs-core');
    const wasm: any = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    (wasm.setWasmPaths ?? wasm.default?.setWasmPaths)?.(path.join(dir, 'dist') + path.sep);
    await this.use(async () => {
      await this.tf.ready();
      if (this.tf.getBackend() !== 'wasm') throw new Error('tfjs could not start its wasm backend');
    });
    env.log(`tfjs ${this.tf.version_core} on wasm (threads: ${this.threads()})`);
  }

  private threads(): number {
    try { return (this.tf.backend() as any).wasm?.tfjs?.getThreadsCount?.() ?? 1; } catch { return 1; }
  }

  adapter(): Record<string, unknown> { return { library: `tfjs-backend-wasm ${this.tf?.version_core ?? ''}`, threads: 1 }; }

  async matmul(m: number, k: number, n: number, env: BenchEnv): Promise<Timing> {
    return this.use(async () => {
      const tf = this.tf;
      const a = tf.tensor2d(randomData(m * k), [m, k]), b = tf.tensor2d(randomData(k * n), [k, n]);
      const outs: any[] = [];
      try {
        await warmUp(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); });
        return await timeCalls(() => { outs.push(tf.matMul(a, b)); }, async () => { await outs[outs.length - 1]?.data(); }, env, () => { for (const o of outs.splice(0)) o.dispose(); });
      } finally {
        for (const o of outs) o.dispose();
        a.dispose(); b.dispose();
      }
    });
  }
}
