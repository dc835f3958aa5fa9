// The softmax family, "serial" variant: one thread walks a whole row — no workgroup memory,
// no barriers. For CPU emulations of a GPU (SwiftShader), where a single workgroupBarrier
// turns a workgroup into coroutines: measured on 2 shared cores, 1024 rows × 256 softmax took
// 110–170 ms with one 64-thread workgroup per row and 2 barriers, 13–39 ms serially.
// Same entry points, bindings and semantics as softmax.wgsl (see there):
//   softmax, log_softmax, softmax_backward, token_logprobs.
// (token_logprobs_backward has no reduction: softmax.wgsl's serves both variants.)
// Grid: 1-D over rows, WG threads per workgroup, folded 2-D (row = gid.x + gid.y·nwg.x·WG).
const WG: u32 = 16u;
const NEG_BIG: f32 = -3.0e38; // below any logit; finite so that exp(NEG_BIG − m) is 0, not NaN
const BLK: u32 = 64u;       // sums run in blocks of BLK elements (see row_max_sum)

struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

fn row_index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// (max, Σ exp(x − max)) of two partial results
fn merge(a: vec2f, b: vec2f) -> vec2f {
  let m = max(a.x, b.x);
  return vec2f(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

// (max, Σ exp(x − max)) of x[base .. base+P.cols): online within blocks of BLK elements (one
// read and one exp per element), blocks merged in order — the rounding error of the sum
// grows with cols/BLK + BLK rather than with cols
fn row_max_sum(base: u32) -> vec2f {
  var acc = vec2f(NEG_BIG, 0.0);
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    let c1 = min(P.cols, c0 + BLK);
    var m = NEG_BIG;
    var s = 0.0;
    for (var c = c0; c < c1; c++) {
      let v = x[base + c];
      if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s += exp(v - m); }
    }
    acc = merge(acc, vec2f(m, s));
  }
  return acc;
}

@compute @workgroup_size(WG) fn softmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(base);
  let inv = 1.0 / ms.y;
  for (var c = 0u; c < P.cols; c++) { out[base + c] = exp(x[base + c] - ms.x) * inv; }
}

@compute @workgroup_size(WG) fn log_softmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(base);
  let logs = log(ms.y);
  for (var c = 0u; c < P.cols; c++) { out[base + c] = (x[base + c] - ms.x) - logs; }
}

@group(0) @binding(3) var<storage, read> dy: array<f32>;

// out = dx, x = y
@compute @workgroup_size(WG) fn softmax_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var dot = 0.0;
  for (var c0 = 0u; c0 < P.cols; c0 += BLK) {
    var part = 0.0;
    for (var c = c0; c < min(P.cols, c0 + BLK); c++) { part += dy[base + c] * x[base + c]; }
    dot += part;
  }
  for (var c = 0u; c < P.cols; c++) { out[base + c] = x[base + c] * (dy[base + c] - dot); }
}

@group(0) @binding(3) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<i32>;

// out = logp (N), x = logits (N,V)
@compute @workgroup_size(WG) fn token_logprobs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = row_index(gid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(base);
  let logs = log(ms.y);
  lse_out[row] = ms.x + logs;
  let t = targets[row];
  var lp = 0.0;
  if (t >= 0 && u32(t) < P.cols) { lp = (x[base + u32(t)] - ms.x) - logs; }
  out[row] = lp;
}
