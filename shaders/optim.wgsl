// Optimizer steps, in place on the parameters and their state, one thread per 4 elements, with
// torch.optim's formulas (the host folds the step-dependent scalars into Params).
//
//   adamw:   p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
//            p ← p − (lr/(1−β1ᵗ))·m / (sqrt(v)/sqrt(1−β2ᵗ) + eps)
//   rmsprop: g ← g + wd·p; v ← α·v + (1−α)·g²; a = sqrt(v) + eps;
//            momentum: buf ← μ·buf + g/a, p ← p − lr·buf;  else p ← p − lr·g/a
//   sgd:     g ← g + wd·p; momentum: buf ← g (first step) or μ·buf + (1−dampening)·g,
//            d = g + μ·buf (nesterov) or buf;  else d = g;  p ← p − lr·d
// *_clip variants scale g first by min(1, max_norm / sqrt(normSq[0])): global-norm clipping
// read on the device (normSq (1) = Σ g² over all parameters, e.g. from sumSquares).
//
// Bindings, consecutive per entry: 1 param, 2 grad, then the state tensors (3, 4), then
// normSq last (3, 4 or 5). Tensors are read as array<vec4f>, P.n = ceil(n/4): they are padded
// to 16 bytes (context.ts), and lanes past n only touch that padding.
// Grid: 1-D over ceil(n/4), WG threads, folded 2-D (i = gid.x + gid.y·nwg.x·WG).
const WG: u32 = 256u;

struct Params {
  n: u32, lr: f32, wd: f32, max_norm: f32,
  // adamw: a = β1, b = β2, c = eps, d = step_size = lr/(1−β1ᵗ), e = sqrt(1−β2ᵗ),
  //        f = decay = 1 − lr·wd, g = 1 − β1, h = 1 − β2
  // rmsprop: a = α, b = 1 − α, c = eps, d = momentum
  // sgd: a = momentum, b = 1 − dampening, c = 1 on the first step, d = 1 for nesterov
  // 1 − β and 1 − α come from the host in float64: from an f32 β2 = 0.999 it would be off by 1e-5
  a: f32, b: f32, c: f32, d: f32, e: f32, f: f32, g: f32, h: f32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> s1: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> s2: array<vec4f>;
@group(0) @binding(3) var<storage, read> norm3: array<f32>;
@group(0) @binding(4) var<storage, read> norm4: array<f32>;
@group(0) @binding(5) var<storage, read> norm5: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// min(1, max_norm / sqrt(normSq)); 1 when the norm is 0 (or NaN: the gradients carry it)
fn clip_scale(norm_sq: f32) -> f32 {
  let norm = sqrt(norm_sq);
  return select(1.0, P.max_norm / norm, norm > P.max_norm);
}

// ---- AdamW: s1 = m, s2 = v ----------------------------------------------------------------
fn adamw_step(i: u32, scale: f32) {
  let g = grad[i] * scale;
  let p = param[i] * P.f;
  let m = P.a * s1[i] + P.g * g;
  let v = P.b * s2[i] + P.h * (g * g);
  s1[i] = m;
  s2[i] = v;
  param[i] = p - P.d * (m / (sqrt(v) / P.e + P.c));
}

@compute @workgroup_size(WG) fn adamw(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { adamw_step(i, 1.0); }
}
@compute @workgroup_size(WG) fn adamw_clip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { adamw_step(i, clip_scale(norm5[0])); }
}

// ---- RMSprop: s1 = square average, s2 = momentum buffer -----------------------------------
// returns g / (sqrt(v) + eps) after updating the square average
fn rmsprop_dir(i: u32, scale: f32) -> vec4f {
  var g = grad[i] * scale;
  if (P.wd != 0.0) { g = g + P.wd * param[i]; }
  let v = P.a * s1[i] + P.b * (g * g);
  s1[i] = v;
  return g / (sqrt(v) + P.c);
}

@compute @workgroup_size(WG) fn rmsprop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { param[i] = param[i] - P.lr * rmsprop_dir(i, 1.0); }
}
@compute @workgroup_size(WG) fn rmsprop_clip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { param[i] = param[i] - P.lr * rmsprop_dir(i, clip_scale(norm4[0])); }
}

fn rmsprop_momentum_step(i: u32, scale: f32) {
  let buf = P.d * s2[i] + rmsprop_dir(i, scale);
  s2[i] = buf;
  param[i] = param[i] - P.lr * buf;
}
@compute @workgroup_size(WG) fn rmsprop_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { rmsprop_momentum_step(i, 1.0); }
}
@compute @workgroup_size(WG) fn rmsprop_momentum_clip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { rmsprop_momentum_step(i, clip_scale(norm5[0])); }
}

// ---- SGD: s1 = momentum buffer ----------------------------------------------------------------
fn sgd_grad(i: u32, scale: f32) -> vec4f {
  var g = grad[i] * scale;
  if (P.wd != 0.0) { g = g + P.wd * param[i]; }
  return g;
}

@compute @workgroup_size(WG) fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { param[i] = param[i] - P.lr * sgd_grad(i, 1.0); }
}
@compute @workgroup_size(WG) fn sgd_clip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { param[i] = param[i] - P.lr * sgd_grad(i, clip_scale(norm3[0])); }
}

fn sgd_momentum_step(i: u32, scale: f32) {
  let g = sgd_grad(i, scale);
  var buf = g;
  if (P.c == 0.0) { buf = P.a * s1[i] + P.b * g; }
  s1[i] = buf;
  var d = buf;
  if (P.d != 0.0) { d = g + P.a * buf; }
  param[i] = param[i] - P.lr * d;
}
@compute @workgroup_size(WG) fn sgd_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { sgd_momentum_step(i, 1.0); }
}
@compute @workgroup_size(WG) fn sgd_momentum_clip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < P.n) { sgd_momentum_step(i, clip_scale(norm4[0])); }
}
