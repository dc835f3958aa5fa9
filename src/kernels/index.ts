// Backend selection: 'webgpu', 'wasm' or 'auto' (a real GPU when there is one, else the
// wasm CPU backend — a software-emulated adapter is ~10× slower than wasm on the CPU).
import type { Backend } from './backend.js';
import type { AcquireOptions } from '../gpu/device.js';

export type BackendKind = 'webgpu' | 'wasm' | 'auto';
export * from './backend.js';
export { HalfArray, toHalfBits, fromHalfBits, roundToHalf, isHalf, type HalfDType } from './half.js';

export interface BackendOptions extends AcquireOptions {
  /** wasm worker threads (default: all cores) */
  threads?: number;
  /** wasm: use the fused multiply-add (relaxed SIMD) kernels; default: where the engine has
   *  relaxed SIMD, unless SPPO_WASM_FMA=0. false reproduces the plain build's bits. */
  fma?: boolean;
  /** webgpu: cap the largest storage binding the backend assumes (bytes) below the adapter's
   *  maxStorageBufferBindingSize — tests use it to reach the limit with small models */
  maxBindingBytes?: number;
}

export async function createBackend(kind: BackendKind = 'auto', opts: BackendOptions = {}): Promise<Backend> {
  if (kind === 'webgpu') {
    const { WebGPUBackend } = await import('./webgpu/backend.js');
    return WebGPUBackend.create(opts);
  }
  if (kind === 'wasm') {
    const { createWasmBackend } = await import('./wasm/create.js');
    return createWasmBackend(opts);
  }
  if (kind === 'auto') {
    const { chooseBackend } = await import('./choose.js');
    const choice = await chooseBackend(opts);
    return createBackend(choice.kind, opts);
  }
  throw new Error(`sppo: unknown backend "${kind}": use webgpu, wasm or auto`);
}
