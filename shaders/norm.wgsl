// RMSNorm and LayerNorm over the last dim C of row-major x (N, C), forward and backward.
//
//   rmsnorm:           out = x·rstd·w, rstd[n] = 1/sqrt(mean_c x² + eps) saved (N)
//   layernorm:         out = (x − mean)·rstd·w + b, mean[n], rstd[n] = 1/sqrt(var + eps) saved;
//                      two passes over x − x[n,0] (mean, then Σ (x − mean)²): no E[x²] − E[x]²
//                      cancellation, and a mean far from 0 does not cost the spread its digits
//   rmsnorm_backward:  dx = rstd·(g − x·rstd²·mean_c(g·x)),          g = dout·w
//   layernorm_backward: dx = rstd·(g − mean_c g − x̂·mean_c(g·x̂)),    x̂ = (x − mean)·rstd
//   rms_dw_partial:    Σ over a chunk of rows of dout·x·rstd          (→ dw)
//   ln_dwdb_partial:   Σ over a chunk of rows of dout·x̂ and of dout  (→ dw, db)
//     FINAL == 1 (one chunk): dw[c] (and db[c]) += the sums; else part[k·C + c] = the sums,
//     added into dw/db in chunk order by reduce.wgsl's col_sum_final (ACC): deterministic.
//
// Grid: row kernels take one workgroup of WG threads per row, rows folded 2-D
// (row = wid.x + wid.y·nwg.x); each thread walks the row with stride WG; row sums use two
// barriers (store, 16 threads add WG/16 each, everyone adds the 16). Column kernels:
// (ceil(C/WG), chunks), one thread per column looping over its chunk of rows.
// Defines: WG (64, or 256 for C ≥ 2048), FINAL.
// Variants (src/kernels/webgpu/ops/variants.ts): the row kernels here are the 'workgroup'
// variant; norm_serial.wgsl has the barrier-free 'serial' one (one thread per row) for CPU
// emulations. The column kernels have no barriers and serve both.

struct Params { rows: u32, cols: u32, eps: f32, rows_per_chunk: u32 }
@group(0) @binding(0) var<uniform> P: Params;

var<workgroup> red1: array<vec2f, WG>;
var<workgroup> red2: array<vec2f, 16>;

// Σ v over the workgroup (two sums at once), returned to every thread.
fn wg_sum2(lid: u32, v: vec2f) -> vec2f {
  red1[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var s = vec2f(0.0);
    for (var k = 0u; k < WG / 16u; k++) { s += red1[lid * (WG / 16u) + k]; }
    red2[lid] = s;
  }
  workgroupBarrier();
  var t = vec2f(0.0);
  for (var k = 0u; k < 16u; k++) { t += red2[k]; }
  return t;
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;

// ---- forward ------------------------------------------------------------------------------
@group(0) @binding(4) var<storage, read_write> rstd_out: array<f32>;

@compute @workgroup_size(WG) fn rmsnorm(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += WG) { let v = x[base + c]; acc += v * v; }
  let ss = wg_sum2(lid, vec2f(acc, 0.0)).x;
  let r = 1.0 / sqrt(ss / f32(P.cols) + P.eps);
  if (lid == 0u) { rstd_out[row] = r; }
  for (var c = lid; c < P.cols; c += WG) { out[base + c] = (x[base + c] * r) * w[c]; }
}

@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> mean_out: array<f32>;

@compute @workgroup_size(WG) fn layernorm(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let n = f32(P.cols);
  // sums of x − x[0] (exact for nearby values): a large mean does not swamp the spread
  let shift = x[base];
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += WG) { acc += x[base + c] - shift; }
  let d = wg_sum2(lid, vec2f(acc, 0.0)).x / n;
  var acc2 = 0.0;
  for (var c = lid; c < P.cols; c += WG) { let e = (x[base + c] - shift) - d; acc2 += e * e; }
  let variance = wg_sum2(lid, vec2f(acc2, 0.0)).x / n;
  let r = 1.0 / sqrt(variance + P.eps);
  if (lid == 0u) { mean_out[row] = shift + d; rstd_out[row] = r; }
  for (var c = lid; c < P.cols; c += WG) { out[base + c] = (((x[base + c] - shift) - d) * r) * w[c] + b[c]; }
}

// ---- backward: out = dx ----------------------------------------------------------------------
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> mean: array<f32>;

@compute @workgroup_size(WG) fn rmsnorm_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let r = rstd[row];
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += WG) { acc += dout[base + c] * w[c] * x[base + c]; }
  let k = r * r * (wg_sum2(lid, vec2f(acc, 0.0)).x / f32(P.cols));
  for (var c = lid; c < P.cols; c += WG) {
    out[base + c] = r * (dout[base + c] * w[c] - x[base + c] * k);
  }
}

@compute @workgroup_size(WG) fn layernorm_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let r = rstd[row];
  let mu = mean[row];
  var acc = vec2f(0.0);
  for (var c = lid; c < P.cols; c += WG) {
    let g = dout[base + c] * w[c];
    acc += vec2f(g, g * ((x[base + c] - mu) * r));
  }
  let s = wg_sum2(lid, acc) / f32(P.cols);
  for (var c = lid; c < P.cols; c += WG) {
    let g = dout[base + c] * w[c];
    let xhat = (x[base + c] - mu) * r;
    out[base + c] = r * ((g - s.x) - xhat * s.y);
  }
}

// ---- weight (and bias) gradients: column sums over chunks of rows ------------------------------
// out = dw (FINAL) or the dw partials (K, C); db_out = db or the db partials.
// Bindings are consecutive per entry (1 out, 2 x, 3 rstd, 4 dout, 5 mean, 6 db_out).
@group(0) @binding(3) var<storage, read> c_rstd: array<f32>;
@group(0) @binding(4) var<storage, read> c_dout: array<f32>;
@group(0) @binding(5) var<storage, read> c_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> db_out: array<f32>;

@compute @workgroup_size(WG) fn rms_dw_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let c = gid.x;
  if (c >= P.cols) { return; }
  let r0 = wid.y * P.rows_per_chunk;
  let r1 = min(P.rows, r0 + P.rows_per_chunk);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) { acc += c_dout[r * P.cols + c] * x[r * P.cols + c] * c_rstd[r]; }
  if (FINAL == 1u) { out[c] = out[c] + acc; } else { out[wid.y * P.cols + c] = acc; }
}

@compute @workgroup_size(WG) fn ln_dwdb_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let c = gid.x;
  if (c >= P.cols) { return; }
  let r0 = wid.y * P.rows_per_chunk;
  let r1 = min(P.rows, r0 + P.rows_per_chunk);
  var aw = 0.0;
  var ab = 0.0;
  for (var r = r0; r < r1; r++) {
    let g = c_dout[r * P.cols + c];
    aw += g * ((x[r * P.cols + c] - c_mean[r]) * c_rstd[r]);
    ab += g;
  }
  if (FINAL == 1u) {
    out[c] = out[c] + aw;
    db_out[c] = db_out[c] + ab;
  } else {
    out[wid.y * P.cols + c] = aw;
    db_out[wid.y * P.cols + c] = ab;
  }
}
