// Causal grouped-query attention, exact softmax per query row, lse saved (flash-attention's
// contract: backward recomputes the probabilities from q, k and lse, never stores T×T).
//   q, out (B,T,H,D); k, v (B,T,KH,D); H % KH == 0, query head h reads kv head h/(H/KH);
//   lse (B,H,T); mask (B,T) i32 (0 = padding key) or 0 for none.
//   Query t attends to keys s ≤ t with mask[b,s] ≠ 0 and, when window > 0, t − s < window
//   (sliding-window attention). With cap > 0 every score is soft-capped before the softmax,
//   S' = cap·tanh(S/cap), and the backward multiplies dS' by 1 − tanh² (Gemma-2). A query
//   with no key to attend to gets out = 0 and lse = emptyLse (given by the host), and no gradient.
//   The windowed / capped cases take scalar loops for the per-score work (masks, tanh,
//   exp); plain causal attention keeps its vector loops unchanged.
//
// Every kernel works on a block of QB = 16 rows and does its products as small matrix
// products with the 4×8 register-blocked mm4x8 (f32x4, no horizontal sums). The right
// operand of a scores product (K or V of the keys involved) is first copied, transposed
// (D × L, L = keys rounded up to 8, zero padding), into the thread's scratch; the right operand
// of a P·V-like product is read in place when D is a multiple of 8, else copied with its rows
// padded to D8 = D rounded up to 8.
//   att_forward   task → (b, h, block of QB queries t0..t1−1, keys 0..t1−1):
//                 S = scale·Q·Kᵀ; per row: mask (s > t, padding) → −inf, m = max,
//                 P = exp(S − m) (exp4), l = ΣP; O = P·V; out = O/l, lse = m + log l.
//   att_bwd_delta delta (B,H,T) = Σ_d dout·out (one chain, d ascending, like mm4x8).
//                 Task = QB (b,t) rows × all heads.
//   att_bwd_dq    task → (b, h, QB queries): P = exp(scale·Q·Kᵀ − lse), dP = dO·Vᵀ,
//                 dS = P(dP − delta), dq = scale·dS·K.
//   att_bwd_dkv   task → (b, kv head, QB keys s0..s1−1, queries s0..T−1): for each query head
//                 of the group (ascending): S = scale·Q·Kᵀ (queries × the block's keys),
//                 P = exp(S − lse) (0 where t < s or padding), dP = dO·Vᵀ, dS = P(dP − delta);
//                 dv += Pᵀ·dO, dk += dSᵀ·Q (read straight from q and dout when D % 8 = 0);
//                 finally dk ×= scale.
// Each output row is written by exactly one task and every sum runs in a fixed order (k or
// s ascending inside mm4x8; heads ascending): no atomics, results independent of threads.
// Scratch per thread: att_scratch_floats(T, D) floats (the host allocates threads × that).
import { at, dot, exp4, exp1, hmax, madd1, madd4, min32 } from './common';

export const QB = 16;

// @ts-ignore: decorator
@inline function roundUp8(n: i32): i32 { return (n + 7) & ~7; }

/** floats of per-thread scratch any attention kernel needs for sequences of T, heads of D
 *  (the largest of: forward Kt, S, O, l, Vp; dq Kt, Vt, P, dP, O, Kp; dkv Kt, Vt, S, dP,
 *  dK, dV, O, Qp, dOp) */
export function att_scratch_floats(T: i32, D: i32): i32 {
  const L = roundUp8(T), D8 = roundUp8(D);
  const LK = L > QB ? L : QB;
  return 2 * D * LK + 2 * QB * L + 3 * QB * D8 + 2 * L * D8 + QB + 64;
}

/**
 * c[r][0..8) = scale · Σ_{k<kn} a_r[k] · b[k][0..8) for rows r < nr, a_r[k] at a + r·lda +
 * k·ka (bytes), b rows ldb bytes apart, stored to c + r·ldc. One chain per output, k
 * ascending. Rows ≥ nr re-read row nr−1 and are not stored.
 */
