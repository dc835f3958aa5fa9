// DeBERTa's disentangled self-attention (bidirectional), exact softmax per query row.
//   q, k, v, out (B,T,H,D); pos (R,2,H,D): pos[r,0] = relative embedding r projected by the
//   layer's key projection, pos[r,1] = by its query projection; rel (T,T) i32: the pos row of
//   (query i, key j), clamped into [0,R); mask (B,T) i32 (0 = padding key) or 0 for none;
//   lse (B,H,T).
//   score[i,j] = scale·(q_i·k_j + c2p·q_i·pos[r,0] + p2c·k_j·pos[r,1]),  r = rel[i,j]
//   (c2p, p2c are 0/1: DeBERTa's "content→position" and "position→content" terms).
// att_rel_forward: task → (b, h, QB query rows). Per row: the T scores (three dot products
// each), m = max, P = exp(S − m) (exp4), l = ΣP, out = (Σ_j P_j·v_j)/l, lse = m + log l.
// A row whose keys are all padding gets out = 0, lse = emptyLse. Each output row is written by
// one task, sums run in a fixed order: results do not depend on the thread count.
// Scratch per thread: T + D floats (+16) — the score row and the output accumulator.
import { at, dot, hmax, hsum, madd4, min32 } from './common';
import { axpyRow, expInPlace, keyOk, QB, scaleRow } from './attention';

/** Σ_d q[d]·(k[d] + c·pk[d]) + p·k[d]·pq[d] over d < D in one pass (f32x4 lanes, then the
 *  tail): the three score terms of one (query, key) pair; c, p are the 0/1 term switches */
// @ts-ignore: decorator
@inline function dot3(q: usize, k: usize, pk: usize, pq: usize, c: f32, p: f32, D: i32): f32 {
  const cv = f32x4.splat(c), pv = f32x4.splat(p);
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const kv = v128.load(at(k, d));
    acc = madd4(v128.load(at(q, d)), madd4(cv, v128.load(at(pk, d)), kv), acc);
    acc = madd4(kv, f32x4.mul(pv, v128.load(at(pq, d))), acc);
  }
  let s = hsum(acc);
  for (; d < D; d++) {
    const kd = load<f32>(at(k, d));
    s += load<f32>(at(q, d)) * (kd + c * load<f32>(at(pk, d))) + kd * p * load<f32>(at(pq, d));
  }
  return s;
}

export function att_rel_forward(task: i32, tid: i32, out: usize, lse: usize, q: usize, k: usize, v: usize,
  pos: usize, rel: usize, mask: usize, B: i32, T: i32, H: i32, D: i32, R: i32, c2p: i32, p2c: i32,
  scale: f32, emptyLse: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const S = scratch + <usize>tid * <usize>stride;
  const acc = at(S, T + 4);
  const HD = H * D;
  const cf: f32 = c2p ? 1 : 0, pf: f32 = p2c ? 1 : 0;
  const i1 = min32(T, (qb + 1) * QB);
  for (let i = qb * QB; i < i1; i++) {
    const row = (b * T + i) * H + h;
    const qr = at(q, row * D), orow = at(out, row * D);
    let any = false;
    for (let j = 0; j < T; j++) {
      let sc: f32 = -Infinity;
      if (keyOk(mask, b, T, j)) {
        const kr = at(k, ((b * T + j) * H + h) * D);
        let r = load<i32>(at(rel, i * T + j));
        r = r < 0 ? 0 : r >= R ? R - 1 : r;
        sc = scale * dot3(qr, kr, at(pos, (r * 2) * HD + h * D), at(pos, (r * 2 + 1) * HD + h * D), cf, pf, D);
        any = true;
      }
      store<f32>(at(S, j), sc);
    }
    if (!any) { memory.fill(orow, 0, <usize>D << 2); store<f32>(at(lse, (b * H + h) * T + i), emptyLse); continue; }
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= T; j += 4) mv = f32x4.max(mv, v128.load(at(S, j)));
    let m = hmax(mv);
    for (; j < T; j++) m = max(m, load<f32>(at(S, j)));
    const l = expInPlace(S, T, m);
    memory.fill(acc, 0, <usize>D << 2);
    for (j = 0; j < T; j++) {
      const p = load<f32>(at(S, j));
      if (p != 0) axpyRow(acc, at(v, ((b * T + j) * H + h) * D), p, D);
    }
    scaleRow(orow, acc, <f32>1.0 / l, D);
    store<f32>(at(lse, (b * H + h) * T + i), m + <f32>Math.log(l));
  }
}

// ---- backward ----------------------------------------------------------------------------------
// The same steps as shaders/attention_rel_bwd.wgsl (formulas there):
//   att_rel_bwd_probs   task → (b, h, QB rows i): delta_i = dout_i·out_i, P_ij = exp(s_ij − lse_i)
//                       for unmasked keys (0 else), then dS_ij = P_ij (dout_i·v_j − delta_i) written
//                       to dS (B,H,T,T) and P_ij to Pm (B,H,T,T)
//   att_rel_bwd_dq      task → (b, h, QB rows i): dq_i = scale·Σ_j dS_ij (k_j + c2p·posK[r_ij])
//   att_rel_bwd_dkv     task → (b, h, QB keys j): dk_j = scale·Σ_i dS_ij (q_i + p2c·posQ[r_ij]),
//                       dv_j = Σ_i P_ij dout_i
//   att_rel_bwd_dpos    task → h: dpos[·,·,h,·] zeroed, then every (b, i, j) in order adds
//                       scale·dS_ij·(c2p·q_i, p2c·k_j) to rows r_ij — one task owns a head's slice
// Each output element is written by one task; sums run in a fixed order.
// @ts-ignore: decorator
@inline function relAt(rel: usize, T: i32, R: i32, i: i32, j: i32): i32 {
  const r = load<i32>(at(rel, i * T + j));
  return r < 0 ? 0 : r >= R ? R - 1 : r;
}

