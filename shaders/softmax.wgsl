// The softmax family over the last dim of row-major (N, cols) f32 tensors.
//
//   softmax:          out (N,cols) = exp(x − max) / Σ exp(x − max)
//   log_softmax:      out (N,cols) = (x − max) − log Σ exp(x − max)
//   softmax_backward: dx (N,cols) = y ⊙ (dy − Σ_row dy⊙y)
//   token_logprobs:   logits (N,V), targets (N) i32 → logp (N) = log softmax(logits)[target],
//                     lse (N) = log Σ exp(logits) (always written); a target outside [0,V)
//                     (negative = "ignore") gives logp = 0.
//   token_logprobs_backward: dlogits (N,V) = dlogp[n]·(onehot(target) − exp(logits − lse[n])),
//                     all zero on a row whose target is outside [0,V).
//
// Grid: the row kernels run one workgroup of WG threads per row, rows folded 2-D
// (row = wid.x + wid.y·nwg.x). Each thread walks the row with stride WG keeping an online
// (max, Σ exp(x − max)) pair — one read and one exp per element — and the pairs are merged
// with two barriers (all threads store, 16 threads merge WG/16 each, every thread merges the
// 16): fewer barriers than a tree.
// token_logprobs_backward needs no reduction (lse is saved): grid (ceil(V/(4·WG)), rows
// folded into y,z), each thread writes 4 columns WG apart.
// Defines: WG (64 for short rows, 256 for long ones; a multiple of 16).
// Variants (src/kernels/webgpu/ops/variants.ts): the row kernels here are the 'workgroup'
// variant; softmax_serial.wgsl has the barrier-free 'serial' one (one thread per row) for CPU
// emulations. token_logprobs_backward serves both.

struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> P: Params;

const NEG_BIG: f32 = -3.0e38; // below any logit; finite so that merges of empty partials stay 0

var<workgroup> red1: array<vec2f, WG>;
var<workgroup> red2: array<vec2f, 16>;
var<workgroup> sred1: array<f32, WG>;
var<workgroup> sred2: array<f32, 16>;

// (max, Σ exp(x − max)) of two partial results
fn merge(a: vec2f, b: vec2f) -> vec2f {
  let m = max(a.x, b.x);
  return vec2f(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn wg_merge(lid: u32, v: vec2f) -> vec2f {
  red1[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var acc = vec2f(NEG_BIG, 0.0);
    for (var k = 0u; k < WG / 16u; k++) { acc = merge(acc, red1[lid * (WG / 16u) + k]); }
    red2[lid] = acc;
  }
  workgroupBarrier();
  var t = vec2f(NEG_BIG, 0.0);
  for (var k = 0u; k < 16u; k++) { t = merge(t, red2[k]); }
  return t;
}

fn wg_sum(lid: u32, v: f32) -> f32 {
  sred1[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var s = 0.0;
    for (var k = 0u; k < WG / 16u; k++) { s += sred1[lid * (WG / 16u) + k]; }
    sred2[lid] = s;
  }
  workgroupBarrier();
  var t = 0.0;
  for (var k = 0u; k < 16u; k++) { t += sred2[k]; }
  return t;
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

// (max, Σ exp(x − max)) of x[base .. base+P.cols), returned to every thread
fn row_max_sum(lid: u32, base: u32) -> vec2f {
  var m = NEG_BIG;
  var s = 0.0;
  for (var c = lid; c < P.cols; c += WG) {
    let v = x[base + c];
    if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s += exp(v - m); }
  }
  return wg_merge(lid, vec2f(m, s));
}

@compute @workgroup_size(WG) fn softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(lid, base);
  let inv = 1.0 / ms.y;
  for (var c = lid; c < P.cols; c += WG) { out[base + c] = exp(x[base + c] - ms.x) * inv; }
}

@compute @workgroup_size(WG) fn log_softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(lid, base);
  let logs = log(ms.y);
  for (var c = lid; c < P.cols; c += WG) { out[base + c] = (x[base + c] - ms.x) - logs; }
}

// ---- softmax backward: out = dx, x = y, dy ------------------------------------------------------
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(WG) fn softmax_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += WG) { acc += dy[base + c] * x[base + c]; }
  let dot = wg_sum(lid, acc);
  for (var c = lid; c < P.cols; c += WG) { out[base + c] = x[base + c] * (dy[base + c] - dot); }
}

// ---- token log-probs: out = logp (N), x = logits, lse, targets ----------------------------------
@group(0) @binding(3) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<i32>;

@compute @workgroup_size(WG) fn token_logprobs(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let ms = row_max_sum(lid, base);
  if (lid == 0u) {
    let logs = log(ms.y);
    lse_out[row] = ms.x + logs;
    let t = targets[row];
    var lp = 0.0;
    if (t >= 0 && u32(t) < P.cols) { lp = (x[base + u32(t)] - ms.x) - logs; }
    out[row] = lp;
  }
}

// ---- token log-probs backward: out = dlogits (N,V), x = logits, targets, lse, dlogp -------------
@group(0) @binding(3) var<storage, read> tb_targets: array<i32>;
@group(0) @binding(4) var<storage, read> tb_lse: array<f32>;
@group(0) @binding(5) var<storage, read> tb_dlogp: array<f32>;

@compute @workgroup_size(WG) fn token_logprobs_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.y + wid.z * nwg.y;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let t = tb_targets[row];
  let valid = t >= 0 && u32(t) < P.cols;
  let g = select(0.0, tb_dlogp[row], valid);
  let lse = tb_lse[row];
  let c0 = wid.x * (4u * WG) + lid;
  for (var k = 0u; k < 4u; k++) {
    let c = c0 + k * WG;
    if (c < P.cols) {
      var d = 0.0;
      if (valid) {
        let onehot = select(0.0, 1.0, c == u32(t));
        d = g * (onehot - exp(x[base + c] - lse));
      }
      out[base + c] = d;
    }
  }
}
