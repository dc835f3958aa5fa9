// Backend choice for 'auto': a real GPU when there is one, else the wasm CPU backend. A
// software adapter (SwiftShader, llvmpipe, lavapipe, WARP) is a CPU emulation of a GPU and
// runs our kernels ~10× slower than the wasm backend on the same cores, so it loses to wasm.
// The adapter is only probed (no device is created); the wasm side is checked without
// starting workers.
import type { BackendOptions } from './index.js';
import { probeAdapter, summarizeAdapter } from '../gpu/device.js';
import { sharedMemorySupported, simdSupported, wantFma } from './wasm/module.js';
import { defaultThreads } from './wasm/create.js';

export interface BackendChoice { kind: 'webgpu' | 'wasm'; reason: string }

export interface WasmCapabilities { available: boolean; simd: boolean; fma: boolean; sharedMemory: boolean; threads: number; error?: string }

/** what the wasm backend would get here: SIMD (required), fused multiply-add (relaxed SIMD),
 *  shared memory (threads), threads */
export async function wasmCapabilities(opts: BackendOptions = {}): Promise<WasmCapabilities> {
  const simd = simdSupported();
  const sharedMemory = sharedMemorySupported();
  const threads = sharedMemory ? opts.threads ?? await defaultThreads() : 1;
  const fma = simd && await wantFma(opts.fma).catch(() => false);
  const r: WasmCapabilities = { available: simd, simd, fma, sharedMemory, threads };
  if (!simd) r.error = 'this JavaScript engine lacks WebAssembly SIMD';
  return r;
}

export async function chooseBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  const wasm = await wasmCapabilities(opts);
  const cpu = `the wasm backend (SIMD${wasm.fma ? ' with FMA' : ''}, ${wasm.threads} thread${wasm.threads === 1 ? '' : 's'})`;
  let adapterText = '';
  let software = false;
  let why = '';
  try {
    const p = await probeAdapter(opts);
    if (p.adapter) {
      const s = summarizeAdapter(p.adapter);
      adapterText = [s.info.vendor, s.info.architecture, s.info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
      software = s.software;
    } else {
      why = p.note;
    }
  } catch (e) {
    why = (e as Error).message;
  }
  if (adapterText && !software) return { kind: 'webgpu', reason: `a hardware GPU adapter is present (${adapterText})` };
  if (!wasm.available) {
    if (adapterText) return { kind: 'webgpu', reason: `the only WebGPU adapter is a CPU emulation (${adapterText}), but the wasm backend is unavailable: ${wasm.error}` };
    return { kind: 'wasm', reason: `no WebGPU adapter (${why}) and ${wasm.error}: no backend can run here` };
  }
  if (adapterText) {
    const name = /swiftshader/i.test(adapterText) ? 'SwiftShader' : adapterText;
    return { kind: 'wasm', reason: `the only WebGPU adapter is ${name}, a CPU emulation ~10× slower than wasm: using ${cpu}` };
  }
  return { kind: 'wasm', reason: `no WebGPU adapter (${why}): using ${cpu}` };
}