export function att_rel_bwd_probs(task: i32, tid: i32, Pm: usize, dS: usize, dout: usize, out: usize, lse: usize, q: usize, k: usize, v: usize,
  pos: usize, rel: usize, mask: usize, B: i32, T: i32, H: i32, D: i32, R: i32, c2p: i32, p2c: i32, scale: f32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const HD = H * D;
  const i1 = min32(T, (qb + 1) * QB);
  for (let i = qb * QB; i < i1; i++) {
    const qr = at(q, ((b * T + i) * H + h) * D), dr = at(dout, ((b * T + i) * H + h) * D);
    const delta = dot(dr, at(out, ((b * T + i) * H + h) * D), D);
    const l = load<f32>(at(lse, (b * H + h) * T + i));
    const prow = ((b * H + h) * T + i) * T;
    for (let j = 0; j < T; j++) {
      let p: f32 = 0, g: f32 = 0;
      if (keyOk(mask, b, T, j)) {
        const kr = at(k, ((b * T + j) * H + h) * D);
        const r = relAt(rel, T, R, i, j);
        p = Mathf.exp(scale * dot3(qr, kr, at(pos, (r * 2) * HD + h * D), at(pos, (r * 2 + 1) * HD + h * D), c2p ? 1 : 0, p2c ? 1 : 0, D) - l);
        g = p * (dot(dr, at(v, ((b * T + j) * H + h) * D), D) - delta);
      }
      store<f32>(at(Pm, prow + j), p);
      store<f32>(at(dS, prow + j), g);
    }
  }
}

export function att_rel_bwd_dq(task: i32, tid: i32, dq: usize, dS: usize, k: usize, pos: usize, rel: usize,
  B: i32, T: i32, H: i32, D: i32, R: i32, c2p: i32, scale: f32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const HD = H * D;
  const i1 = min32(T, (qb + 1) * QB);
  for (let i = qb * QB; i < i1; i++) {
    const o = at(dq, ((b * T + i) * H + h) * D);
    memory.fill(o, 0, <usize>D << 2);
    const prow = ((b * H + h) * T + i) * T;
    for (let j = 0; j < T; j++) {
      const g = load<f32>(at(dS, prow + j));
      if (g == 0) continue;
      axpyRow(o, at(k, ((b * T + j) * H + h) * D), g, D);
      if (c2p) axpyRow(o, at(pos, (relAt(rel, T, R, i, j) * 2) * HD + h * D), g, D);
    }
    scaleRow(o, o, scale, D);
  }
}

export function att_rel_bwd_dkv(task: i32, tid: i32, dk: usize, dv: usize, dS: usize, Pm: usize, q: usize, dout: usize, pos: usize, rel: usize,
  B: i32, T: i32, H: i32, D: i32, R: i32, p2c: i32, scale: f32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const HD = H * D;
  const j1 = min32(T, (qb + 1) * QB);
  for (let j = qb * QB; j < j1; j++) {
    const ok = at(dk, ((b * T + j) * H + h) * D), ov = at(dv, ((b * T + j) * H + h) * D);
    memory.fill(ok, 0, <usize>D << 2);
    memory.fill(ov, 0, <usize>D << 2);
    for (let i = 0; i < T; i++) {
      const e = ((b * H + h) * T + i) * T + j;
      const p = load<f32>(at(Pm, e));
      if (p == 0) continue;
      const g = load<f32>(at(dS, e));
      axpyRow(ov, at(dout, ((b * T + i) * H + h) * D), p, D);
      axpyRow(ok, at(q, ((b * T + i) * H + h) * D), g, D);
      if (p2c) axpyRow(ok, at(pos, (relAt(rel, T, R, i, j) * 2 + 1) * HD + h * D), g, D);
    }
    scaleRow(ok, ok, scale, D);
  }
}

export function att_rel_bwd_dpos(task: i32, tid: i32, dpos: usize, dS: usize, q: usize, k: usize, rel: usize,
  B: i32, T: i32, H: i32, D: i32, R: i32, c2p: i32, p2c: i32, scale: f32): void {
  const h = task;
  const HD = H * D;
  for (let r = 0; r < R; r++) {
    memory.fill(at(dpos, (r * 2) * HD + h * D), 0, <usize>D << 2);
    memory.fill(at(dpos, (r * 2 + 1) * HD + h * D), 0, <usize>D << 2);
  }
  const kc: f32 = c2p ? scale : 0, kp: f32 = p2c ? scale : 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      const prow = ((b * H + h) * T + i) * T;
      const qr = at(q, ((b * T + i) * H + h) * D);
      for (let j = 0; j < T; j++) {
        const g = load<f32>(at(dS, prow + j));
        if (g == 0) continue;
        const r = relAt(rel, T, R, i, j);
        if (c2p) axpyRow(at(dpos, (r * 2) * HD + h * D), qr, kc * g, D);
        if (p2c) axpyRow(at(dpos, (r * 2 + 1) * HD + h * D), at(k, ((b * T + j) * H + h) * D), kp * g, D);
      }
    }
  }
}
