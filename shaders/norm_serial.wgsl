// RMSNorm and LayerNorm row kernels, "serial" variant: one thread per row — no workgroup
// memory, no barriers (for CPU emulations such as SwiftShader, where a barrier costs ~0.1–1 ms
// per workgroup). Same entry points, bindings and math as norm.wgsl's row kernels:
//   rmsnorm, layernorm, rmsnorm_backward, layernorm_backward.
// (The dw/db column sums have no barriers: norm.wgsl's serve both variants.)
// Grid: 1-D over rows, WG threads per workgroup, folded 2-D (row = gid.x + gid.y·nwg.x·WG).
const WG: u32 = 16u;
const BLK: u32 = 64u; // row sums run in blocks of BLK: rounding grows with C/BLK + BLK, not C

struct Params { rows: u32, cols: u32, eps: f32, rows_per_chunk: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;

fn row_index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@group(0) @binding(4) var<storage, read_write> rstd_out: array<f32>;

@compute @workgroup_size(WG) fn rmsnorm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var ss = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var part = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) { let v = x[base + c]; part += v * v; }
    ss += part;
  }
  let r = 1.0 / sqrt(ss / f32(P.cols) + P.eps);
  rstd_out[row] = r;
  for (var c = 0u; c < P.cols; c++) { out[base + c] = (x[base + c] * r) * w[c]; }
}

@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> mean_out: array<f32>;

@compute @workgroup_size(WG) fn layernorm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let n = f32(P.cols);
  // sums of x − x[0] (exact for nearby values): a large mean does not swamp the spread
  let shift = x[base];
  var s = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var part = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) { part += x[base + c] - shift; }
    s += part;
  }
  let d = s / n;
  var s2 = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var part = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) { let e = (x[base + c] - shift) - d; part += e * e; }
    s2 += part;
  }
  let r = 1.0 / sqrt(s2 / n + P.eps);
  mean_out[row] = shift + d;
  rstd_out[row] = r;
  for (var c = 0u; c < P.cols; c++) { out[base + c] = (((x[base + c] - shift) - d) * r) * w[c] + b[c]; }
}

@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> mean: array<f32>;

// out = dx
@compute @workgroup_size(WG) fn rmsnorm_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let r = rstd[row];
  var dot = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var part = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) { part += dout[base + c] * w[c] * x[base + c]; }
    dot += part;
  }
  let k = r * r * (dot / f32(P.cols));
  for (var c = 0u; c < P.cols; c++) { out[base + c] = r * (dout[base + c] * w[c] - x[base + c] * k); }
}

@compute @workgroup_size(WG) fn layernorm_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let r = rstd[row];
  let mu = mean[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var pg = 0.0;
    var pgx = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) {
      let g = dout[base + c] * w[c];
      pg += g;
      pgx += g * ((x[base + c] - mu) * r);
    }
    sg += pg;
    sgx += pgx;
  }
  let n = f32(P.cols);
  let a = sg / n;
  let bb = sgx / n;
  for (var c = 0u; c < P.cols; c++) {
    let g = dout[base + c] * w[c];
    let xhat = (x[base + c] - mu) * r;
    out[base + c] = r * ((g - a) - xhat * bb);
  }
}
