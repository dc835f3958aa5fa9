// Shared harness for kernel tests: one table of cases runs against every backend.
// - fresh random inputs each run from a printed seed (SPPO_SEED=n reproduces a run);
// - outputs are poisoned with NaN before the op, so a kernel that skips an element fails;
// - results are compared with a float64 reference by relative error; NaN never passes.
//   SPPO_TEST_BACKENDS=webgpu,wasm (default: both) picks the backends; kernel tables also run on
//   wasm-plain (the wasm build without relaxed SIMD's fused multiply-add, which `wasm` uses
//   wherever the engine has it) unless SPPO_TEST_BACKENDS names the backends.
import { suite } from 'uvu';
import type { Backend, Tensor } from '../../src/kernels/backend.js';
import { createBackend } from '../../src/kernels/index.js';

export type { Backend, Tensor };

/** mulberry32: small, fast, seeded */
export class Rng {
  private s: number;
  constructor(readonly seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo = -1, hi = 1): number { return lo + (hi - lo) * this.next(); }
  normal(): number {
    const u = Math.max(this.next(), 1e-12), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  int(lo: number, hiExclusive: number): number { return lo + Math.floor(this.next() * (hiExclusive - lo)); }
  /** Float32Array of n values ~ N(0, std²) (or uniform in [lo,hi) with {lo,hi}) */
  f32(n: number, o: { std?: number; lo?: number; hi?: number } = {}): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = o.lo !== undefined ? this.uniform(o.lo, o.hi ?? 1) : this.normal() * (o.std ?? 1);
    return a;
  }
  i32(n: number, lo: number, hiExclusive: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hiExclusive);
    return a;
  }
}

export const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;

export interface CaseContext {
  be: Backend;
  rng: Rng;
  /** a tensor filled with NaN (an output that must be fully written) */
  out(shape: number[], dtype?: 'f32' | 'i32'): Tensor;
  /** a tensor from data */
  input(data: Float32Array | Int32Array, shape: number[]): Tensor;
  /** read back as float64 */
  read(t: Tensor): Promise<Float64Array>;
}

export interface KernelCase {
  name: string;
  run(c: CaseContext): Promise<void>;
}

