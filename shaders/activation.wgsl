// Activations, forward and backward, elementwise over n f32 values.
//
//   silu:            out = x·σ(x)                     σ(x) = 1/(1+exp(−x))
//   silu_backward:   dx = dout·σ(x)·(1 + x·(1−σ(x)))
//   swiglu:          out = silu(gate)·up
//   swiglu_backward: dgate = dout·up·σ(g)·(1 + g·(1−σ(g))), dup = dout·silu(g)
//   gelu:            GELU, tanh form (GPT-2 gelu_new): 0.5·x·(1 + tanh(u)),
//                    u = √(2/π)·(x + 0.044715·x³). Computed as x·σ(2u) (the same function,
//                    since 1 + tanh(u) = 2σ(2u)): no tanh, whose sinh/cosh form overflows to
//                    NaN on some drivers, and no 1 + tanh cancellation for negative x.
//   gelu_erf:        exact GELU x·Φ(x), Φ(x) = ½erfc(−x/√2); erfc(a), a ≥ 0, as
//                    t·exp(−a² + P(t)), t = 1/(1 + a/2), P the degree-9 Chebyshev fit of
//                    Numerical Recipes' erfcc (fractional error < 1.2e-7); Φ = 1 − ½erfc(|x|/√2)
//                    for x ≥ 0, ½erfc(|x|/√2) for x < 0 (the negative tail keeps its accuracy).
//   gelu_erf_backward: dx = dout·(Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π)
//   gelu_backward:   dx = dout·(s + 2·x·s·(1−s)·u'), s = σ(2u), u' = √(2/π)·(1 + 3·0.044715·x²)
//   geglu:           out = gelu(gate)·up                       (Gemma's MLP, gelu_pytorch_tanh)
//   geglu_backward:  dgate = dout·up·gelu'(g), dup = dout·gelu(g)
//
// Layout: every tensor is read as array<vec4f>; P.n = ceil(n/4) vec4s. Tensors are padded to
// 16 bytes (context.ts), so the last vec4 stays inside the buffer; its lanes past n compute on
// padding that nobody reads. (vec4 per thread ran 2.2× faster than one f32 per thread on
// SwiftShader; on GPUs it is a 16-byte coalesced access.)
// Grid: 1-D over ceil(n/4) in workgroups of WG threads, folded 2-D when it exceeds the
// per-dimension limit (linear index = gid.x + gid.y·nwg.x·WG). Variants: none (memory-bound).
const WG: u32 = 256u;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;

struct Params { n: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<storage, read> a: array<vec4f>;
@group(0) @binding(3) var<storage, read> b: array<vec4f>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

fn sigmoid(x: vec4f) -> vec4f { return 1.0 / (1.0 + exp(-x)); }

// silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
fn silu_grad(x: vec4f) -> vec4f {
  let s = sigmoid(x);
  return s * (1.0 + x * (1.0 - s));
}

// out = silu(a)
@compute @workgroup_size(WG) fn silu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let x = a[i]; out[i] = x * sigmoid(x); }
}

// out = dx; a = x, b = dout
@compute @workgroup_size(WG) fn silu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { out[i] = b[i] * silu_grad(a[i]); }
}

// out = silu(a = gate)·(b = up)
@compute @workgroup_size(WG) fn swiglu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let g = a[i]; out[i] = g * sigmoid(g) * b[i]; }
}

// out = dgate, out2 = dup; a = gate, b = up, dout
@group(0) @binding(4) var<storage, read_write> out2: array<vec4f>;
@group(0) @binding(5) var<storage, read> dout: array<vec4f>;

@compute @workgroup_size(WG) fn swiglu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) {
    let g = a[i];
    let d = dout[i];
    let s = sigmoid(g);
    out[i] = d * b[i] * (s * (1.0 + g * (1.0 - s)));
    out2[i] = d * (g * s);
  }
}

// σ(2u) for GELU
fn gelu_s(x: vec4f) -> vec4f {
  let u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
  return sigmoid(2.0 * u);
}

@compute @workgroup_size(WG) fn gelu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let x = a[i]; out[i] = x * gelu_s(x); }
}

// out = dx; a = x, b = dout
@compute @workgroup_size(WG) fn gelu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) {
    let x = a[i];
    let s = gelu_s(x);
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x * x);
    out[i] = b[i] * (s + 2.0 * x * s * (1.0 - s) * du);
  }
}

fn half_erfc_abs(x: vec4f) -> vec4f {
  let a = abs(x) * 0.7071067811865476;
  let t = 1.0 / (1.0 + 0.5 * a);
  var p = vec4f(0.17087277);
  p = -0.82215223 + t * p;
  p = 1.48851587 + t * p;
  p = -1.13520398 + t * p;
  p = 0.27886807 + t * p;
  p = -0.18628806 + t * p;
  p = 0.09678418 + t * p;
  p = 0.37409196 + t * p;
  p = 1.00002368 + t * p;
  p = -1.26551223 + t * p;
  return 0.5 * t * exp(p - a * a);
}
fn phi_cdf(x: vec4f) -> vec4f {
  let h = half_erfc_abs(x);
  return select(h, 1.0 - h, x >= vec4f(0.0));
}

// out = a·Φ(a)
@compute @workgroup_size(WG) fn gelu_erf(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let x = a[i]; out[i] = x * phi_cdf(x); }
}

// out = dx; a = x, b = dout
@compute @workgroup_size(WG) fn gelu_erf_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) {
    let x = a[i];
    let pdf = 0.3989422804014327 * exp(-0.5 * x * x);
    out[i] = b[i] * (phi_cdf(x) + x * pdf);
  }
}

// out = gelu(a = gate)·(b = up)
@compute @workgroup_size(WG) fn geglu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { let g = a[i]; out[i] = g * gelu_s(g) * b[i]; }
}

// out = dgate, out2 = dup; a = gate, b = up, dout
@compute @workgroup_size(WG) fn geglu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) {
    let g = a[i];
    let d = dout[i];
    let s = gelu_s(g);
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * g * g);
    out[i] = d * b[i] * (s + 2.0 * g * s * (1.0 - s) * du);
    out2[i] = d * (g * s);
  }
}
