// The kernel shared by matmul_half.wgsl (b packed two per u32 word) and matmul_half_f16.wgsl
// (b an array<f16>, shader-f16): shapes, grid and defines are described in matmul_half.wgsl.
// The including file declares binding 3 (w) and the two readers of b:
//   half(i) -> f32       element i of b, widened (exact)
//   pair(i) -> vec2f     elements i, i+1 (i even when PAIR)
// Not a kernel on its own (no binding 3): only `//#include matmul_half_core` uses it.

struct Params {
  M: u32, N: u32, K: u32,
  aStride: u32, bStride: u32, cStride: u32,  // elements per batch entry (bStride 0: broadcast b)
  wg0x: u32, wg0y: u32, wg0z: u32,
  alpha: f32,
  flags: u32,                                // bit 0: add bias, bit 1: accumulate into out
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const WG: u32 = 8u;

fn elemA(base: u32, m: u32, k: u32) -> f32 {
  let mm = min(m, P.M - 1u);
  if (TA == 1u) { return a[base + k * P.M + mm]; }
  return a[base + mm * P.K + k];
}
fn elemB(base: u32, k: u32, n: u32) -> f32 {
  let nn = min(n, P.N - 1u);
  if (TB == 1u) { return half(base + nn * P.K + k); }
  return half(base + k * P.N + nn);
}

fn storeRow(cbase: u32, m: u32, n: u32, v: vec4f) {
  if (m >= P.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = n + j;
    if (col < P.N) {
      let i = cbase + m * P.N + col;
      var r = P.alpha * v[j];
      if ((P.flags & 1u) != 0u) { r += bias[col]; }
      if ((P.flags & 2u) != 0u) { r += out[i]; }
      out[i] = r;
    }
  }
}

@compute @workgroup_size(WG, WG) fn mm4x4h(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let g = wid + vec3u(P.wg0x, P.wg0y, P.wg0z);
  let n = (g.x * WG + lid.x) * 4u;
  let m = (g.y * WG + lid.y) * 4u;
  if (m >= P.M || n >= P.N) { return; }
  let abase = g.z * P.aStride;
  let bbase = g.z * P.bStride;
  var c0 = vec4f(); var c1 = vec4f(); var c2 = vec4f(); var c3 = vec4f();
  if (PAIR == 1u && TB == 1u) {
    // b (N, K), K even: rows of b are word-aligned; two k per step
    let r0 = bbase + min(n, P.N - 1u) * P.K; let r1 = bbase + min(n + 1u, P.N - 1u) * P.K;
    let r2 = bbase + min(n + 2u, P.N - 1u) * P.K; let r3 = bbase + min(n + 3u, P.N - 1u) * P.K;
    for (var k = 0u; k < P.K; k += 2u) {
      let p0 = pair(r0 + k); let p1 = pair(r1 + k); let p2 = pair(r2 + k); let p3 = pair(r3 + k);
      let b0 = vec4f(p0.x, p1.x, p2.x, p3.x);
      let b1 = vec4f(p0.y, p1.y, p2.y, p3.y);
      c0 = fma(vec4f(elemA(abase, m, k + 1u)), b1, fma(vec4f(elemA(abase, m, k)), b0, c0));
      c1 = fma(vec4f(elemA(abase, m + 1u, k + 1u)), b1, fma(vec4f(elemA(abase, m + 1u, k)), b0, c1));
      c2 = fma(vec4f(elemA(abase, m + 2u, k + 1u)), b1, fma(vec4f(elemA(abase, m + 2u, k)), b0, c2));
      c3 = fma(vec4f(elemA(abase, m + 3u, k + 1u)), b1, fma(vec4f(elemA(abase, m + 3u, k)), b0, c3));
    }
  } else if (PAIR == 1u) {
    // b (K, N), N even: columns n..n+3 of a row are two words (n is a multiple of 4; the second
    // word is clamped to the row's last one at the edge, whose columns are never stored)
    let n2 = min(n + 2u, P.N - 2u);
    for (var k = 0u; k < P.K; k++) {
      let row = bbase + k * P.N;
      let bv = vec4f(pair(row + n), pair(row + n2));
      c0 = fma(vec4f(elemA(abase, m, k)), bv, c0);
      c1 = fma(vec4f(elemA(abase, m + 1u, k)), bv, c1);
      c2 = fma(vec4f(elemA(abase, m + 2u, k)), bv, c2);
      c3 = fma(vec4f(elemA(abase, m + 3u, k)), bv, c3);
    }
  } else {
    for (var k = 0u; k < P.K; k++) {
      let bv = vec4f(elemB(bbase, k, n), elemB(bbase, k, n + 1u), elemB(bbase, k, n + 2u), elemB(bbase, k, n + 3u));
      c0 = fma(vec4f(elemA(abase, m, k)), bv, c0);
      c1 = fma(vec4f(elemA(abase, m + 1u, k)), bv, c1);
      c2 = fma(vec4f(elemA(abase, m + 2u, k)), bv, c2);
      c3 = fma(vec4f(elemA(abase, m + 3u, k)), bv, c3);
    }
  }
  let cbase = g.z * P.cStride;
  storeRow(cbase, m, n, c0); storeRow(cbase, m + 1u, n, c1);
  storeRow(cbase, m + 2u, n, c2); storeRow(cbase, m + 3u, n, c3);
}
