// Matmul, register-blocked: out = alpha · op(a) @ op(b) (+ bias) (+ out), f32, batched.
//   a: (batch, M, K) row-major, or (batch, K, M) when TA      — op(a) is (M, K)
//   b: (batch, K, N) row-major, or (batch, N, K) when TB      — op(b) is (K, N);
//      with broadcastB one matrix for every batch entry (P.bStride = 0)
//   bias: (N) added to every row when P.flags bit 0; out: (batch, M, N), out += result when bit 1
//   (runtime flags: they only touch the epilogue, and fewer defines mean fewer pipelines).
// Each invocation computes an RM×RN block of out (4×4, 8×8, 16×8 or 16×16: entry points
// mm4x4, mm8x8, mm16x8, mm16x16) held in registers as 4×4 sub-blocks (mat4x4f), with vec4
// loads of the operands and NO workgroup memory and NO barriers: the variants for CPU
// emulations (SwiftShader, where barriers are very expensive), and fair on many GPUs.
// A 4×4 sub-block C += A·B is one mat4x4f product: with columns of `acc` holding rows of C,
// acc += Bm * Am, where Am's column i is row i of the A block (over k) and Bm's column kk is
// row kk of the B block (over n). Transposed operands are loaded along their contiguous
// dimension and transposed in registers.
// Grid: workgroups of 8×8 invocations; x over column blocks ceil(N / (8·RN)), y over row
// blocks ceil(M / (8·RM)), z over batch; P.wg0 offsets a chunk when a dimension exceeds
// maxComputeWorkgroupsPerDimension (the host splits the grid).
// Defines: TA, TB (operand transposed), VA, VB (1 when the operand's contiguous dimension
// is a multiple of 4, so vec4 loads are aligned).
// Edges: rows/columns beyond M/N are loaded from clamped (valid) indices and never stored;
// the blocked kernels stop at K4 = K & ~3 and, when K % 4 ≠ 0, the entry point ktail adds
// the last K % 4 steps of k in a second dispatch.
// Bindings: a and b are each bound twice, as array<vec4f> (aligned vec4 loads) and as
// array<f32> (scalar loads); every entry point uses all six (layout 'auto').