/** Compare got with a float64 reference: max|got-want| / max(max|want|, floor) ≤ tol. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, floor = 1e-30): number {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  let maxErr = 0, maxRef = 0, worst = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(g) || !Number.isFinite(g)) throw new Error(`${what}: element ${i} is ${g} (expected ${w})`);
    if (!Number.isFinite(w)) throw new Error(`${what}: the reference itself is ${w} at ${i}`);
    const e = Math.abs(g - w);
    if (e > maxErr) { maxErr = e; worst = i; }
    maxRef = Math.max(maxRef, Math.abs(w));
  }
  const rel = maxErr / Math.max(maxRef, floor);
  if (!(rel <= tol)) {
    throw new Error(`${what}: relative error ${rel.toExponential(3)} > ${tol} (worst at ${worst}: got ${got[worst]}, expected ${want[worst]}; seed ${SEED})`);
  }
  return rel;
}

/** exact equality for integer outputs */
export function expectEqual(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (seed ${SEED})`);
}

export type TestBackend = 'webgpu' | 'wasm' | 'wasm-plain';

const KNOWN: readonly TestBackend[] = ['webgpu', 'wasm', 'wasm-plain'];

/** SPPO_TEST_BACKENDS parsed; an unknown name or an empty selection is an error, so that a
 *  file can never pass by running nothing */
function selected(fallback: string): TestBackend[] {
  const names = (process.env.SPPO_TEST_BACKENDS ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!KNOWN.includes(n as TestBackend)) throw new Error(`SPPO_TEST_BACKENDS: unknown backend "${n}" (known: ${KNOWN.join(', ')})`);
  return names as TestBackend[];
}

/** the backends model-level tests run on (wasm-plain is a kernel-table variant only) */
export function backendNames(): ('webgpu' | 'wasm')[] {
  const names = selected('webgpu,wasm').map((n) => (n === 'wasm-plain' ? 'wasm' : n));
  return [...new Set(names)] as ('webgpu' | 'wasm')[];
}

/** the backends kernel tables run on: backendNames() plus wasm-plain by default */
export function kernelBackendNames(): TestBackend[] {
  return selected('webgpu,wasm,wasm-plain');
}

/** For files that test WebGPU alone: when SPPO_TEST_BACKENDS leaves webgpu out, the file
 *  registers one failing test that says so instead of passing with nothing run. Returns
 *  whether webgpu is selected. */
export function requireWebGPU(file: string): boolean {
  if (backendNames().includes('webgpu')) return true;
  const s = suite(file);
  s('webgpu selected', () => {
    throw new Error(`${file} tests WebGPU only, and SPPO_TEST_BACKENDS=${process.env.SPPO_TEST_BACKENDS} leaves it out: run this file with webgpu selected`);
  });
  s.run();
  return false;
}

const backendCache = new Map<string, Promise<Backend>>();
export function getBackend(name: TestBackend): Promise<Backend> {
  let p = backendCache.get(name);
  if (!p) backendCache.set(name, (p = name === 'wasm-plain' ? createBackend('wasm', { fma: false }) : createBackend(name)));
  return p;
}

/** Kernel families whose WebGPU kernels come in row variants ('serial', 'workgroup':
 *  src/kernels/webgpu/ops/variants.ts). The adapter picks one by default; the tables run every
 *  variant, so that a defect in the one this adapter does not pick still fails its family's test. */
const ROW_VARIANT_FAMILIES = new Set(['softmax', 'norm', 'reduce', 'activation', 'embedding', 'optim', 'lmhead']);
const ROW_VARIANTS = ['serial', 'workgroup'] as const;

/** Register the cases as one uvu suite per backend (and per WebGPU row variant) and run them. */
export function runCases(family: string, cases: KernelCase[]): void {
  for (const name of kernelBackendNames()) {
    if (name === 'webgpu' && ROW_VARIANT_FAMILIES.has(family)) {
      for (const v of ROW_VARIANTS) runOn(`${family} [webgpu ${v}]`, name, cases, v);
    } else {
      runOn(`${family} [${name}]`, name, cases, null);
    }
  }
}

function runOn(title: string, name: TestBackend, cases: KernelCase[], variant: 'serial' | 'workgroup' | null): void {
  const family = title.split(' [')[0];
  {
    const s = suite(title);
    let be: Backend;
    let setupError: unknown = null;
    const live: Tensor[] = [];
    // uvu swallows errors thrown in before(): keep it and rethrow in every test instead
    s.before(async () => { try { be = await getBackend(name); } catch (e) { setupError = e; } });
    s.after.each(() => { for (const t of live.splice(0)) be.dispose(t); });
    for (const c of cases) {
      s(c.name, async () => {
        if (setupError) throw setupError;
        const rng = new Rng((SEED ^ hash(`${family}/${c.name}`)) >>> 0);
        const ctx: CaseContext = {
          be, rng,
          out(shape, dtype = 'f32') {
            const t = be.tensor(shape, dtype);
            if (dtype === 'f32') be.fill(t, NaN);
            else be.write(t, new Int32Array(t.size).fill(-0x7ffffff0));
            live.push(t);
            return t;
          },
          input(data, shape) { const t = be.fromArray(data, shape); live.push(t); return t; },
          async read(t) { return Float64Array.from(await be.read(t)); },
        };
        if (!variant) { await c.run(ctx); return; }
        const { setRowVariant } = await import('../../src/kernels/webgpu/ops/variants.js');
        const wbe = be as unknown as import('../../src/kernels/webgpu/backend.js').WebGPUBackend;
        setRowVariant(wbe, variant);
        try { await c.run(ctx); } finally { setRowVariant(wbe, null); }
      });
    }
    s.run();
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Awkward sizes that catch tail handling: 1, 3, 17, 63, 65, ... */
export const AWKWARD = [1, 3, 17, 63, 65];
