// Causal grouped-query attention, exact softmax per query row, lse saved (flash-attention's
// contract: backward recomputes the probabilities from q, k and lse, never stores T×T).
//   q, out (B,T,H,D); k, v (B,T,KH,D); H % KH == 0, query head h reads kv head h/(H/KH);
//   lse (B,H,T); mask (B,T) i32 (0 = padding key) or 0 for none.
//   Query t attends to keys s ≤ t with mask[b,s] ≠ 0. A query with no such key gets out = 0
//   and lse = emptyLse (given by the host), and no gradient.
//
//   att_forward        task → (b, h, block of QB query rows). Per row: scores S[s] =
//                      scale·q·k_s (0 for masked: −inf), m = max, P = exp(S − m) (exp4),
//                      l = Σ P, out = Σ_s P[s]·v_s / l (s ascending), lse = m + log l.
//                      Scratch per thread: T + D floats (+16).
//   att_bwd_delta      delta (B,H,T) = Σ_d dout·out. Task = QB (b,t) rows × all heads.
//   att_bwd_dq         task → (b, h, QB query rows): P = exp(S − lse), dP[s] = dout·v_s,
//                      dq = scale·Σ_s P(dP − delta)·k_s (s ascending).
//   att_bwd_dkv        task → (b, kv head, QB key rows): for each key s, over the G query heads
//                      of the group (ascending) and queries t ≥ s (ascending):
//                      dv = Σ P·dout_t, dk = scale·Σ P(dP − delta)·q_t.
//                      Each output row is written by exactly one task: no atomics, and the
//                      summation order is fixed, so results do not depend on the threads.
//   Scratch for the backward kernels: 2T + 2D floats (+16) per thread.
import { at, dot, exp4, exp1, hmax, min32 } from './common';

export const QB = 16;

/** acc[0..D) += a·x[0..D) */
// @ts-ignore: decorator
@inline function axpyRow(acc: usize, x: usize, a: f32, D: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= D; i += 4) v128.store(at(acc, i), f32x4.add(v128.load(at(acc, i)), f32x4.mul(av, v128.load(at(x, i)))));
  for (; i < D; i++) store<f32>(at(acc, i), load<f32>(at(acc, i)) + a * load<f32>(at(x, i)));
}

/** o[0..D) = a·x[0..D) */
// @ts-ignore: decorator
@inline function scaleRow(o: usize, x: usize, a: f32, D: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= D; i += 4) v128.store(at(o, i), f32x4.mul(av, v128.load(at(x, i))));
  for (; i < D; i++) store<f32>(at(o, i), a * load<f32>(at(x, i)));
}

/** index of the first key of batch b that may be attended to (T when none) */
function firstKey(mask: usize, b: i32, T: i32): i32 {
  if (!mask) return 0;
  const mr = at(mask, b * T);
  for (let s = 0; s < T; s++) if (load<i32>(at(mr, s)) != 0) return s;
  return T;
}

// @ts-ignore: decorator
@inline function keyOk(mask: usize, b: i32, T: i32, s: i32): bool {
  return !mask || load<i32>(at(mask, b * T + s)) != 0;
}

/** P[i] = exp(P[i] − m) for i < n, in place; returns Σ P (f32x4 lanes, then tail) */
function expInPlace(p: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let a = f32x4.splat(0); let i = 0;
  for (; i + 4 <= n; i += 4) { const e = exp4(f32x4.sub(v128.load(at(p, i)), mv)); v128.store(at(p, i), e); a = f32x4.add(a, e); }
  let s = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  for (; i < n; i++) { const e = exp1(load<f32>(at(p, i)) - m); store<f32>(at(p, i), e); s += e; }
  return s;
}