struct Params {
  M: u32, N: u32, K: u32,
  aStride: u32, bStride: u32, cStride: u32,  // elements per batch entry (bStride 0: broadcast b)
  wg0x: u32, wg0y: u32, wg0z: u32,           // workgroup offset of this chunk of the grid
  alpha: f32,
  flags: u32,                                // bit 0: add bias, bit 1: accumulate into out
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a4: array<vec4f>;
@group(0) @binding(3) var<storage, read> b4: array<vec4f>;
@group(0) @binding(4) var<storage, read> a1: array<f32>;
@group(0) @binding(5) var<storage, read> b1: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;

const WG: u32 = 8u;

fn rowA(m: u32) -> u32 { return min(m, P.M - 1u); }
fn colB(n: u32) -> u32 { return min(n, P.N - 1u); }

// ---- operand loaders: k is a multiple of 4 with k + 3 < K ------------------------------------
// A block rows m..m+3, k..k+3 as a mat4x4f whose column i is A[m+i, k..k+3].
fn loadA(base: u32, m: u32, k: u32) -> mat4x4f {
  if (TA == 0u) {            // a (M, K): A[m, k] = a[m·K + k], contiguous in k
    if (VA == 1u) {
      return mat4x4f(a4[(base + rowA(m) * P.K + k) / 4u], a4[(base + rowA(m + 1u) * P.K + k) / 4u],
                     a4[(base + rowA(m + 2u) * P.K + k) / 4u], a4[(base + rowA(m + 3u) * P.K + k) / 4u]);
    }
    return mat4x4f(a1x4(base + rowA(m) * P.K + k), a1x4(base + rowA(m + 1u) * P.K + k),
                   a1x4(base + rowA(m + 2u) * P.K + k), a1x4(base + rowA(m + 3u) * P.K + k));
  }
  // a (K, M): A[m, k] = a[k·M + m], contiguous in m: load rows of a, transpose
  if (VA == 1u) {
    let mm = min(m, P.M - 4u);   // M % 4 == 0 here; a clamped block is never stored
    return transpose(mat4x4f(a4[(base + k * P.M + mm) / 4u], a4[(base + (k + 1u) * P.M + mm) / 4u],
                             a4[(base + (k + 2u) * P.M + mm) / 4u], a4[(base + (k + 3u) * P.M + mm) / 4u]));
  }
  return transpose(mat4x4f(a1T(base + k * P.M, m), a1T(base + (k + 1u) * P.M, m),
                           a1T(base + (k + 2u) * P.M, m), a1T(base + (k + 3u) * P.M, m)));
}
fn a1x4(i: u32) -> vec4f { return vec4f(a1[i], a1[i + 1u], a1[i + 2u], a1[i + 3u]); }
fn a1T(row: u32, m: u32) -> vec4f { return vec4f(a1[row + rowA(m)], a1[row + rowA(m + 1u)], a1[row + rowA(m + 2u)], a1[row + rowA(m + 3u)]); }

// B block k..k+3, columns n..n+3 as a mat4x4f whose column kk is B[k+kk, n..n+3].
fn loadB(base: u32, k: u32, n: u32) -> mat4x4f {
  if (TB == 0u) {            // b (K, N): B[k, n] = b[k·N + n], contiguous in n
    if (VB == 1u) {
      let nn = min(n, P.N - 4u);
      return mat4x4f(b4[(base + k * P.N + nn) / 4u], b4[(base + (k + 1u) * P.N + nn) / 4u],
                     b4[(base + (k + 2u) * P.N + nn) / 4u], b4[(base + (k + 3u) * P.N + nn) / 4u]);
    }
    return mat4x4f(b1N(base + k * P.N, n), b1N(base + (k + 1u) * P.N, n),
                   b1N(base + (k + 2u) * P.N, n), b1N(base + (k + 3u) * P.N, n));
  }
  // b (N, K): B[k, n] = b[n·K + k], contiguous in k: load rows of b, transpose
  if (VB == 1u) {
    return transpose(mat4x4f(b4[(base + colB(n) * P.K + k) / 4u], b4[(base + colB(n + 1u) * P.K + k) / 4u],
                             b4[(base + colB(n + 2u) * P.K + k) / 4u], b4[(base + colB(n + 3u) * P.K + k) / 4u]));
  }
  return transpose(mat4x4f(b1x4(base + colB(n) * P.K + k), b1x4(base + colB(n + 1u) * P.K + k),
                           b1x4(base + colB(n + 2u) * P.K + k), b1x4(base + colB(n + 3u) * P.K + k)));
}
fn b1x4(i: u32) -> vec4f { return vec4f(b1[i], b1[i + 1u], b1[i + 2u], b1[i + 3u]); }
fn b1N(row: u32, n: u32) -> vec4f { return vec4f(b1[row + colB(n)], b1[row + colB(n + 1u)], b1[row + colB(n + 2u)], b1[row + colB(n + 3u)]); }

// ---- epilogue -------------------------------------------------------------------------------
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
fn store(cbase: u32, m: u32, n: u32, acc: mat4x4f) {
  storeRow(cbase, m, n, acc[0]); storeRow(cbase, m + 1u, n, acc[1]);
  storeRow(cbase, m + 2u, n, acc[2]); storeRow(cbase, m + 3u, n, acc[3]);
}

struct Block { m: u32, n: u32, abase: u32, bbase: u32, cbase: u32, k4: u32 }
fn block(wid: vec3u, lid: vec3u, rm: u32, rn: u32) -> Block {
  let w = wid + vec3u(P.wg0x, P.wg0y, P.wg0z);
  var b: Block;
  b.n = (w.x * WG + lid.x) * rn;
  b.m = (w.y * WG + lid.y) * rm;
  b.abase = w.z * P.aStride;
  b.bbase = w.z * P.bStride;
  b.cbase = w.z * P.cStride;
  b.k4 = P.K & ~3u;
  return b;
}

@compute @workgroup_size(WG, WG) fn mm4x4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = block(wid, lid, 4u, 4u);
  if (t.m >= P.M || t.n >= P.N) { return; }
  var c0 = mat4x4f();
  for (var k = 0u; k < t.k4; k += 4u) {
    c0 += loadB(t.bbase, k, t.n) * loadA(t.abase, t.m, k);
  }
  store(t.cbase, t.m, t.n, c0);
}

@compute @workgroup_size(WG, WG) fn mm8x8(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = block(wid, lid, 8u, 8u);
  if (t.m >= P.M || t.n >= P.N) { return; }
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c10 = mat4x4f(); var c11 = mat4x4f();
  for (var k = 0u; k < t.k4; k += 4u) {
    let rb0 = loadB(t.bbase, k, t.n); let rb1 = loadB(t.bbase, k, t.n + 4u);
    let ra0 = loadA(t.abase, t.m, k); c00 += rb0 * ra0; c01 += rb1 * ra0;
    let ra1 = loadA(t.abase, t.m + 4u, k); c10 += rb0 * ra1; c11 += rb1 * ra1;
  }
  store(t.cbase, t.m, t.n, c00); store(t.cbase, t.m, t.n + 4u, c01);
  store(t.cbase, t.m + 4u, t.n, c10); store(t.cbase, t.m + 4u, t.n + 4u, c11);
}

