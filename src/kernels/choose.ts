// PLACEHOLDER until the wasm backend lands: 'auto' means webgpu.
import type { BackendOptions } from './index.js';
export async function chooseBackend(_opts: BackendOptions = {}): Promise<{ kind: 'webgpu' | 'wasm'; reason: string }> {
  return { kind: 'webgpu', reason: 'the wasm backend is not available yet' };
}
