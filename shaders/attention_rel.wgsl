// DeBERTa's disentangled self-attention (bidirectional), forward. No backward yet.
//   q, k, v, out: (B, T, H, D)
//   pos:          (R, 2, H, D) — pos[r,0] relative embedding r through the key projection,
//                 pos[r,1] through the query projection
//   rel:          (T, T) i32 — the pos row of (query i, key j), clamped into [0, R)
//   mask:         (B, T) i32 (all ones when the op has no keyMask); lse: (B, H, T)
//   score[i,j] = scale·(q_i·k_j + c2p·q_i·pos[r,0] + p2c·k_j·pos[r,1]), r = rel[i,j]
// One thread per (b, h, i) query row, online softmax over the T keys, the output row kept in
// registers (D ≤ MAXD, a define) — the form of attention_cached.wgsl: no workgroup memory or
// barriers (cheap on SwiftShader; on GPUs this op is not the bottleneck of a judge's forward).
// A row with no unmasked key gets out = 0 and lse = 0.
// Grid: ceil(B·H·T / 64) workgroups of 64 (1-D, x).
struct Params { B: u32, T: u32, H: u32, D: u32, R: u32, c2p: f32, p2c: f32, scale: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> pos: array<f32>;
@group(0) @binding(7) var<storage, read> rel: array<i32>;
@group(0) @binding(8) var<storage, read> mask: array<i32>;

@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= P.B * P.H * P.T) { return; }
  let i = row % P.T;
  let h = (row / P.T) % P.H;
  let b = row / (P.T * P.H);
  let D = P.D;
  let HD = P.H * D;
  let qbase = ((b * P.T + i) * P.H + h) * D;
  var acc: array<f32, MAXD>;
  for (var d = 0u; d < D; d++) { acc[d] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = 0u; j < P.T; j++) {
    if (mask[b * P.T + j] == 0) { continue; }
    let kbase = ((b * P.T + j) * P.H + h) * D;
    let r = u32(clamp(rel[i * P.T + j], 0, i32(P.R) - 1));
    let pk = (r * 2u) * HD + h * D;
    let pq = pk + HD;
    var s = 0.0;
    var sc = 0.0;
    var sp = 0.0;
    for (var d = 0u; d < D; d++) {
      let qd = q[qbase + d];
      let kd = k[kbase + d];
      s += qd * kd;
      sc += qd * pos[pk + d];
      sp += kd * pos[pq + d];
    }
    s = P.scale * (s + P.c2p * sc + P.p2c * sp);
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * corr + p;
    for (var d = 0u; d < D; d++) { acc[d] = acc[d] * corr + p * v[kbase + d]; }
    m = mNew;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < D; d++) { out[qbase + d] = acc[d] * inv; }
  lse[(b * P.H + h) * P.T + i] = select(0.0, m + log(l), l > 0.0);
}
