// Rotary position embedding (RoPE), forward and backward (inverse = rotation by -angle).
//   x, out: (B, T, H, D) row-major f32; positions: (B*T) i32, one per token (so left padding
//   and KV-cache offsets work); inv_freq: (rd/2) f32, inv_freq[i] = f32(1 / f32(theta^f32(2i/rd)))
//   made on the host (src/kernels/webgpu/ops/rope.ts) exactly as Hugging Face makes it in f32.
// For token n = b*T + t and frequency i < rd/2, angle a = f32(positions[n] * inv_freq[i]): the
// f32 product rounded once, as PyTorch's `position_ids.float() * inv_freq` rounds it. The
// product is formed in integer arithmetic and rounded to nearest-even by hand, so no GPU
// compiler can fuse it into a later fma and change the angle (exact for |position| < 2^24).
// cos/sin come from our own range reduction (Cody-Waite, pi/2 in four parts, exact for
// |a| < 2^17 * pi/2) and Taylor polynomials on [-pi/4, pi/4]: WGSL's builtin sin/cos promise
// only 2^-11 absolute error on [-pi, pi] and nothing outside it.
//   pair (x1, x2) -> (x1*cos - x2*sin, x2*cos + x1*sin)   with sin negated when P.inverse = 1;
//   cos and sin multiplied by P.scale (LongRoPE's attention factor, 1 for plain rotary)
//   layout 0 ('half', HF rotate_half): pair (i, i + rd/2);  layout 1 ('interleaved'): (2i, 2i+1)
//   dims d >= rd (partial rotary) are copied unchanged.
// Grid: one thread per (row = token*H + head, slot s); S = D - rd/2 slots per row: slots
// s < rd/2 rotate pair s, slots s >= rd/2 copy element rd + (s - rd/2). Workgroups of WG
// threads, 1-D over rows*S folded into 2-D (index = gid.x + gid.y * num_workgroups.x * WG).
// Variants: none (memory-bound; the trigonometry is a few dozen ALU ops per pair).
const WG: u32 = 256u;

struct Params { n: u32, slots: u32, D: u32, half_rd: u32, H: u32, interleaved: u32, inverse: u32, scale: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> positions: array<i32>;
@group(0) @binding(4) var<storage, read> inv_freq: array<f32>;

// f32(pos * f), correctly rounded (round to nearest, ties to even), via a 55-bit integer product.
fn angle_of(pos: i32, f: f32) -> f32 {
  if (pos == 0) { return 0.0; }
  let p = bitcast<u32>(select(pos, -pos, pos < 0));
  let bits = bitcast<u32>(f);
  let m = (bits & 0x7fffffu) | 0x800000u;          // f = m * 2^e, m has 24 bits
  let e = i32((bits >> 23u) & 0xffu) - 150;
  let p0 = p & 0xffffu; let p1 = p >> 16u;
  let m0 = m & 0xffffu; let m1 = m >> 16u;
  let lo0 = p0 * m0;
  let mid = p1 * m0 + p0 * m1;                       // < 2^31 + 2^24: no overflow
  let lo = lo0 + (mid << 16u);
  let hi = p1 * m1 + (mid >> 16u) + select(0u, 1u, lo < lo0);
  var nbits: u32;
  if (hi != 0u) { nbits = 64u - countLeadingZeros(hi); } else { nbits = 32u - countLeadingZeros(lo); }
  var r: f32;
  if (nbits <= 24u) {
    r = ldexp(f32(lo), e);
  } else {
    let s = nbits - 24u;                             // 1 ..= 31
    var mant = (lo >> s) | (hi << (32u - s));
    let rem = lo & ((1u << s) - 1u);
    let halfway = 1u << (s - 1u);
    if (rem > halfway || (rem == halfway && (mant & 1u) == 1u)) { mant = mant + 1u; }
    r = ldexp(f32(mant), e + i32(s));
  }
  return select(r, -r, pos < 0);
}

// (sin a, cos a) with ~1 ulp error for |a| < 2^17 * pi/2.
fn sincos(a: f32) -> vec2f {
  let kf = round(a * 0.63661977236758134);
  let k = i32(kf);
  // pi/2 = C1 + C2 + C3 + C4, C1..C3 with 7 significant bits each: k*C1..k*C3 are exact and
  // every subtraction but the last is exact (Sterbenz), so r carries no cancellation error.
  var r = a - kf * 1.5625;
  r = r - kf * 0.0081787109375;
  r = r - kf * 0.00011730194091796875;
  r = r - kf * 3.1391647326017846e-7;
  let r2 = r * r;
  let s = r + r * r2 * (-0.16666666666666667 + r2 * (0.0083333333333333333 + r2 * (-0.00019841269841269841 + r2 * 2.7557319223985891e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (0.041666666666666667 + r2 * (-0.0013888888888888889 + r2 * (2.4801587301587302e-5 + r2 * -2.7557319223985891e-7))));
  switch (k & 3) {
    case 0: { return vec2f(s, c); }
    case 1: { return vec2f(c, -s); }
    case 2: { return vec2f(-s, -c); }
    default: { return vec2f(-c, s); }
  }
}

@compute @workgroup_size(WG) fn rope(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= P.n) { return; }
  let row = idx / P.slots;                           // token * H + head
  let s = idx - row * P.slots;
  let base = row * P.D;
  if (s >= P.half_rd) {                              // partial rotary: pass-through dims
    let d = base + P.half_rd + s;                    // rd + (s - rd/2)
    out[d] = x[d];
    return;
  }
  let token = row / P.H;
  var i1: u32; var i2: u32;
  if (P.interleaved == 0u) { i1 = base + s; i2 = base + s + P.half_rd; } else { i1 = base + 2u * s; i2 = i1 + 1u; }
  // cos and sin rounded to f32, then scaled (LongRoPE's attention factor; 1 otherwise)
  let sc = sincos(angle_of(positions[token], inv_freq[s])) * P.scale;
  let sn = select(sc.x, -sc.x, P.inverse == 1u);
  let x1 = x[i1]; let x2 = x[i2];
  out[i1] = x1 * sc.y - x2 * sn;
  out[i2] = x2 * sc.y + x1 * sn;
}
