// The fused LM head's per-chunk kernels (src/model/lm-head.ts: log-probs chunk by chunk over
// the vocabulary, nothing of N×V formed). A chunk holds the logits (N, Vc) of vocabulary ids
// [v0, v0+Vc), row-major; targets (N) i32 are global ids; state (N,3) per row = [m, s, t]:
// running max m, s = Σ exp(x − m) over the chunks seen, t = the target's logit.
//
//   chunk_stats:    merge one chunk into state (first ≠ 0: set from the chunk, never reading
//                   the old state): m' = max(m, mc), s' = s·exp(m − m') + sc·exp(mc − m');
//                   t = x[target − v0] when the target falls in the chunk.
//   chunk_finish:   lse (N) = m + log s; logp (N) = t − lse for 0 ≤ target < vocab, else 0.
//   chunk_backward: dlogits (N,Vc) = dlogp[n]·(onehot(target − v0) − exp(x − lse[n])), all zero
//                   on a row whose target is outside [0, vocab).
//
// Grid: chunk_stats here is the 'workgroup' variant (ops/variants.ts): one workgroup of WG
// threads per row, rows folded 2-D (row = wid.x + wid.y·nwg.x), the threads' online
// (max, Σ exp) pairs merged with two barriers as in softmax.wgsl; lmhead_serial.wgsl has the
// one-thread-per-row variant. chunk_finish (one thread per row, 1-D folded 2-D with WG per
// workgroup) and chunk_backward (grid (ceil(Vc/(4·WG)), rows folded into y,z), 4 columns per
// thread, WG apart) have no reduction and serve both variants.
// Defines: WG (a multiple of 16).

struct Params { rows: u32, cols: u32, v0: u32, vocab: u32, first: u32 }
@group(0) @binding(0) var<uniform> P: Params;

const NEG_BIG: f32 = -3.0e38; // below any logit; finite so that merges of empty partials stay 0

var<workgroup> red1: array<vec2f, WG>;
var<workgroup> red2: array<vec2f, 16>;

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

// ---- chunk_stats: state (N,3), x = logits (N,Vc), targets -------------------------------------
@group(0) @binding(1) var<storage, read_write> state: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<i32>;

@compute @workgroup_size(WG) fn chunk_stats(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var m = NEG_BIG;
  var s = 0.0;
  for (var c = lid; c < P.cols; c += WG) {
    let v = x[base + c];
    if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s += exp(v - m); }
  }
  let ms = wg_merge(lid, vec2f(m, s));
  if (lid == 0u) {
    var st = vec3f(ms.x, ms.y, 0.0);
    if (P.first == 0u) {
      let m0 = state[3u * row];
      let mm = max(m0, ms.x);
      st = vec3f(mm, state[3u * row + 1u] * exp(m0 - mm) + ms.y * exp(ms.x - mm), state[3u * row + 2u]);
    }
    let tc = targets[row] - i32(P.v0);
    if (tc >= 0 && u32(tc) < P.cols) { st.z = x[base + u32(tc)]; }
    state[3u * row] = st.x;
    state[3u * row + 1u] = st.y;
    state[3u * row + 2u] = st.z;
  }
}

// ---- chunk_finish: logp (N), lse (N), state, targets -------------------------------------------
@group(0) @binding(1) var<storage, read_write> f_logp: array<f32>;
@group(0) @binding(2) var<storage, read_write> f_lse: array<f32>;
@group(0) @binding(3) var<storage, read> f_state: array<f32>;
@group(0) @binding(4) var<storage, read> f_targets: array<i32>;

@compute @workgroup_size(WG) fn chunk_finish(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= P.rows) { return; }
  let l = f_state[3u * row] + log(f_state[3u * row + 1u]);
  f_lse[row] = l;
  let t = f_targets[row];
  f_logp[row] = select(0.0, f_state[3u * row + 2u] - l, t >= 0 && u32(t) < P.vocab);
}

// ---- chunk_backward: dlogits (N,Vc), x = logits, targets, lse, dlogp ----------------------------
@group(0) @binding(1) var<storage, read_write> b_dlogits: array<f32>;
@group(0) @binding(4) var<storage, read> b_lse: array<f32>;
@group(0) @binding(5) var<storage, read> b_dlogp: array<f32>;

@compute @workgroup_size(WG) fn chunk_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.y + wid.z * nwg.y;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let t = targets[row];
  let valid = t >= 0 && u32(t) < P.vocab;
  let g = select(0.0, b_dlogp[row], valid);
  let lse = b_lse[row];
  let tc = t - i32(P.v0);
  let c0 = wid.x * (4u * WG) + lid;
  for (var k = 0u; k < 4u; k++) {
    let c = c0 + k * WG;
    if (c < P.cols) {
      var d = 0.0;
      if (valid) {
        let onehot = select(0.0, 1.0, i32(c) == tc);
        d = g * (onehot - exp(x[base + c] - lse));
      }
      b_dlogits[base + c] = d;
    }
  }
}
