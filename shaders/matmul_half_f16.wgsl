enable f16;
// Matmul with an f16 weight read natively (shader-f16): out = alpha · op(a) @ op(b) (+ bias)
// (+ out), b f16, everything else f32, accumulation in f32 — matmul_half.wgsl's kernel
// (matmul_half_core.wgsl: shapes, grid, defines PAIR/TA/TB) with b bound as array<f16> instead
// of u32 words: one load per element, the widening done by the hardware. Used for f16 weights
// where the device has the shader-f16 feature (ops/matmul.ts); bf16 has no WGSL type and keeps
// the packed kernel. h16 is an alias so that the same source compiles with f32 storage (the
// test that runs everywhere checks the indexing that way; the f16 form runs where the feature is).

alias h16 = f16;
@group(0) @binding(3) var<storage, read> w: array<h16>;

/** element i of b, widened to f32 (exact) */
fn half(i: u32) -> f32 { return f32(w[i]); }

/** elements i and i+1 of b */
fn pair(i: u32) -> vec2f { return vec2f(f32(w[i]), f32(w[i + 1u])); }

//#include matmul_half_core
