// The fused LM head's per-chunk kernels (the vocab-chunked projection + log-softmax of
// src/model/lm-head.ts: nothing of size N×V is ever formed). A chunk holds the logits
// (N, Vc) of vocabulary ids [v0, v0+Vc), row-major; targets (N) i32 are global ids.
// Task = `rows` rows. exp is exp4/exp1 (common.ts).
//   lh_chunk_stats    state (N,3) per row = [m, s, t]: running max m, s = Σ exp(x − m) over
//                     the chunks seen, t = the target's logit (kept until its chunk comes).
//                     first ≠ 0: set from this chunk (the old state is never read), else
//                     merged: m' = max(m, mc), s' = s·exp(m − m') + sc·exp(mc − m').
//   lh_chunk_finish   lse (N) = m + log s; logp (N) = t − lse where 0 ≤ target < V, else 0.
//   lh_chunk_backward dlogits (N,Vc) = dlogp[n]·(onehot(target − v0) − exp(x − lse[n]));
//                     all zero on a row whose target is outside [0, V).
import { at, exp1, exp4, hmax, hsum, min32 } from './common';

export function lh_chunk_stats(task: i32, tid: i32, state: usize, logits: usize, targets: usize, N: i32, Vc: i32, v0: i32, first: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(logits, r * Vc);
    // chunk max
    let mv = f32x4.splat(-Infinity); let i = 0;
    for (; i + 4 <= Vc; i += 4) mv = f32x4.max(mv, v128.load(at(xr, i)));
    let mc = hmax(mv);
    for (; i < Vc; i++) mc = max(mc, load<f32>(at(xr, i)));
    // chunk Σ exp(x − mc)
    const mcv = f32x4.splat(mc);
    let av = f32x4.splat(0); i = 0;
    for (; i + 4 <= Vc; i += 4) av = f32x4.add(av, exp4(f32x4.sub(v128.load(at(xr, i)), mcv)));
    let sc = hsum(av);
    for (; i < Vc; i++) sc += exp1(load<f32>(at(xr, i)) - mc);
    const st = at(state, r * 3);
    let m = mc, s = sc, t: f32 = 0;
    if (!first) {
      const m0 = load<f32>(st), s0 = load<f32>(st, 4);
      t = load<f32>(st, 8);
      m = max(m0, mc);
      s = s0 * exp1(m0 - m) + sc * exp1(mc - m);
    }
    const tc = load<i32>(at(targets, r)) - v0;
    if (tc >= 0 && tc < Vc) t = load<f32>(at(xr, tc));
    store<f32>(st, m); store<f32>(st, s, 4); store<f32>(st, t, 8);
  }
}

export function lh_chunk_finish(task: i32, tid: i32, logp: usize, lse: usize, state: usize, targets: usize, N: i32, V: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const st = at(state, r * 3);
    const l: f32 = load<f32>(st) + Mathf.log(load<f32>(st, 4));
    store<f32>(at(lse, r), l);
    const tg = load<i32>(at(targets, r));
    store<f32>(at(logp, r), tg >= 0 && tg < V ? load<f32>(st, 8) - l : 0);
  }
}

export function lh_chunk_backward(task: i32, tid: i32, dlogits: usize, logits: usize, targets: usize, lse: usize, dlogp: usize, N: i32, Vc: i32, v0: i32, V: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(logits, r * Vc), dr = at(dlogits, r * Vc);
    const tg = load<i32>(at(targets, r));
    if (tg < 0 || tg >= V) { memory.fill(dr, 0, <usize>Vc << 2); continue; }
    const g = load<f32>(at(dlogp, r)), l = load<f32>(at(lse, r));
    const gv = f32x4.splat(-g), lv = f32x4.splat(l);
    let i = 0;
    for (; i + 4 <= Vc; i += 4) v128.store(at(dr, i), f32x4.mul(gv, exp4(f32x4.sub(v128.load(at(xr, i)), lv))));
    for (; i < Vc; i++) store<f32>(at(dr, i), -g * exp1(load<f32>(at(xr, i)) - l));
    const tc = tg - v0;
    if (tc >= 0 && tc < Vc) store<f32>(at(dr, tc), g - g * exp1(load<f32>(at(xr, tc)) - l));
  }
}
