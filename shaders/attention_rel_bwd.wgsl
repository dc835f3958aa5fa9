// DeBERTa disentangled self-attention, backward (forward: attention_rel.wgsl). With
//   s_ij = scale·(q_i·k_j + c2p·q_i·posK[r] + p2c·k_j·posQ[r]),  r = rel[i,j] clamped into [0,R),
//   P_ij = exp(s_ij − lse_i) over unmasked keys (0 elsewhere), out_i = Σ_j P_ij v_j:
//   delta_i = dout_i·out_i,  dS_ij = P_ij·(dout_i·v_j − delta_i)
//   dv_j = Σ_i P_ij dout_i
//   dq_i = scale·Σ_j dS_ij (k_j + c2p·posK[r_ij])
//   dk_j = scale·Σ_i dS_ij (q_i + p2c·posQ[r_ij])
//   dposK[r] = scale·c2p·Σ_{b,i,j: r_ij = r} dS_ij q_i,  dposQ[r] = scale·p2c·Σ dS_ij k_j
// Entry points, run in this order by src/kernels/webgpu/ops/attention-rel.ts:
//   stats   (B·H·T threads)  st (B,H,T,3) = [lse_i, delta_i, key i unmasked ? 1 : 0]
//   probs   (B·H·T)          P (B,H,T,T): row i of head h
//   dv      (B·H·T)          dv row j: Σ_i P_ij dout_i
//   dscores (B·H·T)          P → dS in place, row i
//   dq      (B·H·T)          dq row i
//   dk      (B·H·T)          dk row j
//   dpos    (H·D threads)    column d of head h of dpos (R,2,H,D), over every (b, i, j) in a fixed
//                            order: each output written by one thread, no atomics
// Bindings are shared and bound in order from 1: 1 the output (read-write), 2 the i32 input (the
// key mask for stats, rel elsewhere; dv and dscores only touch it), 3..6 f32 inputs a..d; each
// entry names what it binds there. Tensors (B,T,H,D)
// as in the forward. Grid: ceil(threads / 64) workgroups of 64.
struct Params { B: u32, T: u32, H: u32, D: u32, R: u32, c2p: f32, p2c: f32, scale: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> ix: array<i32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> c: array<f32>;
@group(0) @binding(6) var<storage, read> d: array<f32>;

struct Row { b: u32, h: u32, i: u32 }
fn rowOf(row: u32) -> Row { return Row(row / (P.T * P.H), (row / P.T) % P.H, row % P.T); }
fn vbase(bb: u32, t: u32, h: u32) -> u32 { return ((bb * P.T + t) * P.H + h) * P.D; }
fn relRow(i: u32, j: u32) -> u32 { return u32(clamp(ix[i * P.T + j], 0, i32(P.R) - 1)); }
fn posK(r: u32, h: u32) -> u32 { return (r * 2u) * P.H * P.D + h * P.D; }
fn posQ(r: u32, h: u32) -> u32 { return (r * 2u + 1u) * P.H * P.D + h * P.D; }

// o = st, a = out, b = dout, c = lse, ix = key mask (B,T)
@compute @workgroup_size(64) fn stats(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);
  let base = vbase(w.b, w.i, w.h);
  var s = 0.0;
  for (var e = 0u; e < P.D; e++) { s += a[base + e] * b[base + e]; }
  o[3u * gid.x] = c[gid.x];
  o[3u * gid.x + 1u] = s;
  o[3u * gid.x + 2u] = select(0.0, 1.0, ix[w.b * P.T + w.i] != 0);
}

// o = P, a = q, b = k, c = pos, d = st, ix = rel
@compute @workgroup_size(64) fn probs(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);
  let qb = vbase(w.b, w.i, w.h);
  let lse = d[3u * gid.x];
  let stRow = (w.b * P.H + w.h) * P.T;
  for (var j = 0u; j < P.T; j++) {
    var p = 0.0;
    if (d[3u * (stRow + j) + 2u] != 0.0) {
      let kb = vbase(w.b, j, w.h);
      let r = relRow(w.i, j);
      let pk = posK(r, w.h);
      let pq = posQ(r, w.h);
      var s = 0.0; var sc = 0.0; var sp = 0.0;
      for (var e = 0u; e < P.D; e++) {
        s += a[qb + e] * b[kb + e];
        sc += a[qb + e] * c[pk + e];
        sp += b[kb + e] * c[pq + e];
      }
      p = exp(P.scale * (s + P.c2p * sc + P.p2c * sp) - lse);
    }
    o[gid.x * P.T + j] = p;
  }
}