@compute @workgroup_size(WG, WG) fn mm16x8(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = block(wid, lid, 16u, 8u);
  if (t.m >= P.M || t.n >= P.N) { return; }
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c10 = mat4x4f(); var c11 = mat4x4f();
  var c20 = mat4x4f(); var c21 = mat4x4f(); var c30 = mat4x4f(); var c31 = mat4x4f();
  for (var k = 0u; k < t.k4; k += 4u) {
    let rb0 = loadB(t.bbase, k, t.n); let rb1 = loadB(t.bbase, k, t.n + 4u);
    let ra0 = loadA(t.abase, t.m, k); c00 += rb0 * ra0; c01 += rb1 * ra0;
    let ra1 = loadA(t.abase, t.m + 4u, k); c10 += rb0 * ra1; c11 += rb1 * ra1;
    let ra2 = loadA(t.abase, t.m + 8u, k); c20 += rb0 * ra2; c21 += rb1 * ra2;
    let ra3 = loadA(t.abase, t.m + 12u, k); c30 += rb0 * ra3; c31 += rb1 * ra3;
  }
  store(t.cbase, t.m, t.n, c00); store(t.cbase, t.m, t.n + 4u, c01);
  store(t.cbase, t.m + 4u, t.n, c10); store(t.cbase, t.m + 4u, t.n + 4u, c11);
  store(t.cbase, t.m + 8u, t.n, c20); store(t.cbase, t.m + 8u, t.n + 4u, c21);
  store(t.cbase, t.m + 12u, t.n, c30); store(t.cbase, t.m + 12u, t.n + 4u, c31);
}

@compute @workgroup_size(WG, WG) fn mm16x16(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = block(wid, lid, 16u, 16u);
  if (t.m >= P.M || t.n >= P.N) { return; }
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c02 = mat4x4f(); var c03 = mat4x4f(); var c10 = mat4x4f(); var c11 = mat4x4f(); var c12 = mat4x4f(); var c13 = mat4x4f();
  var c20 = mat4x4f(); var c21 = mat4x4f(); var c22 = mat4x4f(); var c23 = mat4x4f(); var c30 = mat4x4f(); var c31 = mat4x4f(); var c32 = mat4x4f(); var c33 = mat4x4f();
  for (var k = 0u; k < t.k4; k += 4u) {
    let rb0 = loadB(t.bbase, k, t.n); let rb1 = loadB(t.bbase, k, t.n + 4u);
    let rb2 = loadB(t.bbase, k, t.n + 8u); let rb3 = loadB(t.bbase, k, t.n + 12u);
    let ra0 = loadA(t.abase, t.m, k); c00 += rb0 * ra0; c01 += rb1 * ra0; c02 += rb2 * ra0; c03 += rb3 * ra0;
    let ra1 = loadA(t.abase, t.m + 4u, k); c10 += rb0 * ra1; c11 += rb1 * ra1; c12 += rb2 * ra1; c13 += rb3 * ra1;
    let ra2 = loadA(t.abase, t.m + 8u, k); c20 += rb0 * ra2; c21 += rb1 * ra2; c22 += rb2 * ra2; c23 += rb3 * ra2;
    let ra3 = loadA(t.abase, t.m + 12u, k); c30 += rb0 * ra3; c31 += rb1 * ra3; c32 += rb2 * ra3; c33 += rb3 * ra3;
  }
  store(t.cbase, t.m, t.n, c00); store(t.cbase, t.m, t.n + 4u, c01); store(t.cbase, t.m, t.n + 8u, c02); store(t.cbase, t.m, t.n + 12u, c03);
  store(t.cbase, t.m + 4u, t.n, c10); store(t.cbase, t.m + 4u, t.n + 4u, c11); store(t.cbase, t.m + 4u, t.n + 8u, c12); store(t.cbase, t.m + 4u, t.n + 12u, c13);
  store(t.cbase, t.m + 8u, t.n, c20); store(t.cbase, t.m + 8u, t.n + 4u, c21); store(t.cbase, t.m + 8u, t.n + 8u, c22); store(t.cbase, t.m + 8u, t.n + 12u, c23);
  store(t.cbase, t.m + 12u, t.n, c30); store(t.cbase, t.m + 12u, t.n + 4u, c31); store(t.cbase, t.m + 12u, t.n + 8u, c32); store(t.cbase, t.m + 12u, t.n + 12u, c33);
}

// ---- the last K % 4 steps of k ----------------------------------------------------------------
// out += alpha · op(a)[:, K4..K) @ op(b)[K4..K, :] with K4 = K & ~3: one invocation per output
// element, run after the blocked kernel when K % 4 ≠ 0 (same grid rules, 8×8 elements per
// workgroup). Kept out of the blocked kernels: a peeled tail there doubles their code, and
// SwiftShader's compile time grows with code size (seconds for the 16×16 block).
fn elemA(base: u32, m: u32, k: u32) -> f32 {
  if (TA == 1u) { return a1[base + k * P.M + m]; }
  return a1[base + m * P.K + k];
}
fn elemB(base: u32, k: u32, n: u32) -> f32 {
  if (TB == 1u) { return b1[base + n * P.K + k]; }
  return b1[base + k * P.N + n];
}
@compute @workgroup_size(WG, WG) fn ktail(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  _ = a4[0]; _ = b4[0]; _ = bias[0];   // same bindings as the blocked kernels
  let t = block(wid, lid, 1u, 1u);
  if (t.m >= P.M || t.n >= P.N) { return; }
  var s = 0.0;
  for (var k = t.k4; k < P.K; k++) { s = fma(elemA(t.abase, t.m, k), elemB(t.bbase, k, t.n), s); }
  let i = t.cbase + t.m * P.N + t.n;
  out[i] += P.alpha * s;
}
