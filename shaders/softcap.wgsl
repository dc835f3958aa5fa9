// Soft-capping (Gemma-2's final logits), forward and backward, elementwise over n f32 values.
//   softcap:                  out = cap·tanh(a/cap)
//   softcap_inplace:          out = cap·tanh(out/cap)              (x = out: one read_write binding)
//   softcap_backward:         out = dx = b·(1 − (a/cap)²)          a = y (the forward's output), b = dy
//   softcap_backward_inplace: out = dx = out·(1 − (a/cap)²)        (dx = dy)
// tanh(u) = sign(u)·(1 − e)/(1 + e), e = exp(−2|u|): no overflow for large |u| (the builtin's
// sinh/cosh form gives NaN on some drivers); below |u| = 1/4 its odd Taylor series to u⁹ (relative
// error < 1e-8 there), where (1 − e) would cancel.
// Layout: array<f32>, one element per thread (the op feeds the LM head's logits chunk: cheap
// next to the matmul that made it). Grid: 1-D over n in workgroups of WG, folded 2-D past the
// per-dimension limit (linear index = gid.x + gid.y·nwg.x·WG). Variants: none.
const WG: u32 = 256u;

struct Params { n: u32, cap: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }
fn tanh_safe(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.25) {   // odd Taylor series: (1 − e)/(1 + e) would cancel for small |x|
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
  }
  let e = exp(-2.0 * a);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(WG) fn softcap(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = P.cap * tanh_safe(a[i] / P.cap); }
}

@compute @workgroup_size(WG) fn softcap_inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = P.cap * tanh_safe(out[i] / P.cap); }
}

@compute @workgroup_size(WG) fn softcap_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let t = a[i] / P.cap; out[i] = b[i] * (1.0 - t * t); }
}

@compute @workgroup_size(WG) fn softcap_backward_inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let t = a[i] / P.cap; out[i] = out[i] * (1.0 - t * t); }
}
