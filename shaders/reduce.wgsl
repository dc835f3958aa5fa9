// Reductions (all f32, deterministic: a fixed summation order for given sizes, no atomics).
//
//   sum_squares_partial: x (n) → part (G) = per-workgroup Σ x², or, when FINAL == 1 (G == 1),
//                        out (1) = Σ x² (ACC == 1: out += Σ x²).
//                        Grid: G workgroups of WG threads (1-D); thread i reads x[i], x[i+G·WG], ...
//   sum_squares_final:   part (G) → out (1) = Σ part (ACC: +=). Grid: 1 workgroup.
//   col_sum_partial:     x (N,C) row-major → part (K,C): part[k,c] = Σ_{r in chunk k} x[r,c],
//                        chunk k = rows [k·RC, min(N,(k+1)·RC)); FINAL == 1 (K == 1): out (C)
//                        directly (ACC: +=). Grid: (ceil(C/WG), K); one thread per column.
//   col_sum_final:       part (K,C) → out (C) = Σ_k part[k,c] in k order (ACC: +=).
//                        Grid: ceil(C/WG) workgroups.
//   seq_sum:             x, mask (B,T) → out (B) = Σ_{t: mask≠0} x[b,t]·mask[b,t] (masked x never read into the sum).
//                        Grid: one workgroup per row b, folded 2-D (b = wid.x + wid.y·nwg.x).
//   seq_sum_backward:    dx (B,T) = dout[b]·mask[b,t]. Grid: 1-D over B·T, folded 2-D.
//
// Defines: WG (threads per workgroup, a multiple of 16), FINAL, ACC.
// Variants (src/kernels/webgpu/ops/variants.ts): sum_squares_* and seq_sum here are the
// 'workgroup' variant; reduce_serial.wgsl has the barrier-free 'serial' one for CPU
// emulations. col_sum_* and seq_sum_backward have no barriers and serve both.
// The workgroup sum (wg_sum) uses two barriers: every thread stores its partial, 16 threads
// each add WG/16 of them, then every thread adds the 16 — fewer barriers than a tree.

struct Params { n: u32, cols: u32, rows_per_chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> P: Params;

var<workgroup> red1: array<f32, WG>;
var<workgroup> red2: array<f32, 16>;

// Σ v over the workgroup, the same value returned to every thread. Call in uniform control flow.
fn wg_sum(lid: u32, v: f32) -> f32 {
  red1[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var s = 0.0;
    for (var k = 0u; k < WG / 16u; k++) { s += red1[lid * (WG / 16u) + k]; }
    red2[lid] = s;
  }
  workgroupBarrier();
  var t = 0.0;
  for (var k = 0u; k < 16u; k++) { t += red2[k]; }
  return t;
}

// ---- sum of squares -------------------------------------------------------------------------
@group(0) @binding(1) var<storage, read_write> ss_out: array<f32>;
@group(0) @binding(2) var<storage, read> ss_x: array<f32>;

@compute @workgroup_size(WG) fn sum_squares_partial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < P.n; i += stride) { let v = ss_x[i]; acc += v * v; }
  let s = wg_sum(lid, acc);
  if (lid == 0u) {
    if (FINAL == 1u) {
      if (ACC == 1u) { ss_out[0] = ss_out[0] + s; } else { ss_out[0] = s; }
    } else {
      ss_out[wid.x] = s;
    }
  }
}

@group(0) @binding(1) var<storage, read_write> sf_out: array<f32>;
@group(0) @binding(2) var<storage, read> sf_part: array<f32>;

@compute @workgroup_size(WG) fn sum_squares_final(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < P.n; i += WG) { acc += sf_part[i]; }
  let s = wg_sum(lid, acc);
  if (lid == 0u) {
    if (ACC == 1u) { sf_out[0] = sf_out[0] + s; } else { sf_out[0] = s; }
  }
}

// ---- column sums (sumRows) ------------------------------------------------------------------
@group(0) @binding(1) var<storage, read_write> cs_out: array<f32>;
@group(0) @binding(2) var<storage, read> cs_x: array<f32>;

// P.n = rows N, P.cols = C, P.rows_per_chunk = RC
@compute @workgroup_size(WG) fn col_sum_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let c = gid.x;
  if (c >= P.cols) { return; }
  let r0 = wid.y * P.rows_per_chunk;
  let r1 = min(P.n, r0 + P.rows_per_chunk);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) { acc += cs_x[r * P.cols + c]; }
  if (FINAL == 1u) {
    if (ACC == 1u) { cs_out[c] = cs_out[c] + acc; } else { cs_out[c] = acc; }
  } else {
    cs_out[wid.y * P.cols + c] = acc;
  }
}

// P.chunks = K, P.cols = C
@compute @workgroup_size(WG) fn col_sum_final(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= P.cols) { return; }
  var acc = 0.0;
  for (var k = 0u; k < P.chunks; k++) { acc += cs_x[k * P.cols + c]; }
  if (ACC == 1u) { cs_out[c] = cs_out[c] + acc; } else { cs_out[c] = acc; }
}

// ---- per-sequence masked sums ---------------------------------------------------------------
@group(0) @binding(1) var<storage, read_write> sq_out: array<f32>;
@group(0) @binding(2) var<storage, read> sq_x: array<f32>;
@group(0) @binding(3) var<storage, read> sq_mask: array<f32>;

// P.n = B, P.cols = T
@compute @workgroup_size(WG) fn seq_sum(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= P.n) { return; }
  let base = b * P.cols;
  var acc = 0.0;
  // select, not multiply: a masked position's x (padding: NaN/Inf allowed) never reaches the sum
  for (var t = lid; t < P.cols; t += WG) { let m = sq_mask[base + t]; acc += select(0.0, sq_x[base + t] * m, m != 0.0); }
  let s = wg_sum(lid, acc);
  if (lid == 0u) { sq_out[b] = s; }
}

// P.n = B·T, P.cols = T
@compute @workgroup_size(WG) fn seq_sum_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.n) { return; }
  sq_out[i] = sq_x[i / P.cols] * sq_mask[i];
}
