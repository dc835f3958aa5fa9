// Reductions, deterministic: every sum is split into chunks of a FIXED size (independent of
// the thread count) and the chunk partials are combined in chunk order.
//
//   red_sumsq_partial  x (n) → part (ceil(n/RED_CHUNK)) f64: part[t] = Σ x² over chunk t
//                      (f64x2 lanes, combined in a fixed order). Task t = chunk t.
//   red_sumsq_final    part (nparts) f64 → out (1) f32 = Σ part in order (accumulate: out +=,
//                      added in f64). One task.
//   red_colsum         x (R,C) → out (C): out[c] (+)= Σ_{r < R} x[r,c], rows in order, f32.
//                      Tasks over column blocks of COL_BLOCK. Used twice for sumRows:
//                      phase 1 with R = rows of one chunk (ROW_CHUNK rows, part row t = task's
//                      chunk: red_colsum_chunks), phase 2 over the (nchunks, C) partials.
//   red_colsum_chunks  x (N,C) → part (ceil(N/ROW_CHUNK), C): part[t,c] = Σ rows of chunk t.
//                      Task t = chunk t.
//   red_seqsum         x, mask (B,T) → out (B) = Σ_{t: mask≠0} x·mask, accumulated in f64 in t order.
//                      Task = SEQ_ROWS rows.
//   red_seqsum_backward dx (B,T) = dout[b]·mask[b,t]. Task = SEQ_ROWS rows.
import { at, min32 } from './common';

export const RED_CHUNK = 8192;
export const ROW_CHUNK = 64;
export const COL_BLOCK = 256;
export const SEQ_ROWS = 16;

export function red_sumsq_partial(task: i32, tid: i32, part: usize, x: usize, n: i32): void {
  let i = task * RED_CHUNK; const e = min32(n, i + RED_CHUNK);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  for (; i + 4 <= e; i += 4) {
    const v = v128.load(at(x, i));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    a0 = f64x2.add(a0, f64x2.mul(lo, lo));
    a1 = f64x2.add(a1, f64x2.mul(hi, hi));
  }
  const s2 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
  for (; i < e; i++) { const v = <f64>load<f32>(at(x, i)); s += v * v; }
  store<f64>(part + (<usize>task << 3), s);
}

export function red_sumsq_final(task: i32, tid: i32, out: usize, part: usize, nparts: i32, accumulate: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < nparts; i++) s += load<f64>(part + (<usize>i << 3));
  if (accumulate) s += <f64>load<f32>(out);
  store<f32>(out, <f32>s);
}

/** out[c0..c1) (+)= Σ_{r<R} x[r, c] for columns of block `blk`, rows in order */
function colsumBlock(out: usize, x: usize, R: i32, C: i32, c0: i32, c1: i32, accumulate: i32): void {
  let c = c0;
  for (; c + 16 <= c1; c += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let r = 0; r < R; r++) {
      const p = at(x, r * C + c);
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
    }
    const o = at(out, c);
    if (accumulate) {
      s0 = f32x4.add(v128.load(o), s0); s1 = f32x4.add(v128.load(o, 16), s1);
      s2 = f32x4.add(v128.load(o, 32), s2); s3 = f32x4.add(v128.load(o, 48), s3);
    }
    v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
  }
  for (; c < c1; c++) {
    let s: f32 = 0;
    for (let r = 0; r < R; r++) s += load<f32>(at(x, r * C + c));
    const o = at(out, c);
    store<f32>(o, accumulate ? load<f32>(o) + s : s);
  }
}

export function red_colsum(task: i32, tid: i32, out: usize, x: usize, R: i32, C: i32, accumulate: i32): void {
  const c0 = task * COL_BLOCK;
  colsumBlock(out, x, R, C, c0, min32(C, c0 + COL_BLOCK), accumulate);
}

export function red_colsum_chunks(task: i32, tid: i32, part: usize, x: usize, N: i32, C: i32): void {
  const r0 = task * ROW_CHUNK;
  const R = min32(N - r0, ROW_CHUNK);
  colsumBlock(at(part, task * C), at(x, r0 * C), R, C, 0, C, 0);
}

export function red_seqsum(task: i32, tid: i32, out: usize, x: usize, mask: usize, B: i32, T: i32): void {
  const b1 = min32(B, (task + 1) * SEQ_ROWS);
  for (let b = task * SEQ_ROWS; b < b1; b++) {
    let s: f64 = 0;
    const xr = at(x, b * T), mr = at(mask, b * T);
    for (let t = 0; t < T; t++) {
      // skip, not multiply: a masked position's x (padding: NaN/Inf allowed) never reaches the sum
      const m = load<f32>(at(mr, t));
      if (m != 0) s += <f64>(load<f32>(at(xr, t)) * m);
    }
    store<f32>(at(out, b), <f32>s);
  }
}

export function red_seqsum_backward(task: i32, tid: i32, dx: usize, dout: usize, mask: usize, B: i32, T: i32): void {
  const b1 = min32(B, (task + 1) * SEQ_ROWS);
  for (let b = task * SEQ_ROWS; b < b1; b++) {
    const d = load<f32>(at(dout, b));
    const dv = f32x4.splat(d);
    const xr = at(dx, b * T), mr = at(mask, b * T);
    let t = 0;
    for (; t + 4 <= T; t += 4) v128.store(at(xr, t), f32x4.mul(dv, v128.load(at(mr, t))));
    for (; t < T; t++) store<f32>(at(xr, t), d * load<f32>(at(mr, t)));
  }
}
