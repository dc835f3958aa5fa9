// 16-bit floats (src/kernels/half.ts): the host conversions against an independent reference
// (the nearest representable value found by search over the 16-bit values, ties to even), the
// exhaustive up-and-down round trip of all 65536 patterns (NaN stays NaN), and half tensors on
// every backend: fromArray/write/read of bits and of values, ranges, the WebGPU pair rule, and
// the allocation taking 2 bytes per element.
import { test } from 'uvu';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits, fromHalfBits, roundToHalf, toHalfBits, type HalfDType } from '../../src/kernels/half.js';
import { expectEqual, Rng, runCases, SEED, type KernelCase } from './harness.js';

const decode = (h: number, dt: HalfDType) => (dt === 'bf16' ? bf16BitsToFloat(h) : f16BitsToFloat(h));
/** the magnitude a pattern stands for when rounding: +Inf counts as the next power of two */
function magnitude(h: number, dt: HalfDType): number {
  const inf = dt === 'bf16' ? 0x7f80 : 0x7c00;
  return (h & 0x7fff) === inf ? (dt === 'bf16' ? 2 ** 128 : 2 ** 16) : Math.abs(decode(h, dt));
}
/** independent reference: binary search over the ordered positive patterns [0, inf], nearest, ties to even */
function nearest(x: number, dt: HalfDType): number {
  if (Number.isNaN(x)) return -1; // any NaN
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const ax = Math.abs(x), inf = dt === 'bf16' ? 0x7f80 : 0x7c00;
  if (ax >= magnitude(inf, dt)) return sign | inf;
  let lo = 0, hi = inf; // magnitude(lo) ≤ ax < magnitude(hi)
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (magnitude(mid, dt) <= ax) lo = mid; else hi = mid; }
  const dl = ax - magnitude(lo, dt), dh = magnitude(hi, dt) - ax;
  return sign | (dl < dh ? lo : dh < dl ? hi : (lo & 1 ? hi : lo));
}

function samples(rng: Rng, dt: HalfDType): Float32Array {
  const xs: number[] = [0, -0, Infinity, -Infinity, NaN, 1, -1, 65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -149, 3.4e38, -3.4e38, 1e-40];
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let i = 0; i < 4000; i++) {
    // random f32 bit patterns (every exponent), and exact ties: a 16-bit value plus half a step
    u[0] = (rng.next() * 2 ** 32) >>> 0; xs.push(f[0]);
    const h = rng.int(0, 0x10000);
    const step = dt === 'bf16' ? 1 << 15 : 0;
    if (dt === 'bf16') { u[0] = ((h << 16) | step) >>> 0; xs.push(f[0]); } else xs.push((f16BitsToFloat(h) + f16BitsToFloat(h ^ 1)) / 2);
    xs.push(rng.normal() * 10 ** rng.int(-8, 6));
  }
  return Float32Array.from(xs);
}

for (const dt of ['bf16', 'f16'] as const) {
  test(`${dt}: f32 → 16 bits rounds to nearest even (vs a search over all values)`, () => {
    const xs = samples(new Rng(SEED), dt);
    const got = toHalfBits(xs, dt);
    const scalar = dt === 'bf16' ? floatToBf16Bits : floatToF16Bits;
    for (let i = 0; i < xs.length; i++) {
      const want = nearest(xs[i], dt), x = xs[i];
      if (want < 0) {
        if (!Number.isNaN(decode(got[i], dt))) throw new Error(`${dt}: NaN became 0x${got[i].toString(16)} (seed ${SEED})`);
      } else if (got[i] !== want) throw new Error(`${dt}: ${x} → 0x${got[i].toString(16)}, expected 0x${want.toString(16)} (seed ${SEED})`);
      if (scalar(x) !== got[i]) throw new Error(`${dt}: scalar and array conversion disagree on ${x}`);
    }
  });
  test(`${dt}: all 65536 patterns go up to f32 and back unchanged (NaN stays NaN)`, () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const up = fromHalfBits(bits, dt), back = toHalfBits(up, dt);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(up[h])) { if (!Number.isNaN(decode(back[h], dt))) throw new Error(`${dt} NaN 0x${h.toString(16)} lost`); continue; }
      if (back[h] !== h) throw new Error(`${dt} 0x${h.toString(16)} → ${up[h]} → 0x${back[h].toString(16)}`);
      if (!Object.is(up[h], decode(h, dt))) throw new Error(`${dt} 0x${h.toString(16)}: array and scalar decode differ`);
    }
    // subnormals: the smallest and largest of each
    if (dt === 'f16' && (up[1] !== 2 ** -24 || up[0x3ff] !== 1023 * 2 ** -24 || up[0x8001] !== -(2 ** -24))) throw new Error('f16 subnormals decode wrong');
    if (dt === 'bf16' && (up[1] !== 2 ** -133 || up[0x7f80] !== Infinity || up[0xff80] !== -Infinity)) throw new Error('bf16 subnormal/Inf decode wrong');
  });
}
test.run();

