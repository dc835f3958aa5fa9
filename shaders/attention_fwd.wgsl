// Causal grouped-query attention, forward (flash-attention formulation: online softmax, the
// T×T score matrix never stored).
//   q, out: (B, T, Hq, D) row-major;  k, v: (B, T, Hkv, D);  query head h reads kv head
//   h / (Hq/Hkv);  mask: (B, T) i32, key j of batch b is attended only when mask = 1 (the
//   buffer is still bound, and ignored, when P.use_mask = 0);  lse: (B, Hq, T).
//   out[b,t,h] = Σ_j p_j v_j over keys j ≤ t with mask 1, p = softmax_j(scale · q·k_j);
//   lse[b,h,t] = log Σ_j exp(scale · q·k_j) (natural log, in scaled-score units).
//   P.window > 0: only keys with t − j < window (sliding window); P.cap > 0: the scores are
//   soft-capped, s → cap·tanh(s/cap), before the softmax (and in lse).
//   A query with no key to attend to (left padding) gets out = 0 and lse = 0 by definition
//   (finite, so nothing downstream meets inf; the backward pass never reads it, because
//   such a row has p = 0 for every key).
// Defines: D (head dim, loops of constant length), WG (threads = query rows per
// workgroup), TILE (key rows per workgroup-memory tile; fwd_tiled only, 1 for fwd_rows).
// Grid: (ceil(T / WG), Hq, B); thread lid.x of workgroup (x, h, b) owns query row
// t = x·WG + lid.x and keeps its q row, output row and softmax state in registers.
// Variants:
//   fwd_rows   no workgroup memory, no barriers: each thread streams k/v rows from storage
//              (fast on SwiftShader, where barriers cost more than loads).
//   fwd_tiled  K/V tiles of TILE rows staged in workgroup memory, shared by the WG query
//              rows of a block (GPUs); TILE is chosen by the host to fit the adapter's
//              maxComputeWorkgroupStorageSize: (2·TILE·D + TILE)·4 bytes.
struct Params { T: u32, H: u32, KH: u32, use_mask: u32, scale: f32, window: u32, cap: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> mask: array<i32>;

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

// out and lse for row (b, t, h) from the final softmax state
fn finish(b: u32, t: u32, h: u32, m: f32, l: f32, o: ptr<function, array<f32, D>>) {
  let ob = ((b * P.T + t) * P.H + h) * D;
  let li = (b * P.H + h) * P.T + t;
  if (l == 0.0) {
    for (var d = 0u; d < D; d++) { out[ob + d] = 0.0; }
    lse[li] = 0.0;
    return;
  }
  let inv = 1.0 / l;
  for (var d = 0u; d < D; d++) { out[ob + d] = (*o)[d] * inv; }
  lse[li] = m + log(l);
}

@compute @workgroup_size(WG) fn fwd_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = wg.x * WG + lid.x;
  let h = wg.y;
  let b = wg.z;
  if (t >= P.T) { return; }
  let kh = h / (P.H / P.KH);
  let qb = ((b * P.T + t) * P.H + h) * D;
  var qr: array<f32, D>;
  var o: array<f32, D>;
  for (var d = 0u; d < D; d++) { qr[d] = q[qb + d] * P.scale; o[d] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = first_key(t); j <= t; j++) {
    if (P.use_mask == 1u && mask[b * P.T + j] == 0) { continue; }
    let kb = ((b * P.T + j) * P.KH + kh) * D;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s += qr[d] * k[kb + d]; }
    if (P.cap > 0.0) { s = P.cap * tanh_safe(s / P.cap); }
    if (s > m) {                      // new running max: rescale what was summed so far
      let c = exp(m - s);
      l *= c;
      for (var d = 0u; d < D; d++) { o[d] *= c; }
      m = s;
    }
    let p = exp(s - m);
    l += p;
    for (var d = 0u; d < D; d++) { o[d] += p * v[kb + d]; }
  }
  finish(b, t, h, m, l, &o);
}

@compute @workgroup_size(WG) fn fwd_tiled(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t0 = wg.x * WG;
  let t = t0 + lid.x;
  let h = wg.y;
  let b = wg.z;
  let live = t < P.T;
  let kh = h / (P.H / P.KH);
  var qr: array<f32, D>;
  var o: array<f32, D>;
  if (live) {
    let qb = ((b * P.T + t) * P.H + h) * D;
    for (var d = 0u; d < D; d++) { qr[d] = q[qb + d] * P.scale; o[d] = 0.0; }
  }
  var m = -3.0e38;
  var l = 0.0;
  let kend = min(P.T, t0 + WG);       // keys past the block's last query are never needed
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
    if (live && t >= j0) {
      let rn = min(TILE, t - j0 + 1u);
      for (var r = 0u; r < rn; r++) {
        if (ms[r] == 0 || !in_window(t, j0 + r)) { continue; }
        var s = 0.0;
        for (var d = 0u; d < D; d++) { s += qr[d] * ks[r * D + d]; }
        if (P.cap > 0.0) { s = P.cap * tanh_safe(s / P.cap); }
        if (s > m) {
          let c = exp(m - s);
          l *= c;
          for (var d = 0u; d < D; d++) { o[d] *= c; }
          m = s;
        }
        let p = exp(s - m);
        l += p;
        for (var d = 0u; d < D; d++) { o[d] += p * vs[r * D + d]; }
      }
    }
    workgroupBarrier();
  }
  if (live) { finish(b, t, h, m, l, &o); }
}
