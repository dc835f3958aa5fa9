// Elementwise f32 ops over flat arrays of n elements.
//   fill: out[i] = P.a            copy: dst[dstOff+i] = src[srcOff+i] (copy_words: u32 words)
//   add:  out = a + b             mul:  out = a * b
//   scale: out = x * P.a          axpy: y += P.a * x
// Grid: 1-D over n in workgroups of WG threads, folded into 2-D when n/WG > 65535
// (linear index = gid.x + gid.y * num_workgroups.x * WG). Each thread does one element.
// Variants: none (memory-bound).
const WG: u32 = 256u;

struct Params { n: u32, a: f32, off0: u32, off1: u32 }
@group(0) @binding(0) var<uniform> P: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG) fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = P.a; }
}

@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(WG) fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[P.off1 + i] = x[P.off0 + i]; }
}

// copy_words: the same over raw u32 words — 16-bit tensors (two per word) copied bit for bit,
// never through an f32 register (a pair whose high half is 0 would read as an f32 subnormal,
// which an implementation may flush to zero, losing the low half)
@group(0) @binding(1) var<storage, read_write> wout: array<u32>;
@group(0) @binding(2) var<storage, read> win: array<u32>;

@compute @workgroup_size(WG) fn copy_words(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { wout[P.off1 + i] = win[P.off0 + i]; }
}

@compute @workgroup_size(WG) fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = x[i] * P.a; }
}

@compute @workgroup_size(WG) fn axpy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = out[i] + P.a * x[i]; }
}

@group(0) @binding(3) var<storage, read> y: array<f32>;

@compute @workgroup_size(WG) fn add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = x[i] + y[i]; }
}

@compute @workgroup_size(WG) fn mul(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = x[i] * y[i]; }
}
