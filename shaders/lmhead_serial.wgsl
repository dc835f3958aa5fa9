// The fused LM head's chunk_stats, "serial" variant: one thread walks a whole row of the chunk —
// no workgroup memory, no barriers (for CPU emulations such as SwiftShader; see
// softmax_serial.wgsl for the measurements). Same entry point, bindings and semantics as
// lmhead.wgsl's chunk_stats (see there); chunk_finish and chunk_backward live only in
// lmhead.wgsl and serve both variants.
// Grid: 1-D over rows, WG threads per workgroup, folded 2-D (row = gid.x + gid.y·nwg.x·WG).
const WG: u32 = 16u;
const NEG_BIG: f32 = -3.0e38;
const BLK: u32 = 64u; // sums run in blocks of BLK elements, merged in order (as softmax_serial)

struct Params { rows: u32, cols: u32, v0: u32, vocab: u32, first: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> state: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<i32>;

fn merge(a: vec2f, b: vec2f) -> vec2f {
  let m = max(a.x, b.x);
  return vec2f(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

@compute @workgroup_size(WG) fn chunk_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
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
  var st = vec3f(acc.x, acc.y, 0.0);
  if (P.first == 0u) {
    let m0 = state[3u * row];
    let mm = max(m0, acc.x);
    st = vec3f(mm, state[3u * row + 1u] * exp(m0 - mm) + acc.y * exp(acc.x - mm), state[3u * row + 2u]);
  }
  let tc = targets[row] - i32(P.v0);
  if (tc >= 0 && u32(tc) < P.cols) { st.z = x[base + u32(tc)]; }
  state[3u * row] = st.x;
  state[3u * row + 1u] = st.y;
  state[3u * row + 2u] = st.z;
}
