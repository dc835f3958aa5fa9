// createWasmBackend({ threads }): compile (once) the kernels module, make the shared memory,
// start the worker pool and return the backend. threads defaults to every core
// (os.availableParallelism in Node, navigator.hardwareConcurrency elsewhere); one thread
// where shared memory is unavailable (a browser page that is not crossOriginIsolated).
import type { Backend } from '../backend.js';
import type { BackendOptions } from '../index.js';
import { WasmBackend } from './backend.js';
import { loadKernelModule, sharedMemorySupported, simdSupported, wantFma } from './module.js';
import { ThreadPool } from './pool.js';

const PAGE = 65536;
const INITIAL_PAGES = 256;   // 16 MiB, grows on demand
const MAX_PAGES = 65536;     // 4 GiB, the wasm32 limit

export async function defaultThreads(): Promise<number> {
  const g = globalThis as any;
  if (typeof g.process !== 'undefined' && g.process?.versions?.node) {
    try {
      const os = await import('node:os');
      return (os as any).availableParallelism?.() ?? os.cpus().length ?? 1;
    } catch { /* fall through */ }
  }
  return g.navigator?.hardwareConcurrency ?? 1;
}

/** `noSharedMemory` (tests): behave as a host without SharedArrayBuffer (single-thread build) */
export async function createWasmBackend(opts: BackendOptions = {}, internal: { noSharedMemory?: boolean } = {}): Promise<WasmBackend & Backend> {
  if (!simdSupported()) throw new Error('sppo wasm: this JavaScript engine lacks WebAssembly SIMD (128-bit); use a newer Node (≥ 16.4), Deno or browser, or the webgpu backend');
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > 256)) {
    throw new Error(`sppo wasm: threads=${opts.threads} must be an integer in [1, 256]`);
  }
  const shared = !internal.noSharedMemory && sharedMemorySupported();
  let threads = opts.threads ?? await defaultThreads();
  if (!shared) threads = 1;
  const kernels = await loadKernelModule(shared, await wantFma(opts.fma));
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
  const imports = { env: { memory, abort() { throw new Error('sppo wasm: kernel abort'); } } };
  const instance = await WebAssembly.instantiate(kernels.module, imports);
  const exports = instance.exports as Record<string, any>;
  const names = Object.keys(exports).filter((n) => typeof exports[n] === 'function');
  const pool = await ThreadPool.create(exports, names, threads, shared ? { module: kernels.module, bytes: kernels.bytes, memory } : null);
  return new WasmBackend({ kernels, memory, exports, pool, maxBytes: MAX_PAGES * PAGE });
}