function mm4x8(a: usize, lda: usize, ka: usize, nr: i32, b: usize, ldb: usize, kn: i32, c: usize, ldc: usize, scale: f32): void {
  const a0 = a;
  const a1 = a + lda * <usize>(nr > 1 ? 1 : 0);
  const a2 = a + lda * <usize>(nr > 2 ? 2 : nr - 1);
  const a3 = a + lda * <usize>(nr > 3 ? 3 : nr - 1);
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pb = b;
  let off: usize = 0;
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(a0 + off);
    c00 = madd4(x, b0, c00); c01 = madd4(x, b1, c01);
    x = v128.load32_splat(a1 + off);
    c10 = madd4(x, b0, c10); c11 = madd4(x, b1, c11);
    x = v128.load32_splat(a2 + off);
    c20 = madd4(x, b0, c20); c21 = madd4(x, b1, c21);
    x = v128.load32_splat(a3 + off);
    c30 = madd4(x, b0, c30); c31 = madd4(x, b1, c31);
    pb += ldb;
    off += ka;
  }
  const sv = f32x4.splat(scale);
  if (scale != 1) {
    c00 = f32x4.mul(c00, sv); c01 = f32x4.mul(c01, sv); c10 = f32x4.mul(c10, sv); c11 = f32x4.mul(c11, sv);
    c20 = f32x4.mul(c20, sv); c21 = f32x4.mul(c21, sv); c30 = f32x4.mul(c30, sv); c31 = f32x4.mul(c31, sv);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  if (nr > 1) { v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); }
  if (nr > 2) { v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16); }
  if (nr > 3) { v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16); }
}

/** C (nr × ncols, rows ldc floats) = scale · A (nr × kn: a_r[k] at a + r·lda + k·ka bytes)
 *  · B (kn × ncols, rows ldb floats apart); ncols a multiple of 8 */
function product(a: usize, lda: usize, ka: usize, nr: i32, b: usize, ldb: i32, kn: i32, ncols: i32, c: usize, ldc: i32, scale: f32): void {
  for (let r = 0; r < nr; r += 4) {
    for (let j = 0; j < ncols; j += 8) {
      mm4x8(a + <usize>r * lda, lda, ka, min32(4, nr - r), at(b, j), <usize>ldb << 2, kn, at(c, r * ldc + j), <usize>ldc << 2, scale);
    }
  }
}

/** dst (D × L) = rows src_j (j < n, src + j·stride floats, D values each) transposed; columns ≥ n zero */
function transposeRows(dst: usize, L: i32, src: usize, stride: i32, n: i32, D: i32): void {
  for (let j = 0; j < n; j++) {
    const s = at(src, j * stride);
    for (let d = 0; d < D; d++) store<f32>(at(dst, d * L + j), load<f32>(at(s, d)));
  }
  for (let d = 0; d < D; d++) for (let j = n; j < L; j++) store<f32>(at(dst, d * L + j), 0);
}

/** dst (L × D8) = rows src_j (j < n) padded with zeros to D8 columns; rows ≥ n zero */
function padRows(dst: usize, D8: i32, L: i32, src: usize, stride: i32, n: i32, D: i32): void {
  for (let j = 0; j < n; j++) {
    const o = at(dst, j * D8);
    memory.copy(o, at(src, j * stride), <usize>D << 2);
    if (D8 > D) memory.fill(at(o, D), 0, <usize>(D8 - D) << 2);
  }
  if (L > n) memory.fill(at(dst, n * D8), 0, <usize>((L - n) * D8) << 2);
}

/** index of the first key of batch b that may be attended to (T when none) */
function firstKey(mask: usize, b: i32, T: i32): i32 {
  if (!mask) return 0;
  const mr = at(mask, b * T);
  for (let s = 0; s < T; s++) if (load<i32>(at(mr, s)) != 0) return s;
  return T;
}

// @ts-ignore: decorator
@inline export function keyOk(mask: usize, b: i32, T: i32, s: i32): bool {
  return !mask || load<i32>(at(mask, b * T + s)) != 0;
}

/** a soft-capped score: cap·tanh(x/cap) */
// @ts-ignore: decorator
@inline function capped(x: f32, cap: f32): f32 { return cap * Mathf.tanh(x / cap); }

/** may query t attend key s (s ≤ t assumed) under the sliding window (0 = none) */
// @ts-ignore: decorator
@inline function inWindow(t: i32, s: i32, window: i32): bool { return window <= 0 || t - s < window; }

