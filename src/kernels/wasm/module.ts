// The compiled kernels module (assembly/kernels/, embedded as base64 by tools/build.mjs):
// compiled once per process and shared by every backend and worker. Four builds: with threads
// and shared memory (the normal case) or single-thread for hosts without SharedArrayBuffer
// (browser pages that are not crossOriginIsolated), each with and without relaxed SIMD. The
// relaxed ("fma") builds turn the multiply-adds of the matmul and attention micro-kernels into
// fused multiply-adds; they are taken wherever relaxed SIMD validates (Chrome ≥ 114, Node ≥ 22,
// Deno; Node 20/21 have it behind a V8 flag that is switched on here) unless `fma: false`
// or SPPO_WASM_FMA=0 asks for the plain build (e.g. to reproduce bits from a host without
// FMA: fused and unfused sums round differently).
import threadedB64 from '../../generated/wasm-kernels.js';
import singleB64 from '../../generated/wasm-kernels-single.js';
import threadedFmaB64 from '../../generated/wasm-kernels-fma.js';
import singleFmaB64 from '../../generated/wasm-kernels-single-fma.js';

export interface KernelModule { module: WebAssembly.Module; bytes: Uint8Array; shared: boolean; fma: boolean }

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

// (module (func (result v128) v128.const 0 ×3 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array(16).fill(0)]), 253, 133, 2, 11,
]);

function relaxedValidates(): boolean {
  try { return WebAssembly.validate(RELAXED_PROBE); } catch { return false; }
}

let relaxed: Promise<boolean> | undefined;
/** true where relaxed SIMD (f32x4.relaxed_madd) validates; on Node 20/21, where V8 ships it
 *  behind --experimental-wasm-relaxed-simd, the flag is switched on first (wasm feature
 *  flags are read at validation/compile time, so setting it at run time takes effect). */
export function relaxedSimdSupported(): Promise<boolean> {
  relaxed ??= (async () => {
    if (relaxedValidates()) return true;
    const g = globalThis as any;
    const node = typeof g.Deno === 'undefined' && typeof g.process?.versions?.node === 'string' ? Number(g.process.versions.node.split('.')[0]) : 0;
    if (node !== 20 && node !== 21) return false;
    try {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch { return false; }
    return relaxedValidates();
  })();
  return relaxed;
}

/** whether to use an FMA build: `fma` option, else SPPO_WASM_FMA (0/1), else where supported */
export async function wantFma(fma?: boolean): Promise<boolean> {
  let env: string | undefined;
  // Deno without --allow-env throws on any env read: treat that as unset
  try { env = (globalThis as any).process?.env?.SPPO_WASM_FMA; } catch { env = undefined; }
  if (env !== undefined && env !== '' && env !== '0' && env !== '1') throw new Error(`sppo wasm: SPPO_WASM_FMA=${JSON.stringify(env)}: use 0 (plain build), 1 (fused multiply-add, error where unsupported) or leave it unset (FMA where supported)`);
  const asked = fma ?? (env === '0' ? false : env === '1' ? true : undefined);
  if (asked === false) return false;
  const ok = await relaxedSimdSupported();
  if (asked === true && !ok) throw new Error('sppo wasm: fma was asked for (fma: true or SPPO_WASM_FMA=1) but this JavaScript engine lacks WebAssembly relaxed SIMD; use Node ≥ 20, Chrome ≥ 114 or Deno, or leave fma unset');
  return ok;
}

export function loadKernelModule(shared: boolean, fma = false): Promise<KernelModule> {
  const key = (shared ? 'threaded' : 'single') + (fma ? '-fma' : '');
  let p = cache.get(key);
  if (!p) {
    const bytes = decodeBase64(shared ? (fma ? threadedFmaB64 : threadedB64) : (fma ? singleFmaB64 : singleB64));
    p = WebAssembly.compile(bytes as BufferSource).then((module) => ({ module, bytes, shared, fma }));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
