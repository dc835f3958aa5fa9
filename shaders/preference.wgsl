// Preference losses over per-record sequence log-probs (the SPPO gradient op).
//   logp, ref, target, weight, loss, dlogp: (R) f32; r = logp − ref.
//   KIND (define) 0 square: loss_i = w_i (r_i − t_i)², dlogp_i = 2 w_i (r_i − t_i)
//        1 dpo, 2 ipo, 3 hinge: pairs (2j, 2j+1) = (winner, loser), z = r_w − r_l,
//          ℓ_j weighted by w_{2j}; loss on the winner's slot, 0 on the loser's; dlogp = ±w ∂ℓ/∂z.
//        4 magnetic: SPPO's square loss toward a magnet μ (mu (R) f32 = Σ log μ(y|x); c = ηα ≥ 0):
//          r_i = logp_i − [ref_i + c·mu_i]/(1+c), written ref_i + λ(mu_i − ref_i) with λ = c/(1+c)
//          (exactly the square loss when mu = ref); loss and dlogp as in square.
// Grid: one thread per record (square) or per pair (pairwise), 1-D in workgroups of 64.
struct Params { R: u32, beta: f32, eps: f32, c: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> dlogp: array<f32>;
@group(0) @binding(3) var<storage, read> logp: array<f32>;
@group(0) @binding(4) var<storage, read> ref_: array<f32>;
@group(0) @binding(5) var<storage, read> tgt: array<f32>;
@group(0) @binding(6) var<storage, read> weight: array<f32>;
@group(0) @binding(7) var<storage, read> mu: array<f32>;

// log(1 + t) for t in [0, 1]: log(1 + t) loses t's low bits when t is small (1 + t rounds), so
// below 0.05 a 4-term series (error < t⁵/5, relative < 1.3e-6)
fn log1p_unit(t: f32) -> f32 {
  if (t < 0.05) { return t * (1.0 - t * (0.5 - t * (1.0 / 3.0 - t * 0.25))); }
  return log(1.0 + t);
}
// log σ(x) without overflow or cancellation: min(x, 0) − log1p(exp(−|x|))
fn log_sigmoid(x: f32) -> f32 { return min(x, 0.0) - log1p_unit(exp(-abs(x))); }
fn sigmoid(x: f32) -> f32 { return select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0); }

@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (KIND == 0u || KIND == 4u) {
    if (i >= P.R) { return; }
    var m = 0.0;
    if (KIND == 4u) { m = P.c / (1.0 + P.c) * (mu[i] - ref_[i]); }
    let d = logp[i] - ref_[i] - m - tgt[i];
    loss[i] = weight[i] * d * d;
    dlogp[i] = 2.0 * weight[i] * d;
    return;
  }
  if (i >= P.R / 2u) { return; }
  let w = 2u * i;
  let l = w + 1u;
  let z = (logp[w] - ref_[w]) - (logp[l] - ref_[l]);
  let wt = weight[w];
  var v = 0.0;
  var g = 0.0;
  if (KIND == 1u) {
    let bz = P.beta * z;
    v = -(1.0 - P.eps) * log_sigmoid(bz) - P.eps * log_sigmoid(-bz);
    g = -(1.0 - P.eps) * P.beta * sigmoid(-bz) + P.eps * P.beta * sigmoid(bz);
  } else if (KIND == 2u) {
    let d = z - 1.0 / (2.0 * P.beta);
    v = d * d;
    g = 2.0 * d;
  } else {
    let h = 1.0 - P.beta * z;
    v = max(h, 0.0);
    g = select(0.0, -P.beta, h > 0.0);
  }
  loss[w] = wt * v;
  loss[l] = 0.0;
  dlogp[w] = wt * g;
  dlogp[l] = -wt * g;
}
