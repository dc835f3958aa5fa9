// Causal grouped-query attention backward, pass 3 of 3: dk and dv (written, not accumulated).
//   q, dout: (B, T, Hq, D);  k, v, dk, dv: (B, T, Hkv, D);  mask: (B, T) i32 (bound but
//   ignored when P.use_mask = 0);  stats: (B, Hq, T, 2) = (lse, Δ) from attention_bwd_stats.
//   For key j of kv head g and every query row i ≥ j of the G = Hq/Hkv query heads h that
//   read it (when mask_j = 1; a padding key gets dk = dv = 0):
//     P_ij = exp(scale · q_i·k_j − lse_i),  dP_ij = dout_i·v_j,  dS_ij = P_ij (dP_ij − Δ_i)
//     dv_j = Σ_h Σ_i P_ij dout_i,   dk_j = scale · Σ_h Σ_i dS_ij q_i
//   Sliding window (P.window > 0): only queries with i − j < window. Soft cap (P.cap > 0):
//   s' = cap·tanh(s/cap) gives P, and dS is multiplied by 1 − tanh².
//   One thread owns one key row and sums over heads and queries in a fixed order: the GQA
//   sum is deterministic, with no atomics.
// Defines: D (head dim), WG (key rows per workgroup), TILE (query rows per workgroup-memory
// tile; 1 for bwd_dkv_rows).
// Grid: (ceil(T / WG), Hkv, B); thread lid.x owns key row x·WG + lid.x of kv head y, batch z.
// Variants:
//   bwd_dkv_rows   registers only, no barriers (SwiftShader);
//   bwd_dkv_tiled  q/dout/stats tiles of TILE query rows in workgroup memory, shared by the
//                  block's WG key rows (GPUs): (2·TILE·D + 2·TILE)·4 bytes.
struct Params { T: u32, H: u32, KH: u32, use_mask: u32, scale: f32, window: u32, cap: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> dout: array<f32>;
@group(0) @binding(7) var<storage, read> stats: array<f32>;
@group(0) @binding(8) var<storage, read> mask: array<i32>;

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

var<workgroup> qs: array<f32, TILE * D>;
var<workgroup> gs: array<f32, TILE * D>;
var<workgroup> ss: array<f32, TILE * 2>;

fn key_valid(b: u32, j: u32) -> bool {
  return P.use_mask == 0u || mask[b * P.T + j] != 0;
}

@compute @workgroup_size(WG) fn bwd_dkv_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wg.x * WG + lid.x;
  let kh = wg.y;
  let b = wg.z;
  if (j >= P.T) { return; }
  let G = P.H / P.KH;
  let kb = ((b * P.T + j) * P.KH + kh) * D;
  var kr: array<f32, D>;
  var vr: array<f32, D>;
  var dka: array<f32, D>;
  var dva: array<f32, D>;
  for (var d = 0u; d < D; d++) { kr[d] = k[kb + d] * P.scale; vr[d] = v[kb + d]; dka[d] = 0.0; dva[d] = 0.0; }
  if (key_valid(b, j)) {
    for (var g = 0u; g < G; g++) {
      let h = kh * G + g;
      let iend = select(P.T, min(P.T, j + P.window), P.window > 0u);
      for (var i = j; i < iend; i++) {
        let qb = ((b * P.T + i) * P.H + h) * D;
        let si = 2u * ((b * P.H + h) * P.T + i);
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) { s += q[qb + d] * kr[d]; dp += dout[qb + d] * vr[d]; }
        var g = 1.0;
        if (P.cap > 0.0) { let th = tanh_safe(s / P.cap); s = P.cap * th; g = 1.0 - th * th; }
        let p = exp(s - stats[si]);
        let ds = p * (dp - stats[si + 1u]) * g;
        for (var d = 0u; d < D; d++) { dva[d] += p * dout[qb + d]; dka[d] += ds * q[qb + d]; }
      }
    }
  }
  for (var d = 0u; d < D; d++) { dk[kb + d] = dka[d] * P.scale; dv[kb + d] = dva[d]; }
}

@compute @workgroup_size(WG) fn bwd_dkv_tiled(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j0 = wg.x * WG;
  let j = j0 + lid.x;
  let kh = wg.y;
  let b = wg.z;
  let G = P.H / P.KH;
  let kb = ((b * P.T + j) * P.KH + kh) * D;
  var live = false;
  var kr: array<f32, D>;
  var vr: array<f32, D>;
  var dka: array<f32, D>;
  var dva: array<f32, D>;
  if (j < P.T) {
    live = key_valid(b, j);
    for (var d = 0u; d < D; d++) { kr[d] = k[kb + d] * P.scale; vr[d] = v[kb + d]; dka[d] = 0.0; dva[d] = 0.0; }
  }
  for (var g = 0u; g < G; g++) {
    let h = kh * G + g;
    for (var i0 = j0; i0 < P.T; i0 += TILE) {   // queries before the block never see its keys
      for (var e = lid.x; e < TILE * D; e += WG) {
        let r = e / D;
        let i = i0 + r;
        if (i < P.T) {
          let gi = ((b * P.T + i) * P.H + h) * D + (e - r * D);
          qs[e] = q[gi];
          gs[e] = dout[gi];
        }
      }
      for (var r = lid.x; r < TILE; r += WG) {
        let i = i0 + r;
        if (i < P.T) {
          let si = 2u * ((b * P.H + h) * P.T + i);
          ss[2u * r] = stats[si];
          ss[2u * r + 1u] = stats[si + 1u];
        }
      }
      workgroupBarrier();
      if (live) {
        let rn = min(TILE, P.T - i0);
        for (var r = select(0u, j - i0, j > i0); r < rn; r++) {
          if (!in_window(i0 + r, j)) { continue; }
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < D; d++) { s += qs[r * D + d] * kr[d]; dp += gs[r * D + d] * vr[d]; }
          var g = 1.0;
          if (P.cap > 0.0) { let th = tanh_safe(s / P.cap); s = P.cap * th; g = 1.0 - th * th; }
          let p = exp(s - ss[2u * r]);
          let ds = p * (dp - ss[2u * r + 1u]) * g;
          for (var d = 0u; d < D; d++) { dva[d] += p * gs[r * D + d]; dka[d] += ds * qs[r * D + d]; }
        }
      }
      workgroupBarrier();
    }
  }
  if (j < P.T) {
    for (var d = 0u; d < D; d++) { dk[kb + d] = dka[d] * P.scale; dv[kb + d] = dva[d]; }
  }
}
