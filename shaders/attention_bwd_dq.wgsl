// Causal grouped-query attention backward, pass 2 of 3: dq (written, not accumulated).
//   q, dout, dq: (B, T, Hq, D);  k, v: (B, T, Hkv, D);  mask: (B, T) i32 (bound but ignored
//   when P.use_mask = 0);  stats: (B, Hq, T, 2) = (lse, Δ) from attention_bwd_stats.
//   For query row i and each attended key j (j ≤ i, mask 1), recomputed from the saved lse:
//     P_ij = exp(scale · q_i·k_j − lse_i),  dP_ij = dout_i·v_j,  dS_ij = P_ij (dP_ij − Δ_i)
//     dq_i = scale · Σ_j dS_ij k_j
//   Sliding window (P.window > 0): only keys with i − j < window. Soft cap (P.cap > 0): the
//   score is s' = cap·tanh(s/cap), P_ij = exp(s' − lse_i) and dS_ij is multiplied by
//   ds'/ds = 1 − tanh².
//   A row with no attended key gets dq = 0.
// Defines: D (head dim), WG (query rows per workgroup), TILE (key rows per workgroup-memory
// tile; 1 for bwd_dq_rows).
// Grid: (ceil(T / WG), Hq, B); thread lid.x owns query row x·WG + lid.x of head y, batch z.
// Variants:
//   bwd_dq_rows   registers only, no barriers (SwiftShader);
//   bwd_dq_tiled  K/V tiles in workgroup memory shared by the block's WG query rows (GPUs):
//                 (2·TILE·D + TILE)·4 bytes of workgroup storage.
struct Params { T: u32, H: u32, KH: u32, use_mask: u32, scale: f32, window: u32, cap: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> dq: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read> mask: array<i32>;

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

var<workgroup> ks: array<f32, TILE * D>;
var<workgroup> vs: array<f32, TILE * D>;
var<workgroup> ms: array<i32, TILE>;

@compute @workgroup_size(WG) fn bwd_dq_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = wg.x * WG + lid.x;
  let h = wg.y;
  let b = wg.z;
  if (i >= P.T) { return; }
  let kh = h / (P.H / P.KH);
  let qb = ((b * P.T + i) * P.H + h) * D;
  let si = 2u * ((b * P.H + h) * P.T + i);
  let lse_i = stats[si];
  let delta = stats[si + 1u];
  var qr: array<f32, D>;
  var gr: array<f32, D>;
  var acc: array<f32, D>;
  for (var d = 0u; d < D; d++) { qr[d] = q[qb + d] * P.scale; gr[d] = dout[qb + d]; acc[d] = 0.0; }
  for (var j = first_key(i); j <= i; j++) {
    if (P.use_mask == 1u && mask[b * P.T + j] == 0) { continue; }
    let kb = ((b * P.T + j) * P.KH + kh) * D;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d++) { s += qr[d] * k[kb + d]; dp += gr[d] * v[kb + d]; }
    var g = 1.0;
    if (P.cap > 0.0) { let th = tanh_safe(s / P.cap); s = P.cap * th; g = 1.0 - th * th; }
    let ds = exp(s - lse_i) * (dp - delta) * g;
    for (var d = 0u; d < D; d++) { acc[d] += ds * k[kb + d]; }
  }
  for (var d = 0u; d < D; d++) { dq[qb + d] = acc[d] * P.scale; }
}

@compute @workgroup_size(WG) fn bwd_dq_tiled(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i0 = wg.x * WG;
  let i = i0 + lid.x;
  let h = wg.y;
  let b = wg.z;
  let live = i < P.T;
  let kh = h / (P.H / P.KH);
  let qb = ((b * P.T + i) * P.H + h) * D;
  var lse_i = 0.0;
  var delta = 0.0;
  var qr: array<f32, D>;
  var gr: array<f32, D>;
  var acc: array<f32, D>;
  if (live) {
    let si = 2u * ((b * P.H + h) * P.T + i);
    lse_i = stats[si];
    delta = stats[si + 1u];
    for (var d = 0u; d < D; d++) { qr[d] = q[qb + d] * P.scale; gr[d] = dout[qb + d]; acc[d] = 0.0; }
  }
  let kend = min(P.T, i0 + WG);
  for (var j0 = 0u; j0 < kend; j0 += TILE) {
    for (var e = lid.x; e < TILE * D; e += WG) {
      let r = e / D;
      let j = j0 + r;
      if (j < P.T) {
        let g = ((b * P.T + j) * P.KH + kh) * D + (e - r * D);
        ks[e] = k[g];
        vs[e] = v[g];
      }
    }
    for (var r = lid.x; r < TILE; r += WG) {
      let j = j0 + r;
      var valid = 0;
      if (j < P.T) { valid = 1; if (P.use_mask == 1u) { valid = mask[b * P.T + j]; } }
      ms[r] = valid;
    }
    workgroupBarrier();
    if (live && i >= j0) {
      let rn = min(TILE, i - j0 + 1u);
      for (var r = 0u; r < rn; r++) {
        if (ms[r] == 0 || !in_window(i, j0 + r)) { continue; }
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) { s += qr[d] * ks[r * D + d]; dp += gr[d] * vs[r * D + d]; }
        var g = 1.0;
        if (P.cap > 0.0) { let th = tanh_safe(s / P.cap); s = P.cap * th; g = 1.0 - th * th; }
        let ds = exp(s - lse_i) * (dp - delta) * g;
        for (var d = 0u; d < D; d++) { acc[d] += ds * ks[r * D + d]; }
      }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var d = 0u; d < D; d++) { dq[qb + d] = acc[d] * P.scale; }
  }
}