export function att_forward(task: i32, tid: i32, out: usize, lse: usize, q: usize, k: usize, v: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, emptyLse: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const kh = h / (H / KH);
  const S = scratch + <usize>tid * <usize>stride;
  const acc = at(S, T);
  const first = firstKey(mask, b, T);
  const t1 = min32(T, (qb + 1) * QB);
  for (let t = qb * QB; t < t1; t++) {
    const row = (b * T + t) * H + h;
    const qr = at(q, row * D), orow = at(out, row * D);
    const lrow = at(lse, (b * H + h) * T + t);
    if (t < first) { memory.fill(orow, 0, <usize>D << 2); store<f32>(lrow, emptyLse); continue; }
    let mv = f32x4.splat(-Infinity);
    let s = 0;
    for (; s <= t; s++) {
      const sc = keyOk(mask, b, T, s) ? scale * dot(qr, at(k, ((b * T + s) * KH + kh) * D), D) : -Infinity;
      store<f32>(at(S, s), sc);
    }
    // max over S[0..t]
    let i = 0;
    for (; i + 4 <= t + 1; i += 4) mv = f32x4.max(mv, v128.load(at(S, i)));
    let m = hmax(mv);
    for (; i <= t; i++) m = max(m, load<f32>(at(S, i)));
    const l = expInPlace(S, t + 1, m);
    memory.fill(acc, 0, <usize>D << 2);
    for (s = first; s <= t; s++) {
      const p = load<f32>(at(S, s));
      if (p != 0) axpyRow(acc, at(v, ((b * T + s) * KH + kh) * D), p, D);
    }
    scaleRow(orow, acc, <f32>1.0 / l, D);
    store<f32>(lrow, m + Mathf.log(l));
  }
}

export function att_bwd_delta(task: i32, tid: i32, delta: usize, dout: usize, out: usize, B: i32, T: i32, H: i32, D: i32): void {
  const r1 = min32(B * T, (task + 1) * QB);
  for (let r = task * QB; r < r1; r++) {
    const b = r / T, t = r - b * T;
    for (let h = 0; h < H; h++) {
      const o = (r * H + h) * D;
      store<f32>(at(delta, (b * H + h) * T + t), dot(at(dout, o), at(out, o), D));
    }
  }
}

export function att_bwd_dq(task: i32, tid: i32, dq: usize, dout: usize, q: usize, k: usize, v: usize, lse: usize, delta: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const kh = h / (H / KH);
  const P = scratch + <usize>tid * <usize>stride;
  const dP = at(P, T);
  const acc = at(dP, T);
  const first = firstKey(mask, b, T);
  const t1 = min32(T, (qb + 1) * QB);
  for (let t = qb * QB; t < t1; t++) {
    const row = (b * T + t) * H + h;
    const qr = at(q, row * D), dor = at(dout, row * D), dqr = at(dq, row * D);
    if (t < first) { memory.fill(dqr, 0, <usize>D << 2); continue; }
    const l = load<f32>(at(lse, (b * H + h) * T + t));
    const dl = load<f32>(at(delta, (b * H + h) * T + t));
    for (let s = 0; s <= t; s++) {
      if (keyOk(mask, b, T, s)) {
        const kv = ((b * T + s) * KH + kh) * D;
        store<f32>(at(P, s), scale * dot(qr, at(k, kv), D));
        store<f32>(at(dP, s), dot(dor, at(v, kv), D));
      } else {
        store<f32>(at(P, s), -Infinity);
        store<f32>(at(dP, s), 0);
      }
    }
    expInPlace(P, t + 1, l);
    memory.fill(acc, 0, <usize>D << 2);
    for (let s = first; s <= t; s++) {
      const p = load<f32>(at(P, s));
      if (p != 0) axpyRow(acc, at(k, ((b * T + s) * KH + kh) * D), p * (load<f32>(at(dP, s)) - dl), D);
    }
    scaleRow(dqr, acc, scale, D);
  }
}