// o = dv, ix = rel (unused), a = P, b = dout
@compute @workgroup_size(64) fn dv(@builtin(global_invocation_id) gid: vec3u) {
  _ = ix[0];
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);   // w.i is the key j here
  let pRow0 = (w.b * P.H + w.h) * P.T;
  let out = vbase(w.b, w.i, w.h);
  for (var e = 0u; e < P.D; e++) {
    var s = 0.0;
    for (var i = 0u; i < P.T; i++) { s += a[(pRow0 + i) * P.T + w.i] * b[vbase(w.b, i, w.h) + e]; }
    o[out + e] = s;
  }
}

// o = P → dS (in place), ix = rel (unused), a = dout, b = v, c = st
@compute @workgroup_size(64) fn dscores(@builtin(global_invocation_id) gid: vec3u) {
  _ = ix[0];
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);
  let ob = vbase(w.b, w.i, w.h);
  let delta = c[3u * gid.x + 1u];
  for (var j = 0u; j < P.T; j++) {
    let p = o[gid.x * P.T + j];
    if (p == 0.0) { continue; }
    let vb = vbase(w.b, j, w.h);
    var dp = 0.0;
    for (var e = 0u; e < P.D; e++) { dp += a[ob + e] * b[vb + e]; }
    o[gid.x * P.T + j] = p * (dp - delta);
  }
}

// o = dq, a = dS, b = k, c = pos, ix = rel
@compute @workgroup_size(64) fn dq(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);
  let out = vbase(w.b, w.i, w.h);
  for (var e = 0u; e < P.D; e++) {
    var s = 0.0;
    for (var j = 0u; j < P.T; j++) {
      let g = a[gid.x * P.T + j];
      s += g * (b[vbase(w.b, j, w.h) + e] + P.c2p * c[posK(relRow(w.i, j), w.h) + e]);
    }
    o[out + e] = P.scale * s;
  }
}

// o = dk, a = dS, b = q, c = pos, ix = rel
@compute @workgroup_size(64) fn dk(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.B * P.H * P.T) { return; }
  let w = rowOf(gid.x);   // w.i is the key j here
  let pRow0 = (w.b * P.H + w.h) * P.T;
  let out = vbase(w.b, w.i, w.h);
  for (var e = 0u; e < P.D; e++) {
    var s = 0.0;
    for (var i = 0u; i < P.T; i++) {
      let g = a[(pRow0 + i) * P.T + w.i];
      s += g * (b[vbase(w.b, i, w.h) + e] + P.p2c * c[posQ(relRow(i, w.i), w.h) + e]);
    }
    o[out + e] = P.scale * s;
  }
}

// o = dpos, a = dS, b = q, c = k, ix = rel; thread (h, e)
@compute @workgroup_size(64) fn dpos(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.H * P.D) { return; }
  let h = gid.x / P.D;
  let e = gid.x % P.D;
  for (var r = 0u; r < P.R; r++) { o[posK(r, h) + e] = 0.0; o[posQ(r, h) + e] = 0.0; }
  let kc = P.scale * P.c2p;
  let kp = P.scale * P.p2c;
  for (var bb = 0u; bb < P.B; bb++) {
    let pRow0 = (bb * P.H + h) * P.T;
    for (var i = 0u; i < P.T; i++) {
      let qi = b[vbase(bb, i, h) + e];
      for (var j = 0u; j < P.T; j++) {
        let g = a[(pRow0 + i) * P.T + j];
        if (g == 0.0) { continue; }
        let r = relRow(i, j);
        o[posK(r, h) + e] += kc * g * qi;
        o[posQ(r, h) + e] += kp * g * c[vbase(bb, j, h) + e];
      }
    }
  }
}
