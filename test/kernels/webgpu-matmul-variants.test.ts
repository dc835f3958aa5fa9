// WebGPU only: every matmul variant forced in turn against the float64 reference (every
// operand loader path, aligned and unaligned, tails, batch, bias, accumulate, alpha), grid
// chunking past maxComputeWorkgroupsPerDimension, and selection by measurement: the tuner
// times every candidate, keeps the fastest per size class, persists it atomically and
// reloads it, ignores a malformed cache, and honours a forced variant.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireWebGPU, Rng, SEED, type CaseContext, type Tensor } from './harness.js';
import { checkMatmulCase, describe, type MatmulSpec } from './cases/matmul.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import * as mm from '../../src/kernels/webgpu/ops/matmul.js';
import * as sel from '../../src/kernels/webgpu/ops/matmul-select.js';
import { matmulDims } from '../../src/kernels/webgpu/ops/matmul-plan.js';
import { adapterKey, Tuner } from '../../src/kernels/webgpu/tune.js';
import type { MatmulVariant } from '../../src/kernels/webgpu/ops/matmul.js';

// The tuner reads these when it is first created (at the first matmul below).
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-variants-'));
const cacheFile = path.join(tmp, 'variants.json');
process.env.SPPO_VARIANT_CACHE = cacheFile;
delete process.env.SPPO_VARIANT_MATMUL;
delete process.env.SPPO_TUNE;

if (requireWebGPU('webgpu-matmul-variants.test.ts')) await main();