/** P[i] = exp(P[i] − m) for i < n, in place; returns Σ P (f32x4 lanes, then tail) */
export function expInPlace(p: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let a = f32x4.splat(0); let i = 0;
  for (; i + 4 <= n; i += 4) { const e = exp4(f32x4.sub(v128.load(at(p, i)), mv)); v128.store(at(p, i), e); a = f32x4.add(a, e); }
  let s = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  for (; i < n; i++) { const e = exp1(load<f32>(at(p, i)) - m); store<f32>(at(p, i), e); s += e; }
  return s;
}

export function att_forward(task: i32, tid: i32, out: usize, lse: usize, q: usize, k: usize, v: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, emptyLse: f32, window: i32, cap: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const kh = h / (H / KH);
  const t0 = qb * QB, t1 = min32(T, t0 + QB), nr = t1 - t0;
  const L = roundUp8(t1), D8 = roundUp8(D);
  const Kt = scratch + <usize>tid * <usize>stride;
  const S = at(Kt, D * L);
  const O = at(S, QB * L);
  const ls = at(O, QB * D8);
  const Vp = at(ls, QB);
  const first = firstKey(mask, b, T);
  const kv0 = (b * T * KH + kh) * D;
  transposeRows(Kt, L, at(k, kv0), KH * D, t1, D);
  // V rows are read in place when D is a multiple of 8, else copied padded
  let Vb = at(v, kv0), ldv = KH * D;
  if (D8 != D) { padRows(Vp, D8, t1, at(v, kv0), KH * D, t1, D); Vb = Vp; ldv = D8; }
  const qrow = (b * T + t0) * H + h;
  product(at(q, qrow * D), <usize>(H * D) << 2, 4, nr, Kt, L, D, L, S, L, scale);
  for (let i = 0; i < nr; i++) {
    const t = t0 + i;
    const Si = at(S, i * L);
    const lrow = at(lse, (b * H + h) * T + t);
    if (t < first) { memory.fill(Si, 0, <usize>L << 2); store<f32>(at(ls, i), 0); store<f32>(lrow, emptyLse); continue; }
    // soft cap the scores that can be attended, then mask: keys past t, padding keys, keys
    // before the window
    if (cap > 0) for (let s = 0; s <= t; s++) store<f32>(at(Si, s), capped(load<f32>(at(Si, s)), cap));
    for (let s = t + 1; s < L; s++) store<f32>(at(Si, s), -Infinity);
    if (mask) for (let s = 0; s <= t; s++) if (!keyOk(mask, b, T, s)) store<f32>(at(Si, s), -Infinity);
    if (window > 0) for (let s = 0; s <= t - window; s++) store<f32>(at(Si, s), -Infinity);
    let mv = f32x4.splat(-Infinity);
    for (let s = 0; s < L; s += 4) mv = f32x4.max(mv, v128.load(at(Si, s)));
    const m = hmax(mv);
    if (m == -Infinity) { memory.fill(Si, 0, <usize>L << 2); store<f32>(at(ls, i), 0); store<f32>(lrow, emptyLse); continue; }
    const l = expInPlace(Si, L, m);
    store<f32>(at(ls, i), l);
    store<f32>(lrow, m + Mathf.log(l));
  }
  product(S, <usize>L << 2, 4, nr, Vb, ldv, t1, D8, O, D8, 1);
  for (let i = 0; i < nr; i++) {
    const orow = at(out, (qrow + i * H) * D);
    const l = load<f32>(at(ls, i));
    if (l == 0) { memory.fill(orow, 0, <usize>D << 2); continue; }
    const inv: f32 = 1.0 / l;
    const Oi = at(O, i * D8);
    for (let d = 0; d < D; d++) store<f32>(at(orow, d), load<f32>(at(Oi, d)) * inv);
  }
}

/** delta = Σ_d dout·out as ONE chain in d order — the same arithmetic (madd1 = madd4's
 *  fused or unfused multiply-add) as mm4x8 uses for dP = dout·v, so that dP − delta is exactly 0 where out = v (a single attended key) */
export function att_bwd_delta(task: i32, tid: i32, delta: usize, dout: usize, out: usize, B: i32, T: i32, H: i32, D: i32): void {
  const r1 = min32(B * T, (task + 1) * QB);
  for (let r = task * QB; r < r1; r++) {
    const b = r / T, t = r - b * T;
    for (let h = 0; h < H; h++) {
      const o = (r * H + h) * D;
      let s: f32 = 0;
      for (let d = 0; d < D; d++) s = madd1(load<f32>(at(dout, o + d)), load<f32>(at(out, o + d)), s);
      store<f32>(at(delta, (b * H + h) * T + t), s);
    }
  }
}

