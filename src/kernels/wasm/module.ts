// The compiled kernels module (assembly/kernels/, embedded as base64 by tools/build.mjs):
// compiled once per process and shared by every backend and worker. Two builds: with threads
// and shared memory (the normal case), and a single-thread build for hosts without
// SharedArrayBuffer (browser pages that are not crossOriginIsolated).
import threadedB64 from '../../generated/wasm-kernels.js';
import singleB64 from '../../generated/wasm-kernels-single.js';

export interface KernelModule { module: WebAssembly.Module; bytes: Uint8Array; shared: boolean }

const cache = new Map<string, Promise<KernelModule>>();

export function decodeBase64(b64: string): Uint8Array {
  const g = globalThis as any;
  if (typeof g.Buffer !== 'undefined') { const b = g.Buffer.from(b64, 'base64'); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** true where a shared WebAssembly.Memory can be made (SharedArrayBuffer + Atomics) */
export function sharedMemorySupported(): boolean {
  try {
    if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
    const g = globalThis as any;
    if (typeof g.crossOriginIsolated === 'boolean' && !g.crossOriginIsolated) return false;
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return m.buffer instanceof SharedArrayBuffer;
  } catch { return false; }
}

/** true where WebAssembly SIMD (v128) validates */
export function simdSupported(): boolean {
  // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  try { return WebAssembly.validate(bytes); } catch { return false; }
}

export function loadKernelModule(shared: boolean): Promise<KernelModule> {
  const key = shared ? 'threaded' : 'single';
  let p = cache.get(key);
  if (!p) {
    const bytes = decodeBase64(shared ? threadedB64 : singleB64);
    p = WebAssembly.compile(bytes as BufferSource).then((module) => ({ module, bytes, shared }));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
