// The shader-f16 matmul (shaders/matmul_half_f16.wgsl: b bound as array<f16>, read natively) on
// WebGPU, against the float64 reference computed from the same f16 values, on the layouts and
// awkward sizes of the packed kernel's cases (cases/matmul-half.ts), outputs poisoned with NaN.
// - Everywhere: the same source compiled with f32 storage (its `alias h16 = f16;` made f32 and
//   `enable f16;` dropped), b the widened f16 values in an f32 tensor — the kernel's indexing,
//   PAIR loads and layouts, checked on any adapter.
// - Where the device has shader-f16: the native kernel itself through be.matmul with an f16 b
//   (and it must be the kernel that ran). Where it has not (SwiftShader), the test says NOT RUN
//   on the console and checks that f16 weights fall back to the packed kernel.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import shaders from '../../src/generated/shaders.js';
import { shaderSource } from '../../src/kernels/webgpu/context.js';
import { dispatchHalfMatmul, halfMatmulKernel, lastHalfMatmulKernel } from '../../src/kernels/webgpu/ops/matmul.js';
import type { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import type { MatmulOptions, Tensor } from '../../src/kernels/backend.js';
import { fromHalfBits, toHalfBits } from '../../src/kernels/half.js';
import { expectClose, getBackend, requireWebGPU, Rng, SEED } from './harness.js';
import { describe, matmulRef, type MatmulSpec } from './cases/matmul.js';
import { halfSpecs } from './cases/matmul-half.js';

/** out = op(a)·op(b) (+ bias, + out) with b f16 values, by `run`; checked against float64 */
async function check(be: WebGPUBackend, rng: Rng, s: MatmulSpec, run: (out: Tensor, a: Tensor, bBits: Uint16Array, bShape: number[], o: MatmulOptions) => void, what: string): Promise<void> {
  const batch = s.batch ?? 1, bRows = s.broadcastB ? 1 : batch;
  const a = rng.f32(batch * s.m * s.k);
  const bBits = toHalfBits(rng.f32(bRows * s.k * s.n), 'f16');
  const b = fromHalfBits(bBits, 'f16');
  const bias = s.bias ? rng.f32(s.n) : null;
  const out0 = s.accumulate ? rng.f32(batch * s.m * s.n) : null;
  const ta = be.fromArray(a, s.transA ? [batch, s.k, s.m] : [batch, s.m, s.k]);
  const to = be.fromArray(out0 ?? new Float32Array(batch * s.m * s.n).fill(NaN), [batch, s.m, s.n]);
  const tbias = bias ? be.fromArray(bias, [s.n]) : undefined;
  try {
    const o: MatmulOptions = { m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, batch: s.batch, broadcastB: s.broadcastB, accumulate: s.accumulate, alpha: s.alpha, bias: tbias };
    run(to, ta, bBits, s.transB ? [bRows, s.n, s.k] : [bRows, s.k, s.n], o);
    expectClose(await be.read(to), matmulRef(s, a, b, bias, out0), 1e-5, `${what} ${describe(s)} (seed ${SEED})`);
  } finally { for (const t of [ta, to, tbias]) if (t) be.dispose(t); }
}

if (requireWebGPU('webgpu matmul f16')) {
  const s = suite('webgpu matmul, shader-f16 kernel');
  s('matmul_half_f16 compiled with f32 storage: every layout and awkward size vs float64', async () => {
    const be = (await getBackend('webgpu')) as WebGPUBackend;
    const src = shaderSource('matmul_half_f16');
    assert.ok(/^enable f16;$/m.test(src) && src.includes('alias h16 = f16;'), 'the f16 kernel declares enable f16 and the h16 alias');
    (shaders as Record<string, string>).test_matmul_half_f16_as_f32 = src.replace(/^enable f16;$/m, '').replace('alias h16 = f16;', 'alias h16 = f32;');
    const rng = new Rng(SEED ^ 0xf16);
    for (const spec of halfSpecs()) {
      await check(be, rng, spec, (out, a, bBits, bShape, o) => {
        const b = be.fromArray(fromHalfBits(bBits, 'f16'), bShape);
        try { dispatchHalfMatmul(be, 'test_matmul_half_f16_as_f32', out, a, b, o); } finally { be.flush(); be.dispose(b); }
      }, 'f16 kernel (f32 storage)');
    }
  });
  s('native shader-f16 where the device has it; elsewhere NOT RUN and f16 weights take the packed kernel', async () => {
    const be = (await getBackend('webgpu')) as WebGPUBackend;
    if (!be.gpu.features.includes('shader-f16')) {
      assert.is(halfMatmulKernel(be, 'f16'), 'packed');
      console.log(`    NOT RUN: the native shader-f16 matmul (shaders/matmul_half_f16.wgsl with array<f16>) — this device (${be.description}) lacks shader-f16; its kernel was checked with f32 storage, and f16 weights use the packed kernel here`);
      return;
    }
    const rng = new Rng(SEED ^ 0xf17);
    for (const spec of halfSpecs()) {
      await check(be, rng, spec, (out, a, bBits, bShape, o) => {
        const b = be.fromArray(bBits, bShape, 'f16');
        try { be.matmul(out, a, b, o); } finally { be.flush(); be.dispose(b); }
        if (lastHalfMatmulKernel !== 'f16-native') throw new Error(`the f16 matmul ran the ${lastHalfMatmulKernel} kernel, not the native one`);
      }, 'native f16');
    }
    console.log(`    native shader-f16 matmul checked on ${be.description}`);
  });
  s.run();
}
