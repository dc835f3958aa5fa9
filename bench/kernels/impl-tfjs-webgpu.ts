// Bench entry "tfjs-webgpu": @tensorflow/tfjs-backend-webgpu's matMul on the SAME adapter as
// ours: tfjs finds WebGPU through navigator.gpu, which we point at the `gpu` object our
// backend acquired (it must be set before the backend module is imported: it registers only
// when navigator.gpu exists at import time).
import { acquireGPU } from '../../src/gpu/device.js';
import { sleep, timeCalls, type BenchEnv, type KernelImpl, type Timing } from './impl.js';
import { randomData } from './impl-webgpu.js';

export class TfjsWebGPUImpl implements KernelImpl {
  readonly name = 'tfjs-webgpu';
  private tf: any;
  private backend: any;

  async init(env: BenchEnv): Promise<void> {
    const { gpu } = await acquireGPU();
    const nav = (globalThis as any).navigator;
    Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu }, configurable: true, writable: true });
    this.tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await this.tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
    await this.tf.ready();
    this.backend = this.tf.backend();
    env.log(`tfjs ${this.tf.version_core} on webgpu: ${JSON.stringify(this.adapter())}`);
  }

  adapter(): Record<string, unknown> {
    const i = this.backend?.adapterInfo ?? {};
    return { vendor: i.vendor, architecture: i.architecture };
  }

  private async sync(expectMs: number): Promise<void> {
    // tfjs records into its own encoder and open pass: close the pass, then submit
    if (this.backend.commandEncoder) {
      this.backend.endComputePassEncoder();
      this.backend.submitQueue();
    }
    if (expectMs > 2) await sleep(Math.min(expectMs, 60_000));
    await this.backend.device.queue.onSubmittedWorkDone();
  }

  async matmul(m: number, k: number, n: number, env: BenchEnv): Promise<Timing> {
    const tf = this.tf;
    const a = tf.tensor2d(randomData(m * k), [m, k]), b = tf.tensor2d(randomData(k * n), [k, n]);
    const outs: any[] = [];
    try {
      return await timeCalls(() => { outs.push(tf.matMul(a, b)); }, (e) => this.sync(e), env, () => { for (const o of outs.splice(0)) o.dispose(); });
    } finally {
      for (const o of outs) o.dispose();
      a.dispose(); b.dispose();
    }
  }
}
