// Rotary position embedding. x, out (B,T,H,D) row-major; positions (B·T) i32.
// For pair i < rd/2 (rd = rotaryDim ≤ D, even) the angle follows Hugging Face's f32 recipe:
//   inv_freq[i] = f32(1 / f32(theta^f32(2i/rd)))   (pow in f64)
//   angle       = f32(f32(pos) · inv_freq[i])
// then cos/sin of that angle in f64, rounded to f32, once per (b,t) row and shared by its H heads.
//   layout 0 'half' (HF rotate_half): pairs (i, i + rd/2);  layout 1 'interleaved': (2i, 2i+1)
//   (a, b) → (a·cos − b·sin, b·cos + a·sin); inverse = 1 rotates by −angle (the backward pass).
// LongRoPE: `factors` (0 = none) points at rd/2 f32 divisors: inv_freq[i] = f32(1 / f32(factors[i] ·
// f32(theta^e))); cos and sin are multiplied by `scale` in f32 (1 = plain rotary).
// Dims rd .. D−1 are copied. Task = `rows` (b,t) rows. Scratch per thread: 2·rd f32 slots
// (cos | sin, then the rd/2 inverse frequencies).
import { at, min32 } from './common';

export function rope_apply(task: i32, tid: i32, out: usize, x: usize, positions: usize, BT: i32, H: i32, D: i32,
  rd: i32, theta: f64, layout: i32, inverse: i32, rows: i32, scratch: usize, factors: usize, scale: f64): void {
  const half = rd >> 1;
  const cs = scratch + (<usize>tid * <usize>rd << 3);
  const sn = at(cs, half);
  const inv = at(cs, rd);
  for (let i = 0; i < half; i++) {
    const e = <f64><f32>(<f64>(2 * i) / <f64>rd);
    const pw = <f32>Math.pow(theta, e);
    // LongRoPE: inv_freq = 1 / (factor · theta^e), each step rounded to f32 as Hugging Face does
    const den = factors ? load<f32>(at(factors, i)) * pw : pw;
    store<f32>(at(inv, i), <f32>(1.0 / <f64>den));
  }
  const r1 = min32(BT, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const pos = <f32>load<i32>(at(positions, r));
    for (let i = 0; i < half; i++) {
      const ang = <f64>(pos * load<f32>(at(inv, i)));
      // cos and sin rounded to f32, then scaled in f32 (HF: emb.cos() * attention_factor)
      const c = <f32>Math.cos(ang) * <f32>scale, sv = <f32>Math.sin(ang) * <f32>scale;
      store<f32>(at(cs, i), c);
      store<f32>(at(sn, i), inverse ? -sv : sv);
    }
    for (let h = 0; h < H; h++) {
      const xr = at(x, (r * H + h) * D), orow = at(out, (r * H + h) * D);
      if (layout == 0) {
        let i = 0;
        for (; i + 4 <= half; i += 4) {
          const c = v128.load(at(cs, i)), s = v128.load(at(sn, i));
          const a = v128.load(at(xr, i)), b = v128.load(at(xr, i + half));
          v128.store(at(orow, i), f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
          v128.store(at(orow, i + half), f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
        }
        for (; i < half; i++) {
          const c = load<f32>(at(cs, i)), s = load<f32>(at(sn, i));
          const a = load<f32>(at(xr, i)), b = load<f32>(at(xr, i + half));
          store<f32>(at(orow, i), a * c - b * s);
          store<f32>(at(orow, i + half), b * c + a * s);
        }
      } else {
        for (let i = 0; i < half; i++) {
          const c = load<f32>(at(cs, i)), s = load<f32>(at(sn, i));
          const a = load<f32>(at(xr, 2 * i)), b = load<f32>(at(xr, 2 * i + 1));
          store<f32>(at(orow, 2 * i), a * c - b * s);
          store<f32>(at(orow, 2 * i + 1), b * c + a * s);
        }
      }
      for (let i = rd; i < D; i++) store<f32>(at(orow, i), load<f32>(at(xr, i)));
    }
  }
}