export function att_bwd_dq(task: i32, tid: i32, dq: usize, dout: usize, q: usize, k: usize, v: usize, lse: usize, delta: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, window: i32, cap: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const kh = h / (H / KH);
  const t0 = qb * QB, t1 = min32(T, t0 + QB), nr = t1 - t0;
  const L = roundUp8(t1), D8 = roundUp8(D);
  const Kt = scratch + <usize>tid * <usize>stride;
  const Vt = at(Kt, D * L);
  const P = at(Vt, D * L);
  const dP = at(P, QB * L);
  const O = at(dP, QB * L);
  const Kp = at(O, QB * D8);
  const first = firstKey(mask, b, T);
  const kv0 = (b * T * KH + kh) * D;
  transposeRows(Kt, L, at(k, kv0), KH * D, t1, D);
  transposeRows(Vt, L, at(v, kv0), KH * D, t1, D);
  let Kb = at(k, kv0), ldk = KH * D;
  if (D8 != D) { padRows(Kp, D8, t1, at(k, kv0), KH * D, t1, D); Kb = Kp; ldk = D8; }
  const qrow = (b * T + t0) * H + h;
  product(at(q, qrow * D), <usize>(H * D) << 2, 4, nr, Kt, L, D, L, P, L, scale);
  product(at(dout, qrow * D), <usize>(H * D) << 2, 4, nr, Vt, L, D, L, dP, L, 1);
  for (let i = 0; i < nr; i++) {
    const t = t0 + i;
    const Pi = at(P, i * L), dPi = at(dP, i * L);
    if (t < first) { memory.fill(Pi, 0, <usize>L << 2); continue; }
    const l = load<f32>(at(lse, (b * H + h) * T + t));
    const dl = load<f32>(at(delta, (b * H + h) * T + t));
    if (window > 0 || cap > 0) {
      // scalar: dS = P'(dP − delta)·(1 − tanh²), P' = exp(cap·tanh(S/cap) − lse), 0 off the window
      for (let s = 0; s < L; s++) {
        if (s > t || !keyOk(mask, b, T, s) || !inWindow(t, s, window)) { store<f32>(at(Pi, s), 0); continue; }
        let x = load<f32>(at(Pi, s)), g: f32 = 1;
        if (cap > 0) { const th = Mathf.tanh(x / cap); x = cap * th; g = 1 - th * th; }
        store<f32>(at(Pi, s), exp1(x - l) * (load<f32>(at(dPi, s)) - dl) * g);
      }
      continue;
    }
    for (let s = t + 1; s < L; s++) store<f32>(at(Pi, s), -Infinity);
    if (mask) for (let s = 0; s <= t; s++) if (!keyOk(mask, b, T, s)) store<f32>(at(Pi, s), -Infinity);
    expInPlace(Pi, L, l);
    // dS = P (dP − delta), in place in P
    const dv = f32x4.splat(dl);
    for (let s = 0; s < L; s += 4) v128.store(at(Pi, s), f32x4.mul(v128.load(at(Pi, s)), f32x4.sub(v128.load(at(dPi, s)), dv)));
  }
  product(P, <usize>L << 2, 4, nr, Kb, ldk, t1, D8, O, D8, scale);
  for (let i = 0; i < nr; i++) memory.copy(at(dq, (qrow + i * H) * D), at(O, i * D8), <usize>D << 2);
}

