// copy() between 16-bit tensors (the fused LM head slices vocabulary chunks out of a bf16/f16
// tied embedding): a bit copy on every backend, checked against the source's values; WebGPU packs
// two elements per word, so its ranges must start and end on even elements.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toHalfBits, fromHalfBits } from '../../src/kernels/half.js';
import { backendNames, getBackend, Rng, SEED } from './harness.js';

for (const name of backendNames()) {
  const s = suite(`copy 16-bit [${name}]`);
  for (const dtype of ['bf16', 'f16'] as const) {
    s(`${dtype}: whole tensors and even-aligned ranges, bit for bit`, async () => {
      const be = await getBackend(name);
      const rng = new Rng(SEED ^ 0x16c);
      for (const [rows, cols, r0, nr] of [[17, 6, 4, 9], [65, 10, 0, 65], [3, 63 * 2, 1, 1], [1, 3, 0, 1]]) {
        const vals = Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.3);
        const bits = toHalfBits(vals, dtype);
        const src = be.fromArray(bits, [rows, cols], dtype);
        const dst = be.fromArray(toHalfBits(new Float32Array(nr * cols).fill(NaN), dtype), [nr, cols], dtype);
        be.copy(dst, src, { srcOffset: r0 * cols, count: nr * cols });
        const got = (await be.read(dst)) as Float32Array;
        const want = fromHalfBits(bits.subarray(r0 * cols, (r0 + nr) * cols), dtype);
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) throw new Error(`${rows}×${cols} rows ${r0}+${nr}: element ${i} is ${got[i]}, want ${want[i]} (seed ${SEED})`);
        be.dispose(src); be.dispose(dst);
      }
    });
  }
  s('mismatched dtypes and (WebGPU) odd ranges are clear errors', async () => {
    const be = await getBackend(name);
    const a = be.tensor([8], 'bf16'), b = be.tensor([8], 'f16'), c = be.tensor([8], 'bf16');
    assert.throws(() => be.copy(b, a), /copy: bf16 into f16: .*dtypes differ/);
    if (name === 'webgpu') assert.throws(() => be.copy(c, a, { srcOffset: 1, count: 2 }), /offsets \(1, 0\) and count \(2\) must be even/);
    else be.copy(c, a, { srcOffset: 1, count: 3 });
    for (const t of [a, b, c]) be.dispose(t);
  });
  s.run();
}
