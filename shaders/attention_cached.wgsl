// Inference attention over a KV cache (decode steps and chunked prefill). No backward.
//   q, out: (B, Tq, Hq, D)  — queries of cache slots [start, start+Tq)
//   kc, vc: (B, S, Hkv, D)  — cached keys/values; slot j valid when j ≤ start+i and mask[b,j]=1
//   mask:   (B, S) i32 (all ones when the op has no keyMask)
//   P.window > 0: only slots with start+i − j < window; P.cap > 0: scores soft-capped,
//   s → cap·tanh(s/cap), as in training (attention_fwd.wgsl)
// One thread per (b, h, i) query row, online softmax over the slots, the output row kept in
// registers (D ≤ MAXD, a define). No workgroup memory or barriers: decode is tiny and
// latency-bound, and this form runs well on SwiftShader and GPUs alike.
// Grid: ceil(B·Hq·Tq / 64) workgroups of 64 (1-D, x).
struct Params { B: u32, Tq: u32, S: u32, start: u32, H: u32, KH: u32, D: u32, scale: f32, window: u32, cap: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> kc: array<f32>;
@group(0) @binding(4) var<storage, read> vc: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<i32>;

// Sliding window and soft cap (Gemma-2), P.window = 0 / P.cap = 0 when unused:
// key j (≤ t) is attended by query t only when t − j < window; a score s becomes
// cap·tanh(s/cap). tanh comes from exp(−2|x|) (the builtin's sinh/cosh form can overflow to NaN),
// from its Taylor series below |x| = 1/4.
fn tanh_safe(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.25) {   // odd Taylor series: (1 − e)/(1 + e) would cancel for small |x|
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
  }
  let e = exp(-2.0 * a);
  return sign(x) * (1.0 - e) / (1.0 + e);
}
// the first key query t may attend
fn first_key(t: u32) -> u32 { return select(0u, t + 1u - P.window, P.window > 0u && t + 1u > P.window); }
fn in_window(t: u32, j: u32) -> bool { return P.window == 0u || t - j < P.window; }

@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= P.B * P.H * P.Tq) { return; }
  let i = row % P.Tq;
  let h = (row / P.Tq) % P.H;
  let b = row / (P.Tq * P.H);
  let kh = h / (P.H / P.KH);
  let D = P.D;
  let qbase = ((b * P.Tq + i) * P.H + h) * D;
  var acc: array<f32, MAXD>;
  for (var d = 0u; d < D; d++) { acc[d] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  let last = min(P.start + i, P.S - 1u);
  for (var j = first_key(P.start + i); j <= last; j++) {
    if (mask[b * P.S + j] == 0) { continue; }
    let kbase = ((b * P.S + j) * P.KH + kh) * D;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s += q[qbase + d] * kc[kbase + d]; }
    s *= P.scale;
    if (P.cap > 0.0) { s = P.cap * tanh_safe(s / P.cap); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * corr + p;
    for (var d = 0u; d < D; d++) { acc[d] = acc[d] * corr + p * vc[kbase + d]; }
    m = mNew;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < D; d++) { out[qbase + d] = acc[d] * inv; }
}
