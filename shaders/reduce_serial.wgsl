// Reductions with barriers in reduce.wgsl, "serial" variant: no workgroup memory, no barriers
// (for CPU emulations such as SwiftShader). Same bindings and results as reduce.wgsl:
//   sum_squares_partial: x (n) → part (K): thread k sums x[k·L .. min(n,(k+1)·L)) squared,
//                        L = P.rows_per_chunk; FINAL == 1 (K == 1): out (1) = the sum (ACC: +=).
//   sum_squares_final:   part (K = P.n) → out (1) = Σ part in order, one thread (ACC: +=).
//   seq_sum:             out (B) = Σ_{t: mask≠0} x[b,t]·mask[b,t], one thread per sequence (masked x, even NaN, skipped).
// Grid: 1-D over threads, WG per workgroup, folded 2-D (index = gid.x + gid.y·nwg.x·WG).
// Defines: FINAL, ACC.
const WG: u32 = 16u;
const BLK: u32 = 64u; // sums run in blocks of BLK: rounding grows with n/BLK + BLK, not n

struct Params { n: u32, cols: u32, rows_per_chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// P.n = n, P.rows_per_chunk = L, P.chunks = K
@compute @workgroup_size(WG) fn sum_squares_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = index(gid, nwg);
  if (k >= P.chunks) { return; }
  let i0 = k * P.rows_per_chunk;
  let i1 = min(P.n, i0 + P.rows_per_chunk);
  var acc = 0.0;
  for (var j0 = i0; j0 < i1; j0 += BLK) {
    var part = 0.0;
    for (var i = j0; i < min(i1, j0 + BLK); i++) { let v = x[i]; part += v * v; }
    acc += part;
  }
  if (FINAL == 1u) {
    if (ACC == 1u) { out[0] = out[0] + acc; } else { out[0] = acc; }
  } else {
    out[k] = acc;
  }
}

// P.n = K partials
@compute @workgroup_size(1) fn sum_squares_final() {
  var acc = 0.0;
  for (var j0 = 0u; j0 < P.n; j0 += BLK) {
    var part = 0.0;
    for (var i = j0; i < min(P.n, j0 + BLK); i++) { part += x[i]; }
    acc += part;
  }
  if (ACC == 1u) { out[0] = out[0] + acc; } else { out[0] = acc; }
}

@group(0) @binding(3) var<storage, read> mask: array<f32>;

// P.n = B, P.cols = T
@compute @workgroup_size(WG) fn seq_sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let b = index(gid, nwg);
  if (b >= P.n) { return; }
  let base = b * P.cols;
  var acc = 0.0;
  for (var t0 = 0u; t0 < P.cols; t0 += BLK) {
    var part = 0.0;
    for (var t = t0; t < min(P.cols, t0 + BLK); t++) { let m = mask[base + t]; part += select(0.0, x[base + t] * m, m != 0.0); }
    acc += part;
  }
  out[b] = acc;
}
