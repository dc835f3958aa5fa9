// Matmul, workgroup-memory tiled: out = alpha · op(a) @ op(b) (+ bias) (+ out), f32, batched.
//   a: (batch, M, K) row-major, or (batch, K, M) when TA      — op(a) is (M, K)
//   b: (batch, K, N) row-major, or (batch, N, K) when TB      — op(b) is (K, N);
//      with broadcastB one matrix for every batch entry (P.bStride = 0)
//   bias: (N) added to every row when P.flags bit 0; out: (batch, M, N), out += result when bit 1
//   (runtime flags: they only touch the epilogue, and fewer defines mean fewer pipelines).
// A workgroup of 16×16 invocations computes a 64×64 tile of out, each invocation a 4×4 block
// in registers. Per step of TK=16 along k the workgroup stages a 64×16 slice of op(a) and a
// 16×64 slice of op(b) in workgroup memory (zeros past M, N, K), with a barrier before and
// after use. Global loads walk each operand along its contiguous dimension (coalesced).
// This is what real GPUs reward; on CPU emulations the barriers make it slow.
// Grid: x = ceil(N / 64), y = ceil(M / 64), z = batch; P.wg0 offsets a chunk when a
// dimension exceeds maxComputeWorkgroupsPerDimension (the host splits the grid).
// Defines: TA, TB (operand transposed). Entry point: mm.

struct Params {
  M: u32, N: u32, K: u32,
  aStride: u32, bStride: u32, cStride: u32,
  wg0x: u32, wg0y: u32, wg0z: u32,
  alpha: f32,
  flags: u32,   // bit 0: add bias, bit 1: accumulate into out
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TS: u32 = 64u;   // tile side (rows of out, columns of out)
const TK: u32 = 16u;   // k per step
const RS: u32 = 17u;   // row stride in vec4s: one spare vec4 per row spreads the staging
                       // stores of a k-column over memory banks

// As[kk·RS + mi/4][mi%4] = A[tile row mi, k0 + kk];  Bs[kk·RS + nj/4][nj%4] = B[k0 + kk, tile col nj]
var<workgroup> As: array<vec4f, 272>;
var<workgroup> Bs: array<vec4f, 272>;

fn elemA(base: u32, m: u32, k: u32) -> f32 {
  if (m >= P.M || k >= P.K) { return 0.0; }
  if (TA == 1u) { return a[base + k * P.M + m]; }
  return a[base + m * P.K + k];
}
fn elemB(base: u32, k: u32, n: u32) -> f32 {
  if (n >= P.N || k >= P.K) { return 0.0; }
  if (TB == 1u) { return b[base + n * P.K + k]; }
  return b[base + k * P.N + n];
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

@compute @workgroup_size(16, 16) fn mm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                                       @builtin(local_invocation_index) li: u32) {
  let w = wid + vec3u(P.wg0x, P.wg0y, P.wg0z);
  let tm = w.y * TS;
  let tn = w.x * TS;
  let abase = w.z * P.aStride;
  let bbase = w.z * P.bStride;
  let cbase = w.z * P.cStride;
  // columns of acc are rows tm + 4·lid.y + i of out, over columns tn + 4·lid.x .. + 3
  var acc = mat4x4f();
  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    for (var r = 0u; r < 4u; r++) {
      let e = li + r * 256u;        // 0 .. 1023: one element of each staged slice
      var mi = e / TK; var ka = e % TK;
      if (TA == 1u) { ka = e / TS; mi = e % TS; }
      As[ka * RS + mi / 4u][mi % 4u] = elemA(abase, tm + mi, k0 + ka);
      var kb = e / TS; var nj = e % TS;
      if (TB == 1u) { nj = e / TK; kb = e % TK; }
      Bs[kb * RS + nj / 4u][nj % 4u] = elemB(bbase, k0 + kb, tn + nj);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = As[kk * RS + lid.y];
      let bv = Bs[kk * RS + lid.x];
      acc += mat4x4f(bv * av.x, bv * av.y, bv * av.z, bv * av.w);
    }
    workgroupBarrier();
  }
  let m = tm + 4u * lid.y;
  let n = tn + 4u * lid.x;
  storeRow(cbase, m, n, acc[0]); storeRow(cbase, m + 1u, n, acc[1]);
  storeRow(cbase, m + 2u, n, acc[2]); storeRow(cbase, m + 3u, n, acc[3]);
}
