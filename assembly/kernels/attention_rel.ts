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
import { at, dot, hmax, min32 } from './common';
import { axpyRow, expInPlace, keyOk, QB, scaleRow } from './attention';

export function att_rel_forward(task: i32, tid: i32, out: usize, lse: usize, q: usize, k: usize, v: usize,
  pos: usize, rel: usize, mask: usize, B: i32, T: i32, H: i32, D: i32, R: i32, c2p: i32, p2c: i32,
  scale: f32, emptyLse: f32, scratch: usize, stride: i32): void {
  const nqb = (T + QB - 1) / QB;
  const bh = task / nqb, qb = task - bh * nqb;
  const b = bh / H, h = bh - b * H;
  const S = scratch + <usize>tid * <usize>stride;
  const acc = at(S, T + 4);
  const HD = H * D;
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
        let s = dot(qr, kr, D);
        if (c2p) s += dot(qr, at(pos, (r * 2) * HD + h * D), D);
        if (p2c) s += dot(kr, at(pos, (r * 2 + 1) * HD + h * D), D);
        sc = scale * s;
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
