// Append keys or values to a KV cache: cache (B, S, row)[b, start+t, :] = x (B, Tq, row)[b, t, :].
// One thread per element of x; grid 1-D over B·Tq·row in workgroups of 256, folded into 2-D
// past 65535 workgroups (linear index = gid.x + gid.y · num_workgroups.x · 256).
struct WParams { B: u32, Tq: u32, S: u32, start: u32, row: u32 }
@group(0) @binding(0) var<uniform> W: WParams;
@group(0) @binding(1) var<storage, read_write> cache: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(256) fn kv_write(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * 256u;
  if (e >= W.B * W.Tq * W.row) { return; }
  let c = e % W.row;
  let t = (e / W.row) % W.Tq;
  let b = e / (W.row * W.Tq);
  cache[(b * W.S + W.start + t) * W.row + c] = x[e];
}