export function att_bwd_dkv(task: i32, tid: i32, dk: usize, dv: usize, dout: usize, q: usize, k: usize, v: usize, lse: usize, delta: usize, mask: usize,
  B: i32, T: i32, H: i32, KH: i32, D: i32, scale: f32, window: i32, cap: f32, scratch: usize, stride: i32): void {
  const nkb = (T + QB - 1) / QB;
  const bk = task / nkb, kb = task - bk * nkb;
  const b = bk / KH, kh = bk - b * KH;
  const G = H / KH;
  const s0 = kb * QB, s1 = min32(T, s0 + QB), nr = s1 - s0;
  const nq = T - s0, D8 = roundUp8(D);
  // scratch: Kt, Vt (D × 16) | S, dP (nq × 16) | dK, dV, O (16 × D8) | Qp, dOp (nq × D8)
  const Kt = scratch + <usize>tid * <usize>stride;
  const Vt = at(Kt, D * QB);
  const S = at(Vt, D * QB);
  const dP = at(S, nq * QB);
  const dK = at(dP, nq * QB);
  const dV = at(dK, QB * D8);
  const O = at(dV, QB * D8);
  const Qp = at(O, QB * D8);
  const dOp = at(Qp, nq * D8);
  memory.fill(dK, 0, <usize>(2 * QB * D8) << 2);
  const kv0 = ((b * T + s0) * KH + kh) * D;
  transposeRows(Kt, QB, at(k, kv0), KH * D, nr, D);
  transposeRows(Vt, QB, at(v, kv0), KH * D, nr, D);
  // lanes j of the block: does key s0 + j exist and is it not padding (−1 / 0 flags)
  const kvTab = O; // borrowed for 16 flags before O is first written
  for (let j = 0; j < QB; j++) store<i32>(at(kvTab, j), j < nr && keyOk(mask, b, T, s0 + j) ? -1 : 0);
  const kvalid0 = v128.load(kvTab), kvalid1 = v128.load(kvTab, 16), kvalid2 = v128.load(kvTab, 32), kvalid3 = v128.load(kvTab, 48);
  const jv0 = i32x4(0, 1, 2, 3), jv1 = i32x4(4, 5, 6, 7), jv2 = i32x4(8, 9, 10, 11), jv3 = i32x4(12, 13, 14, 15);
  for (let g = 0; g < G; g++) {
    const h = kh * G + g;
    const qrow0 = (b * T + s0) * H + h;
    let Qb = at(q, qrow0 * D), dOb = at(dout, qrow0 * D), ldq = H * D;
    if (D8 != D) {
      padRows(Qp, D8, nq, Qb, H * D, nq, D);
      padRows(dOp, D8, nq, dOb, H * D, nq, D);
      Qb = Qp; dOb = dOp; ldq = D8;
    }
    // S = scale·Q·Kᵀ (queries × keys of the block), dP = dO·Vᵀ
    product(at(q, qrow0 * D), <usize>(H * D) << 2, 4, nq, Kt, QB, D, QB, S, QB, scale);
    product(at(dout, qrow0 * D), <usize>(H * D) << 2, 4, nq, Vt, QB, D, QB, dP, QB, 1);
    // P = exp(S − lse[t]) where key s0+j ≤ t exists and is not padding, else 0; dS = P(dP − delta[t])
    const lrow = at(lse, (b * H + h) * T + s0), drow = at(delta, (b * H + h) * T + s0);
    for (let c = 0; c < nq && (window > 0 || cap > 0); c++) {
      // scalar (windowed / capped): P' = exp(cap·tanh(S/cap) − lse), dS = P'(dP − delta)·(1 − tanh²)
      const lc = load<f32>(at(lrow, c)), dlc = load<f32>(at(drow, c));
      const Sc = at(S, c * QB), dPc = at(dP, c * QB);
      for (let j = 0; j < QB; j++) {
        if (j > c || j >= nr || !keyOk(mask, b, T, s0 + j) || !inWindow(c, j, window)) { store<f32>(at(Sc, j), 0); store<f32>(at(dPc, j), 0); continue; }
        let x = load<f32>(at(Sc, j)), g: f32 = 1;
        if (cap > 0) { const th = Mathf.tanh(x / cap); x = cap * th; g = 1 - th * th; }
        const p = exp1(x - lc);
        store<f32>(at(Sc, j), p);
        store<f32>(at(dPc, j), p * (load<f32>(at(dPc, j)) - dlc) * g);
      }
    }
    for (let c = 0; c < nq && window <= 0 && cap <= 0; c++) {
      const lv = f32x4.splat(load<f32>(at(lrow, c))), dl = f32x4.splat(load<f32>(at(drow, c)));
      const cv = i32x4.splat(c);
      const Sc = at(S, c * QB), dPc = at(dP, c * QB);
      let p = v128.and(exp4(f32x4.sub(v128.load(Sc), lv)), v128.and(kvalid0, i32x4.le_s(jv0, cv)));
      v128.store(Sc, p); v128.store(dPc, f32x4.mul(p, f32x4.sub(v128.load(dPc), dl)));
      p = v128.and(exp4(f32x4.sub(v128.load(Sc, 16), lv)), v128.and(kvalid1, i32x4.le_s(jv1, cv)));
      v128.store(Sc, p, 16); v128.store(dPc, f32x4.mul(p, f32x4.sub(v128.load(dPc, 16), dl)), 16);
      p = v128.and(exp4(f32x4.sub(v128.load(Sc, 32), lv)), v128.and(kvalid2, i32x4.le_s(jv2, cv)));
      v128.store(Sc, p, 32); v128.store(dPc, f32x4.mul(p, f32x4.sub(v128.load(dPc, 32), dl)), 32);
      p = v128.and(exp4(f32x4.sub(v128.load(Sc, 48), lv)), v128.and(kvalid3, i32x4.le_s(jv3, cv)));
      v128.store(Sc, p, 48); v128.store(dPc, f32x4.mul(p, f32x4.sub(v128.load(dPc, 48), dl)), 48);
    }
    // dV += Pᵀ·dO, dK += dSᵀ·Q (queries ascending; per head, then added in head order)
    product(S, 4, QB << 2, nr, dOb, ldq, nq, D8, O, D8, 1);
    for (let x = 0; x < QB * D8; x += 4) v128.store(at(dV, x), f32x4.add(v128.load(at(dV, x)), v128.load(at(O, x))));
    product(dP, 4, QB << 2, nr, Qb, ldq, nq, D8, O, D8, 1);
    for (let x = 0; x < QB * D8; x += 4) v128.store(at(dK, x), f32x4.add(v128.load(at(dK, x)), v128.load(at(O, x))));
  }
  for (let j = 0; j < nr; j++) {
    const o = kv0 + j * KH * D;
    const dKj = at(dK, j * D8), dVj = at(dV, j * D8);
    for (let d = 0; d < D; d++) store<f32>(at(dk, o + d), load<f32>(at(dKj, d)) * scale);
    memory.copy(at(dv, o), dVj, <usize>D << 2);
  }
}

