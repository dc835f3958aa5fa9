// Causal attention backward, pass 1 of 3: per-row statistics for the two gradient passes.
//   lse: (B, Hq, T) saved by the forward;  dout, out: (B, T, Hq, D)
//   stats: (B, Hq, T, 2) = (lse[b,h,t], Δ[b,h,t] = Σ_d dout[b,t,h,d] · out[b,t,h,d])
//   Δ_i = rowsum(dout_i ⊙ out_i) = Σ_j P_ij dP_ij, the softmax-backward correction term.
// Packing lse and Δ in one buffer keeps the dk/dv pass within 8 storage bindings.
// Grid: 1-D over B·Hq·T rows in workgroups of 64, folded into 2-D (index = gid.x +
// gid.y · num_workgroups.x · 64); one thread per row. Variants: none (tiny, memory-bound).
struct Params { n: u32, T: u32, H: u32, D: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read> out: array<f32>;

@compute @workgroup_size(64) fn bwd_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * 64u;          // (b·H + h)·T + t
  if (row >= P.n) { return; }
  let t = row % P.T;
  let bh = row / P.T;
  let h = bh % P.H;
  let b = bh / P.H;
  let base = ((b * P.T + t) * P.H + h) * P.D;
  var acc = 0.0;
  for (var d = 0u; d < P.D; d++) { acc += dout[base + d] * out[base + d]; }
  stats[2u * row] = lse[row];
  stats[2u * row + 1u] = acc;
}
