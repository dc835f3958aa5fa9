// Fresh parameters for a config (seeded, deterministic across runtimes) and host copies of
// a model's parameters.
import type { Backend, Tensor } from '../kernels/backend.js';
import { HalfArray } from '../kernels/half.js';
import { paramSpecs, type Arch } from './arch.js';
import { seededNormal } from '../sampling/rng.js';

/** Host arrays of freshly initialised parameters (normal(0, std) or constants). */
export function initParams(arch: Arch, seed = 0): Map<string, Float32Array> {
  const rnd = seededNormal(seed);
  const out = new Map<string, Float32Array>();
  for (const s of paramSpecs(arch)) {
    const n = s.shape.reduce((x, y) => x * y, 1);
    const a = new Float32Array(n);
    if ('value' in s.init) a.fill(s.init.value);
    else for (let i = 0; i < n; i++) a[i] = rnd() * s.init.std;
    out.set(s.name, a);
  }
  return out;
}

/** Upload host parameters to a backend; a HalfArray becomes a bf16/f16 tensor (its bits
 *  copied as they are). */
export function uploadParams(be: Backend, arch: Arch, host: Map<string, Float32Array | HalfArray>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const s of paramSpecs(arch)) {
    const data = host.get(s.name);
    if (!data) throw new Error(`model: parameter ${s.name} is missing`);
    out.set(s.name, data instanceof HalfArray ? be.fromArray(data.bits, s.shape, data.dtype, s.name) : be.fromArray(data, s.shape, 'f32', s.name));
  }
  return out;
}

/** Read every parameter back to the host. */
export async function downloadParams(be: Backend, params: Map<string, Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of params) out.set(name, (await be.read(t)) as Float32Array);
  return out;
}
