// Softmax family over rows of x (N, cols), row-major. Task = `rows` rows. exp is exp4
// (common.ts): f32x4, relative error < 3e-7.
//   sm_softmax           out = exp(x − max) / Σ exp(x − max)
//   sm_softmax_backward  dx = y ⊙ (dy − Σ dy⊙y)
//   sm_log_softmax       out = x − max − log Σ exp(x − max)
//   sm_token_logprobs    logits (N,V), targets (N) i32 → lse (N) = max + log Σ exp(x − max),
//                        logp (N) = x[target] − lse; target < 0 (ignored) → logp = 0.
//   sm_token_logprobs_backward  dlogits = dlogp[n]·(onehot(target) − exp(x − lse));
//                        rows with target < 0 → 0.
import { at, exp1, exp4, hmax, hsum, min32 } from './common';

function rowMax(x: usize, C: i32): f32 {
  let m = f32x4.splat(-Infinity); let i = 0;
  for (; i + 4 <= C; i += 4) m = f32x4.max(m, v128.load(at(x, i)));
  let s = hmax(m);
  for (; i < C; i++) s = max(s, load<f32>(at(x, i)));
  return s;
}

/** Σ exp(x − m) over a row; when o ≠ 0 also stores exp(x − m) to o */
function rowSumExp(o: usize, x: usize, C: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let a = f32x4.splat(0); let i = 0;
  for (; i + 4 <= C; i += 4) {
    const e = exp4(f32x4.sub(v128.load(at(x, i)), mv));
    if (o) v128.store(at(o, i), e);
    a = f32x4.add(a, e);
  }
  let s = hsum(a);
  for (; i < C; i++) {
    const e = exp1(load<f32>(at(x, i)) - m);
    if (o) store<f32>(at(o, i), e);
    s += e;
  }
  return s;
}

export function sm_softmax(task: i32, tid: i32, out: usize, x: usize, N: i32, C: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(x, r * C), orow = at(out, r * C);
    const s = rowSumExp(orow, xr, C, rowMax(xr, C));
    const inv: f32 = 1.0 / s;
    const iv = f32x4.splat(inv);
    let i = 0;
    for (; i + 4 <= C; i += 4) v128.store(at(orow, i), f32x4.mul(v128.load(at(orow, i)), iv));
    for (; i < C; i++) store<f32>(at(orow, i), load<f32>(at(orow, i)) * inv);
  }
}

export function sm_softmax_backward(task: i32, tid: i32, dx: usize, y: usize, dy: usize, N: i32, C: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const yr = at(y, r * C), dyr = at(dy, r * C), dxr = at(dx, r * C);
    let a = f32x4.splat(0); let i = 0;
    for (; i + 4 <= C; i += 4) a = f32x4.add(a, f32x4.mul(v128.load(at(dyr, i)), v128.load(at(yr, i))));
    let s = hsum(a);
    for (; i < C; i++) s += load<f32>(at(dyr, i)) * load<f32>(at(yr, i));
    const sv = f32x4.splat(s);
    i = 0;
    for (; i + 4 <= C; i += 4) v128.store(at(dxr, i), f32x4.mul(v128.load(at(yr, i)), f32x4.sub(v128.load(at(dyr, i)), sv)));
    for (; i < C; i++) store<f32>(at(dxr, i), load<f32>(at(yr, i)) * (load<f32>(at(dyr, i)) - s));
  }
}

export function sm_log_softmax(task: i32, tid: i32, out: usize, x: usize, N: i32, C: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(x, r * C), orow = at(out, r * C);
    const m = rowMax(xr, C);
    const lse: f32 = m + Mathf.log(rowSumExp(0, xr, C, m));
    const lv = f32x4.splat(lse);
    let i = 0;
    for (; i + 4 <= C; i += 4) v128.store(at(orow, i), f32x4.sub(v128.load(at(xr, i)), lv));
    for (; i < C; i++) store<f32>(at(orow, i), load<f32>(at(xr, i)) - lse);
  }
}

export function sm_token_logprobs(task: i32, tid: i32, logp: usize, lse: usize, logits: usize, targets: usize, N: i32, V: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(logits, r * V);
    const m = rowMax(xr, V);
    const l: f32 = m + Mathf.log(rowSumExp(0, xr, V, m));
    store<f32>(at(lse, r), l);
    const t = load<i32>(at(targets, r));
    store<f32>(at(logp, r), t >= 0 && t < V ? load<f32>(at(xr, t)) - l : 0);
  }
}

export function sm_token_logprobs_backward(task: i32, tid: i32, dlogits: usize, logits: usize, targets: usize, lse: usize, dlogp: usize, N: i32, V: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const xr = at(logits, r * V), dr = at(dlogits, r * V);
    const t = load<i32>(at(targets, r));
    if (t < 0 || t >= V) { memory.fill(dr, 0, <usize>V << 2); continue; }
    const g = load<f32>(at(dlogp, r)), l = load<f32>(at(lse, r));
    const gv = f32x4.splat(-g), lv = f32x4.splat(l);
    let i = 0;
    for (; i + 4 <= V; i += 4) v128.store(at(dr, i), f32x4.mul(gv, exp4(f32x4.sub(v128.load(at(xr, i)), lv))));
    for (; i < V; i++) store<f32>(at(dr, i), -g * exp1(load<f32>(at(xr, i)) - l));
    store<f32>(at(dr, t), g - g * exp1(load<f32>(at(xr, t)) - l));
  }
}
