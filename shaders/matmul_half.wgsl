// Matmul with a 16-bit weight: out = alpha · op(a) @ op(b) (+ bias) (+ out), b bf16 or f16,
// everything else f32, accumulation in f32 — a frozen weight (LoRA base, reference policy,
// judge) read at half the bytes.
//   a: (batch, M, K) row-major, or (batch, K, M) when TA      — op(a) is (M, K)
//   b: (batch, K, N) row-major, or (batch, N, K) when TB      — op(b) is (K, N); P.bStride = 0
//      when one matrix serves every batch entry. b is packed two per u32 word (element i in the
//      low 16 bits of word i/2 when i is even, the high 16 bits when odd); without shader-f16
//      it is unpacked here: bf16 by a shift into the top of an f32, f16 by unpack2x16float.
//   bias: (N) added to every row when P.flags bit 0; out += result when bit 1.
// Each invocation computes a 4×4 block of out (rows m..m+3, columns n..n+3) over all of K with
// no workgroup memory and no barriers (SwiftShader-friendly, like matmul.wgsl's mm4x4); the
// K % 4 tail needs no second pass. Rows/columns past M/N are loaded clamped and never stored.
// Grid: workgroups of 8×8 invocations: x over ceil(N / 32), y over ceil(M / 32), z over batch;
// P.wg0 offsets a chunk of the grid (matmul-plan.ts splits grids beyond the adapter's limit).
// Defines: TA, TB (operand transposed), HALF (1 bf16, 2 f16), PAIR (1 when b's contiguous
// dimension — K with TB, else N — is even: then whole u32 words are loaded, two halves each:
// with TB a k-step of 2, else the block's 4 columns from 2 words).
// Variants: this file (b packed in u32 words, no feature needed) and matmul_half_f16.wgsl (f16 b
// read natively through an array<f16> binding, where the device has shader-f16); both include
// the kernel itself, matmul_half_core.wgsl, and differ only in how w is bound and read.

@group(0) @binding(3) var<storage, read> w: array<u32>;

/** element i of the 16-bit array w, widened to f32 (exact) */
fn half(i: u32) -> f32 {
  let word = w[i >> 1u];
  let bits = select(word & 0xffffu, word >> 16u, (i & 1u) == 1u);
  if (HALF == 1u) { return bitcast<f32>(bits << 16u); }
  return unpack2x16float(bits).x;
}

/** elements i and i+1 of w (i even: one word) */
fn pair(i: u32) -> vec2f {
  let word = w[i >> 1u];
  if (HALF == 1u) { return vec2f(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u)); }
  return unpack2x16float(word);
}

//#include matmul_half_core
