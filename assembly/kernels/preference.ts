// Preference losses over per-record sequence log-probs (the SPPO gradient op), in f64.
//   logp, ref, target, weight, loss, dlogp: (R) f32; r = logp − ref.
//   kind 0 square: loss_i = w_i (r_i − t_i)², dlogp_i = 2 w_i (r_i − t_i)
//        4 magnetic (SPPO toward a magnet μ, mu: (R) f32 = Σ log μ(y|x), c = ηα ≥ 0, λ = c/(1+c)):
//          r_i = logp_i − [ref_i + c·mu_i]/(1+c) = logp_i − ref_i − λ(mu_i − ref_i) (exact when
//          mu = ref), then loss and dlogp as in square (the reference side is constant in θ)
//        1 dpo, 2 ipo, 3 hinge: pairs (2j, 2j+1) = (winner, loser), z = r_w − r_l, the pair's
//        ℓ_j weighted by w_{2j}: loss on the winner's slot, 0 on the loser's; dlogp = ±w ∂ℓ/∂z.
//          dpo   ℓ = −(1−ε) log σ(βz) − ε log σ(−βz)
//          ipo   ℓ = (z − 1/(2β))²
//          hinge ℓ = max(0, 1 − βz)
// Tasks: PREF_ROWS records (square) or pairs (pairwise) each.
import { at, min32 } from './common';

export const PREF_ROWS = 4096;

/** log σ(x) = min(x, 0) − log(1 + exp(−|x|)) */
function logSigmoid(x: f64): f64 { return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))); }
function sigmoid(x: f64): f64 { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

export function pref_loss(task: i32, tid: i32, loss: usize, dlogp: usize, logp: usize, ref: usize, target: usize, weight: usize,
  R: i32, kind: i32, beta: f64, eps: f64, mu: usize, c: f64): void {
  if (kind == 0 || kind == 4) {
    const lam: f64 = kind == 4 ? c / (1 + c) : 0;
    const i1 = min32(R, (task + 1) * PREF_ROWS);
    for (let i = task * PREF_ROWS; i < i1; i++) {
      const rf = <f64>load<f32>(at(ref, i));
      const m = kind == 4 ? lam * (<f64>load<f32>(at(mu, i)) - rf) : 0;
      const d = <f64>load<f32>(at(logp, i)) - rf - m - <f64>load<f32>(at(target, i));
      const w = <f64>load<f32>(at(weight, i));
      store<f32>(at(loss, i), <f32>(w * d * d));
      store<f32>(at(dlogp, i), <f32>(2 * w * d));
    }
    return;
  }
  const j1 = min32(R >> 1, (task + 1) * PREF_ROWS);
  for (let j = task * PREF_ROWS; j < j1; j++) {
    const wi = 2 * j, li = wi + 1;
    const z = (<f64>load<f32>(at(logp, wi)) - <f64>load<f32>(at(ref, wi))) - (<f64>load<f32>(at(logp, li)) - <f64>load<f32>(at(ref, li)));
    const wt = <f64>load<f32>(at(weight, wi));
    let v: f64 = 0, g: f64 = 0;
    if (kind == 1) {
      const bz = beta * z;
      v = -(1 - eps) * logSigmoid(bz) - eps * logSigmoid(-bz);
      g = -(1 - eps) * beta * sigmoid(-bz) + eps * beta * sigmoid(bz);
    } else if (kind == 2) {
      const d = z - 1 / (2 * beta);
      v = d * d;
      g = 2 * d;
    } else {
      const hh = 1 - beta * z;
      v = Math.max(hh, 0);
      g = hh > 0 ? -beta : 0;
    }
    store<f32>(at(loss, wi), <f32>(wt * v));
    store<f32>(at(loss, li), 0);
    store<f32>(at(dlogp, wi), <f32>(wt * g));
    store<f32>(at(dlogp, li), <f32>(-wt * g));
  }
}
