// PLACEHOLDER — the WebAssembly CPU backend is being written.
import type { Backend } from '../backend.js';
import type { BackendOptions } from '../index.js';
export async function createWasmBackend(_opts: BackendOptions = {}): Promise<Backend> {
  throw new Error('sppo: the wasm backend is not written yet');
}