/** acc[0..D) += a·x[0..D) */
// @ts-ignore: decorator
@inline export function axpyRow(acc: usize, x: usize, a: f32, D: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= D; i += 4) v128.store(at(acc, i), madd4(av, v128.load(at(x, i)), v128.load(at(acc, i))));
  for (; i < D; i++) store<f32>(at(acc, i), madd1(a, load<f32>(at(x, i)), load<f32>(at(acc, i))));
}

/** o[0..D) = a·x[0..D) */
// @ts-ignore: decorator
@inline export function scaleRow(o: usize, x: usize, a: f32, D: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= D; i += 4) v128.store(at(o, i), f32x4.mul(av, v128.load(at(x, i))));
  for (; i < D; i++) store<f32>(at(o, i), a * load<f32>(at(x, i)));
}

// ---- inference over a KV cache (no lse, no backward) -------------------------------------
//   att_cached  q, out (B,Tq,H,D): queries of slots [start, start+Tq); kc, vc (B,S,KH,D);
//               mask (B,S) i32 or 0. Query i attends slots j ≤ start+i with mask[b,j] ≠ 0
//               and (window > 0) start+i − j < window (none → zeros); scores soft-capped
//               as in training when cap > 0. Task → (b, h, QB query rows); per query row a dot
//               product per slot (decode has one query: copying K/V into blocks would
//               cost as much as the products). Scratch per thread: S + D floats (+16).
//   kv_write    cache (B,S,R)[b, start+t] = x (B,Tq,R)[b, t] for t < Tq. Task = b (one
//               contiguous copy of Tq·R floats).
export function att_cached(task: i32, tid: i32, out: usize, q: usize, kc: usize, vc: usize, mask: usize,
  B: i32, Tq: i32, S: i32, start: i32, H: i32, KH: i32, D: i32, scale: f32, window: i32, cap: f32, scratch: usize, stride: i32): void {
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
      if (keyOk(mask, b, S, j) && inWindow(start + i, j, window)) {
        sc = scale * dot(qr, at(kc, ((b * S + j) * KH + kh) * D), D);
        if (cap > 0) sc = capped(sc, cap);
        any = true;
      }
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
