// The wasm backend's two builds: `fma` (relaxed SIMD: the matmul and attention micro-kernels
// use fused multiply-adds) and `plain` (mul then add). Checked here:
// - which build `createBackend('wasm')` takes: the fused one wherever relaxed SIMD validates
//   (Node 20 needs a V8 flag that module.ts switches on), the plain one with fma: false or
//   SPPO_WASM_FMA=0 — and doctor's wasm section says which;
// - that the fused build really fuses: a 2-term dot product whose product is inexact in f32,
//   a0·b0 + a1·b1 with a1 = b1 = 1 + 2⁻¹² (a1·b1 = 1 + 2⁻¹¹ + 2⁻²⁴, which f32 rounds to
//   1 + 2⁻¹¹) and a0·b0 = −(1 + 2⁻¹¹): mul-then-add gives exactly 0, a fused multiply-add keeps
//   the 2⁻²⁴. Both builds go through the packed 5×8 micro-kernel (M ≥ 4), the small-M path
//   (M < 4) and attention's q·k dot products.
// The numerical checks of every op on both builds are the shared kernel tables (wasm and
// wasm-plain in harness.ts).
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWasmBackend } from '../../src/kernels/wasm/create.js';
import { relaxedSimdSupported } from '../../src/kernels/wasm/module.js';
import { wasmCapabilities } from '../../src/kernels/choose.js';

const E = 2 ** -12;
// x64 without FMA3 may lower relaxed_madd to mul + add (the spec allows either); every x64 CPU
// since 2013 and every arm64 has it.
const hwFma = process.arch === 'arm64' || (process.arch === 'x64' && /\bfma\b/.test(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : 'fma'));

/** out = a @ b for M rows that all hold [1, 1+2⁻¹²] against columns [−(1+2⁻¹¹), 1+2⁻¹²] */
async function fusedProbe(fma: boolean, M: number): Promise<number[]> {
  const be = await createWasmBackend({ threads: 1, fma });
  try {
    const N = 9, K = 2;
    const a = new Float32Array(M * K), b = new Float32Array(K * N);
    for (let r = 0; r < M; r++) { a[r * K] = 1; a[r * K + 1] = 1 + E; }
    for (let c = 0; c < N; c++) { b[c] = -(1 + 2 * E); b[N + c] = 1 + E; }
    const out = be.tensor([M, N]);
    be.fill(out, NaN);
    be.matmul(out, be.fromArray(a, [M, K]), be.fromArray(b, [K, N]), { m: M, n: N, k: K });
    return Array.from(await be.read(out));
  } finally { be.destroy(); }
}

test('relaxed SIMD is available on this Node and the default wasm backend uses the fused build', async () => {
  assert.ok(await relaxedSimdSupported(), `relaxed SIMD should validate on Node ${process.versions.node}`);
  const be = await createWasmBackend({ threads: 1 });
  try { assert.is(be.fma, true); } finally { be.destroy(); }
  const plain = await createWasmBackend({ threads: 1, fma: false });
  try { assert.is(plain.fma, false); } finally { plain.destroy(); }
  assert.is((await wasmCapabilities()).fma, true);
  assert.is((await wasmCapabilities({ fma: false })).fma, false);
});

test('SPPO_WASM_FMA=0 selects the plain build, =1 the fused one, anything else is an error', async () => {
  const old = process.env.SPPO_WASM_FMA;
  try {
    process.env.SPPO_WASM_FMA = '0';
    let be = await createWasmBackend({ threads: 1 });
    assert.is(be.fma, false); be.destroy();
    process.env.SPPO_WASM_FMA = '1';
    be = await createWasmBackend({ threads: 1 });
    assert.is(be.fma, true); be.destroy();
    process.env.SPPO_WASM_FMA = 'yes';
    const e = await createWasmBackend({ threads: 1 }).then(() => null, (err: Error) => err);
    assert.ok(e && /SPPO_WASM_FMA="yes": use 0 \(plain build\), 1/.test(e.message), `bad SPPO_WASM_FMA: ${e?.message}`);
  } finally {
    if (old === undefined) delete process.env.SPPO_WASM_FMA; else process.env.SPPO_WASM_FMA = old;
  }
});

for (const M of [7, 2]) {
  test(`matmul M=${M}: the fused build keeps the 2⁻²⁴ that mul-then-add rounds away`, async () => {
    const plain = await fusedProbe(false, M);
    assert.ok(plain.every((v) => v === 0), `plain build: expected exact 0, got ${plain.slice(0, 9)}`);
    const fused = await fusedProbe(true, M);
    if (hwFma) assert.ok(fused.every((v) => v === 2 ** -24), `fused build: expected 2^-24 everywhere, got ${fused.slice(0, 9)}`);
    else assert.ok(fused.every((v) => v === 0 || v === 2 ** -24), `fused build: got ${fused.slice(0, 9)}`);
  });
}

test('attention scores use the fused dot product too (same probe through q·k)', async () => {
  // one head, D = 2, two keys: the query at position 1 scores key 0 with
  // q·k0 = 1·(−(1+2⁻¹¹)) + (1+2⁻¹²)² (0 unfused, 2⁻²⁴ fused), times scale = 2²⁰, and key 1 with 0.
  // Softmax over the two with v0 = [1, 0], v1 = [0, 1]: out[0] = σ(s0), ½ exactly iff s0 = 0,
  // σ(1/16) ≈ 0.5156 when fused.
  const run = async (fma: boolean) => {
    const be = await createWasmBackend({ threads: 1, fma });
    try {
      const T = 2, D = 2;
      // query at position 1 attends to keys 0 and 1 (causal)
      const q = new Float32Array([0, 0, 1, 1 + E]);
      const k = new Float32Array([-(1 + 2 * E), 1 + E, 0, 0]);
      const v = new Float32Array([1, 0, 0, 1]);
      const shape = [1, T, 1, D];
      const out = be.tensor(shape), lse = be.tensor([1, 1, T]);
      be.fill(out, NaN);
      be.attention(out, lse, be.fromArray(q, shape), be.fromArray(k, shape), be.fromArray(v, shape), { batch: 1, seq: T, heads: 1, kvHeads: 1, headDim: D, scale: 2 ** 20 });
      return Array.from(await be.read(out)).slice(2);
    } finally { be.destroy(); }
  };
  const plain = await run(false);
  assert.is(plain[0], 0.5, `plain: ${plain}`);
  const fused = await run(true);
  if (hwFma) assert.ok(Math.abs(fused[0] - 1 / (1 + Math.exp(-1 / 16))) < 1e-6, `fused: ${fused} (expected σ(1/16))`);
});

test.run();