async function main(): Promise<void> {
  const be = await WebGPUBackend.create();
  const live: Tensor[] = [];
  const context = (name: string): CaseContext => {
    let h = 2166136261;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    return {
      be, rng: new Rng((SEED ^ h) >>> 0),
      out(shape, dtype = 'f32') { const t = be.tensor(shape, dtype); be.fill(t, NaN); live.push(t); return t; },
      input(data, shape) { const t = be.fromArray(data, shape); live.push(t); return t; },
      async read(t) { return Float64Array.from(await be.read(t)); },
    };
  };
  const cleanup = () => { for (const t of live.splice(0)) be.dispose(t); };

  /** Products per variant. Each define set (TA, TB, VA, VB) is a pipeline to compile, ~0.3-3 s
   *  on SwiftShader, so: reg4x4 runs each transpose once, with the operands' vec4 alignment
   *  chosen so that the four exercise every operand loader — A: (TA, VA) ∈ {00, 01, 10, 11},
   *  B: (TB, VB) likewise; the larger register blocks share those loaders (shaders/matmul.wgsl)
   *  and differ only in how the sub-blocks compose, so they run two define sets (vec4, and
   *  scalar with k tails); tiled has no alignment defines and runs each transpose. All get the
   *  options (bias, accumulate, alpha, batch, broadcastB) on define sets they already built. */
  const ALL: MatmulSpec[] = [
    { m: 68, n: 72, k: 20 },                                  // NN, VA=1 VB=1
    { m: 131, n: 67, k: 23, transB: true },                   // NT, VA=0 VB=0, k tail
    { m: 132, n: 67, k: 23, transA: true },                   // TN, VA=1 VB=0, k tail
    { m: 131, n: 67, k: 20, transA: true, transB: true },     // TT, VA=0 VB=1
    { m: 1, n: 1, k: 1, transB: true },                       // NT, VA=0 VB=0
    { m: 5, n: 67, k: 3, transB: true, bias: true, alpha: 0.5 },
    { m: 17, n: 24, k: 9, batch: 3, broadcastB: true, bias: true, accumulate: true, transB: true },
    { m: 20, n: 16, k: 16, batch: 2, accumulate: true, alpha: -2 },                 // NN, VA=1 VB=1
  ];
  const variantSpecs = (v: MatmulVariant) => (v === 'reg4x4' || v === 'tiled' ? ALL : ALL.filter((s) => !s.transA));
  const VARIANTS = Object.keys(mm.MATMUL_VARIANTS) as MatmulVariant[];

  const forced = suite('matmul variants (forced)');
  forced.after.each(cleanup);
  forced.after(() => mm.setMatmulVariant(null));
  for (const v of VARIANTS) {
    forced(`${v}: every transpose, aligned and unaligned, tails, options`, async () => {
      mm.setMatmulVariant(v);
      for (const spec of variantSpecs(v)) {
        await checkMatmulCase(context(`${v} ${describe(spec)}`), spec);
        assert.is(mm.lastMatmulVariant, v, `ran ${mm.lastMatmulVariant}, forced ${v}`);
      }
    });
  }
  forced('unknown variant names are refused', () => {
    assert.throws(() => mm.setMatmulVariant('fast' as MatmulVariant), /unknown variant "fast"/);
  });
  forced.run();

  const grid = suite('matmul grid chunking');
  grid.after.each(() => { cleanup(); mm.setMatmulVariant(null); });
  grid('a 2-workgroup limit splits x, y and z into chunks (every variant)', async () => {
    // only the matmul itself sees the lowered limit (the harness's fill dispatches do not)
    const matmul = be.matmul;
    be.matmul = (...args) => {
      Object.defineProperty(be.ctx, 'maxWorkgroups', { value: 2, configurable: true });
      try { matmul.apply(be, args); } finally { delete (be.ctx as any).maxWorkgroups; }
    };
    try {
      for (const v of VARIANTS) {
        mm.setMatmulVariant(v);
        await checkMatmulCase(context(`chunk ${v}`), { m: 300, n: 200, k: 8, batch: 3, bias: true });
      }
    } finally { be.matmul = matmul; }
  });
  grid.run();

  const tune = suite('matmul variant selection by measurement');
  const dims = matmulDims({ m: 128, n: 128, k: 128 });           // 2^22 flops: worth measuring
  const cls = sel.matmulSizeClass(dims);
  tune.after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });
  tune('tuneMatmul times every candidate, keeps the fastest, persists it', async () => {
    const v = await sel.tuneMatmul(be.ctx, dims);
    const choice = Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, cls);
    assert.ok(choice, 'a decision is recorded');
    assert.is(choice!.variant, v);
    assert.equal(Object.keys(choice!.ms!).sort(), [...sel.matmulCandidates(be.gpu)].sort(), 'every candidate was timed');
    for (const [name, ms] of Object.entries(choice!.ms!)) assert.ok(ms > 0, `${name} took ${ms} ms`);
    const fastest = Object.entries(choice!.ms!).reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    assert.is(v, fastest);
    console.log(`  [tune ${cls}] ${Object.entries(choice!.ms!).map(([k, ms]) => `${k} ${ms.toFixed(2)} ms`).join(', ')} → ${v}`);
    const file = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    assert.is(file.adapters[adapterKey(be.gpu)][`${sel.MATMUL_FAMILY} ${cls}`].variant, v);
    assert.equal(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
    // the decision is used, and the product is still right
    assert.is(sel.selectMatmulVariant(be.ctx, dims), v);
    await checkMatmulCase(context('tuned'), { m: 128, n: 128, k: 128 });
    assert.is(mm.lastMatmulVariant, v);
    cleanup();
  });
  tune('a fresh tuner reloads the decision from the cache file without measuring', () => {
    const before = Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, cls)!.variant;
    Tuner.resetMemory();
    const t = Tuner.for(be.gpu);
    assert.is(t.lookup(sel.MATMUL_FAMILY, cls)?.variant, before);
    assert.is(t.choose(sel.MATMUL_FAMILY, cls, () => { throw new Error('must not measure'); }), before);
  });
  tune('a decision that predates a candidate is measured again', () => {
    const t = Tuner.for(be.gpu);
    const choice = t.lookup(sel.MATMUL_FAMILY, cls)!;
    const cands = sel.matmulCandidates(be.gpu);
    assert.is(t.choose(sel.MATMUL_FAMILY, cls, undefined, cands), choice.variant);
    assert.is(t.choose(sel.MATMUL_FAMILY, cls, undefined, [...cands, 'reg99x99']), undefined, 'stale: re-measure');
  });
  tune('first use of a new class runs the default and measures in the background', async () => {
    const d = matmulDims({ m: 100, n: 259, k: 97, transB: true });   // NT v00: pipelines already built
    const c = sel.matmulSizeClass(d);
    assert.is(Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, c), undefined);
    assert.is(sel.selectMatmulVariant(be.ctx, d), sel.defaultMatmulVariant(be.gpu, d));
    await Tuner.for(be.gpu).settle();
    const choice = Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, c);
    assert.ok(choice, 'measured after settle()');
    assert.is(sel.selectMatmulVariant(be.ctx, d), choice!.variant);
  });
  tune('small products are never measured', () => {
    const d = matmulDims({ m: 8, n: 8, k: 8 });
    assert.is(sel.selectMatmulVariant(be.ctx, d), sel.defaultMatmulVariant(be.gpu, d));
    assert.is(Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, sel.matmulSizeClass(d)), undefined);
  });
  tune('a malformed cache file is ignored', () => {
    fs.writeFileSync(cacheFile, '{ not json');
    Tuner.resetMemory();
    assert.is(Tuner.for(be.gpu).lookup(sel.MATMUL_FAMILY, cls), undefined);
    const d = matmulDims({ m: 8, n: 8, k: 8 });
    assert.is(sel.selectMatmulVariant(be.ctx, d), sel.defaultMatmulVariant(be.gpu, d));
  });
  tune('a forced variant wins over measurement; SPPO_VARIANT_MATMUL too', () => {
    mm.setMatmulVariant('tiled');
    assert.is(sel.selectMatmulVariant(be.ctx, dims), 'tiled');
    mm.setMatmulVariant(null);
    process.env.SPPO_VARIANT_MATMUL = 'reg8x8';
    assert.is(sel.selectMatmulVariant(be.ctx, dims), 'reg8x8');
    process.env.SPPO_VARIANT_MATMUL = 'nope';
    assert.throws(() => sel.selectMatmulVariant(be.ctx, dims), /matmul variant "nope".*does not exist/);
    delete process.env.SPPO_VARIANT_MATMUL;
  });
  tune('the tuning shape keeps vec4 alignment and fits the budget', () => {
    for (const [m, n, k] of [[1024, 1024, 1024], [256, 3072, 768], [1023, 1025, 1027], [1, 50257, 768]]) {
      const d = matmulDims({ m, n, k, batch: 4 });
      const s = sel.tuningShape(d, 2 ** 26);
      assert.ok(2 * s.m * s.n * s.k * s.batch <= 2 ** 26, `${JSON.stringify(s)} over budget`);
      assert.is(s.m % 4, m % 4); assert.is(s.n % 4, n % 4); assert.is(s.k % 4, k % 4);
    }
  });
  tune.run();
}