export function att_bwd_dkv(task: i32, tid: i32, dk: usize, dv: usize, dout: usize, q: usize, k: usize, v: usize, lse: usize, delta: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, scratch: usize, stride: i32): void {
  const nkb = (T + QB - 1) / QB;
  const bk = task / nkb, kb = task - bk * nkb;
  const b = bk / KH, kh = bk - b * KH;
  const G = H / KH;
  const P = scratch + <usize>tid * <usize>stride;
  const dP = at(P, T);
  const accK = at(dP, T);
  const accV = at(accK, D);
  const s1 = min32(T, (kb + 1) * QB);
  for (let s = kb * QB; s < s1; s++) {
    const kv = ((b * T + s) * KH + kh) * D;
    const kr = at(k, kv), vr = at(v, kv);
    if (!keyOk(mask, b, T, s)) {
      memory.fill(at(dk, kv), 0, <usize>D << 2);
      memory.fill(at(dv, kv), 0, <usize>D << 2);
      continue;
    }
    memory.fill(accK, 0, <usize>D << 2);
    memory.fill(accV, 0, <usize>D << 2);
    const n = T - s; // queries t = s .. T-1, stored at index t - s
    for (let g = 0; g < G; g++) {
      const h = kh * G + g;
      const lrow = at(lse, (b * H + h) * T), drow = at(delta, (b * H + h) * T);
      for (let t = s; t < T; t++) {
        const row = ((b * T + t) * H + h) * D;
        store<f32>(at(P, t - s), scale * dot(at(q, row), kr, D) - load<f32>(at(lrow, t)));
        store<f32>(at(dP, t - s), dot(at(dout, row), vr, D));
      }
      expInPlace(P, n, 0);
      for (let t = s; t < T; t++) {
        const p = load<f32>(at(P, t - s));
        if (p == 0) continue;
        const row = ((b * T + t) * H + h) * D;
        axpyRow(accV, at(dout, row), p, D);
        axpyRow(accK, at(q, row), p * (load<f32>(at(dP, t - s)) - load<f32>(at(drow, t))), D);
      }
    }
    scaleRow(at(dk, kv), accK, scale, D);
    memory.copy(at(dv, kv), accV, <usize>D << 2);
  }
}

// ---- inference over a KV cache (no lse, no backward) -------------------------------------
//   att_cached  q, out (B,Tq,H,D): queries of slots [start, start+Tq); kc, vc (B,S,KH,D);
//               mask (B,S) i32 or 0. Query i attends slots j ≤ start+i with mask[b,j] ≠ 0
//               (none → zeros). Task → (b, h, QB query rows); the same exact softmax as
//               att_forward. Scratch per thread: S + D floats (+16).
//   kv_write    cache (B,S,R)[b, start+t] = x (B,Tq,R)[b, t] for t < Tq. Task = b (one
//               contiguous copy of Tq·R floats).
export function att_cached(task: i32, tid: i32, out: usize, q: usize, kc: usize, vc: usize, mask: usize,
  B: i32, Tq: i32, S: i32, start: i32, H: i32, KH: i32, D: i32, scale: f32, scratch: usize, stride: i32): void {
  const nqb = (Tq + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const kh = h / (H / KH);
  const P = scratch + <usize>tid * <usize>stride;
  const acc = at(P, S);
  const i1 = min32(Tq, (qb + 1) * QB);
  for (let i = qb * QB; i < i1; i++) {
    const row = (b * Tq + i) * H + h;
    const qr = at(q, row * D), orow = at(out, row * D);
    const last = min32(start + i, S - 1);
    let any = false;
    for (let j = 0; j <= last; j++) {
      let sc: f32 = -Infinity;
      if (keyOk(mask, b, S, j)) { sc = scale * dot(qr, at(kc, ((b * S + j) * KH + kh) * D), D); any = true; }
      store<f32>(at(P, j), sc);
    }
    if (!any) { memory.fill(orow, 0, <usize>D << 2); continue; }
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= last + 1; j += 4) mv = f32x4.max(mv, v128.load(at(P, j)));
    let m = hmax(mv);
    for (; j <= last; j++) m = max(m, load<f32>(at(P, j)));
    const l = expInPlace(P, last + 1, m);
    memory.fill(acc, 0, <usize>D << 2);
    for (j = 0; j <= last; j++) {
      const p = load<f32>(at(P, j));
      if (p != 0) axpyRow(acc, at(vc, ((b * S + j) * KH + kh) * D), p, D);
    }
    scaleRow(orow, acc, <f32>1.0 / l, D);
  }
}

export function kv_write(task: i32, tid: i32, cache: usize, x: usize, Tq: i32, S: i32, start: i32, R: i32): void {
  const b = task;
  memory.copy(at(cache, (b * S + start) * R), at(x, b * Tq * R), <usize>Tq * <usize>R << 2);
}