// ---- half tensors on every backend ---------------------------------------------------------
const deviceCases: KernelCase[] = (['bf16', 'f16'] as const).flatMap((dt): KernelCase[] => [{
  name: `${dt} tensors: fromArray bits / values, write ranges, read ranges`,
  async run({ be, rng }) {
    for (const n of [1, 2, 3, 17, 64, 65]) {
      const x = rng.f32(n, { std: 3 });
      const bits = toHalfBits(x, dt);
      const a = be.fromArray(bits, [n], dt), b = be.fromArray(x, [n], dt);
      try {
        if (a.dtype !== dt || b.dtype !== dt) throw new Error('dtype not kept');
        const want = roundToHalf(x, dt);
        expectEqual(await be.read(a), want, `${dt} from bits n=${n}`);
        expectEqual(await be.read(b), want, `${dt} from values (rounded) n=${n}`);
        // a write at an even offset reaching the end, and a ranged read
        if (n >= 3) {
          const y = rng.f32(n - 2);
          be.write(a, y, 2);
          const w2 = Float32Array.from(want); w2.set(roundToHalf(y, dt), 2);
          expectEqual(await be.read(a), w2, `${dt} write at 2, n=${n}`);
          expectEqual(await be.read(a, 1, n - 2), w2.subarray(1, n - 1), `${dt} read [1, ${n - 1})`);
        }
      } finally { be.dispose(a); be.dispose(b); }
    }
  },
}, {
  name: `${dt} tensors: a half write at an odd offset works on wasm and is one clear error on WebGPU`,
  async run({ be, rng }) {
    const t = be.fromArray(new Float32Array(8), [8], dt);
    try {
      const y = rng.f32(3);
      try { be.write(t, y, 1); } catch (e) {
        if (be.name === 'webgpu' && /even offset/.test((e as Error).message)) return;
        throw e;
      }
      if (be.name === 'webgpu') throw new Error('WebGPU accepted an odd half write');
      const want = new Float32Array(8); want.set(roundToHalf(y, dt), 1);
      expectEqual(await be.read(t), want, 'odd write');
    } finally { be.dispose(t); }
  },
}, {
  name: `${dt} tensors take 2 bytes per element (memoryStats)`,
  async run({ be }) {
    const n = 1 << 16;
    const s0 = be.memoryStats().bytesInUse;
    const h = be.tensor([n], dt);
    const s1 = be.memoryStats().bytesInUse;
    const f = be.tensor([n], 'f32');
    const s2 = be.memoryStats().bytesInUse;
    be.dispose(h); be.dispose(f);
    if (s1 - s0 !== 2 * n || s2 - s1 !== 4 * n) throw new Error(`bytes: ${dt} tensor ${s1 - s0}, f32 ${s2 - s1} (expected ${2 * n}, ${4 * n})`);
  },
}]).concat([{
  name: 'a Uint16Array needs a half dtype; a half tensor refuses an Int32Array',
  async run({ be }) {
    const bad: [string, () => unknown][] = [
      ['Uint16Array as f32', () => be.fromArray(new Uint16Array(4), [4], 'f32')],
      ['Int32Array into bf16', () => { const t = be.tensor([4], 'bf16'); try { be.write(t, new Int32Array(4)); } finally { be.dispose(t); } }],
    ];
    for (const [what, f] of bad) {
      let ok = false;
      try { f(); } catch (e) { ok = (e as Error).name === 'ShapeError'; }
      if (!ok) throw new Error(`${what}: no ShapeError`);
    }
  },
}]);
runCases('half tensors', deviceCases);
