// matmul: out (M,N) = alpha · op(a) @ op(b) [+ bias (N) on every row] [+ out, when accumulate]
//   a (M,K) row-major, or (K,M) when transA; b (K,N), or (N,K) when transB.
//   batch: a, b, out hold `batch` matrices back to back; bStride = 0 when b is shared
//   (broadcastB), else K·N.
//
// Algorithm (GotoBLAS-style, register-blocked with f32x4):
//   1. mm_pack_b — B is packed into column panels of NR = 8: panel j holds, for each k in
//      order, the 8 values b[k, 8j .. 8j+7] (zero past N), so the micro-kernel reads 32
//      contiguous bytes per k whatever transB is. Tasks: one per (batch entry, PANELS_PER_TASK
//      panels); output packedB (batchB, nPanels, K, 8).
//   2. mm_compute — tasks over (batch, row block of rowsPerTask rows, column block of
//      panelsPerTask panels). For each panel of its column block and each micro-panel of
//      MR = 5 rows, the 5×8 micro-kernel (10 f32x4 accumulators, per k one broadcast load of
//      each of the 5 a values — read in place, a is not packed — and two loads of b) sums
//      over k, then the epilogue writes r = alpha·acc (+ bias[n]) (old + r when accumulate). 5×8 measured fastest here: 6×8
//      needs 15 vector registers and V8 keeps one of x64's 16 as scratch, so it spills.
//      K is walked in blocks of KC = 256 (the 5×KC slice of A and the KC×8 slice of a B panel
//      stay in L1). Between blocks the accumulators are parked in a per-thread tile and
//      reloaded, so each output is still ONE chain of additions in k order: the same bits as
//      without blocking, whichever task, tile or thread computes it — results depend on neither
//      the block sizes nor the thread count.
//   3. mm_small — for M < 4 (decode-time products): one task per (batch, 8-column strip),
//      rows computed straight from a and b without packing: for transB=false the k loop reads
//      b rows with f32x4 loads; for transB=true each output is a dot product along K (f32x4
//      lanes over k). The path depends on M alone, never on the thread count.
import { at, dot, min32 } from './common';

export const MR = 5;
export const NR = 8;
export const PANELS_PER_TASK = 4;
export const KC = 256;

/** Pack B (see header). nPanels = ceil(N/8); task → (bb, group of PANELS_PER_TASK panels). */
export function mm_pack_b(task: i32, tid: i32, packed: usize, b: usize, K: i32, N: i32, transB: i32, bStride: i32, groupsPerBatch: i32): void {
  const bb = task / groupsPerBatch;
  const g = task - bb * groupsPerBatch;
  const nPanels = (N + NR - 1) / NR;
  const src = b + (<usize>bb * <usize>bStride << 2);
  const p0 = g * PANELS_PER_TASK, p1 = min32(p0 + PANELS_PER_TASK, nPanels);
  for (let p = p0; p < p1; p++) {
    let dst = packed + ((<usize>bb * <usize>nPanels + <usize>p) * <usize>K * NR << 2);
    const c0 = p * NR;
    const w = min32(NR, N - c0);
    if (!transB) {
      if (w == NR) {
        for (let k = 0; k < K; k++) {
          const row = at(src, k * N + c0);
          v128.store(dst, v128.load(row));
          v128.store(dst + 16, v128.load(row + 16));
          dst += NR << 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          const row = at(src, k * N + c0);
          for (let c = 0; c < NR; c++) store<f32>(at(dst, c), c < w ? load<f32>(at(row, c)) : 0);
          dst += NR << 2;
        }
      }
    } else {
      // b is (N,K): column c of the panel is row c0+c of b, contiguous along k
      for (let c = 0; c < NR; c++) {
        if (c < w) {
          const row = at(src, (c0 + c) * K);
          for (let k = 0; k < K; k++) store<f32>(at(dst, k * NR + c), load<f32>(at(row, k)));
        } else {
          for (let k = 0; k < K; k++) store<f32>(at(dst, k * NR + c), 0);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function epilogueRow(o: usize, acc0: v128, acc1: v128, w: i32, alpha: f32, bias: usize, c0: i32, accumulate: i32, tmp: usize): void {
  let r0 = acc0, r1 = acc1;
  if (alpha != 1) { r0 = f32x4.mul(r0, f32x4.splat(alpha)); r1 = f32x4.mul(r1, f32x4.splat(alpha)); }
  if (w == NR) {
    if (bias) { r0 = f32x4.add(r0, v128.load(at(bias, c0))); r1 = f32x4.add(r1, v128.load(at(bias, c0 + 4))); }
    if (accumulate) { r0 = f32x4.add(v128.load(o), r0); r1 = f32x4.add(v128.load(o + 16), r1); }
    v128.store(o, r0);
    v128.store(o + 16, r1);
  } else {
    v128.store(tmp, r0);
    v128.store(tmp + 16, r1);
    for (let c = 0; c < w; c++) {
      let v = load<f32>(at(tmp, c));
      if (bias) v += load<f32>(at(bias, c0 + c));
      if (accumulate) v = load<f32>(at(o, c)) + v;
      store<f32>(at(o, c), v);
    }
  }
}

/**
 * 5×8 micro-kernel over kc values of k. op(a)[r, k] is read in place at pa + r·rs + k·ks
 * (bytes): rs = 4K, ks = 4 for a (M,K); rs = 4, ks = 4M for transA. Rows past the h valid
 * ones re-read the last valid row (their sums are never stored). Accumulators start at zero
 * (first) or from the parked tile `park` (40 floats); at the end they are parked again, or
 * (last) go through the epilogue for the h ≤ 5 valid rows and w ≤ 8 columns.
 */
function micro5x8(pa: usize, rs: usize, ks: usize, pb: usize, kc: i32, park: usize, first: bool, last: bool,
  out: usize, N: i32, h: i32, w: i32, alpha: f32, bias: usize, c0: i32, accumulate: i32, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  if (!first) {
    c00 = v128.load(park, 0); c01 = v128.load(park, 16);
    c10 = v128.load(park, 32); c11 = v128.load(park, 48);
    c20 = v128.load(park, 64); c21 = v128.load(park, 80);
    c30 = v128.load(park, 96); c31 = v128.load(park, 112);
    c40 = v128.load(park, 128); c41 = v128.load(park, 144);
  }
  const hm = <usize>(h - 1);
  let p0 = pa;
  let p1 = pa + rs * (hm < 1 ? hm : 1);
  let p2 = pa + rs * (hm < 2 ? hm : 2);
  let p3 = pa + rs * (hm < 3 ? hm : 3);
  let p4 = pa + rs * (hm < 4 ? hm : 4);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(p0);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(p1);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(p2);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(p3);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    a = v128.load32_splat(p4);
    c40 = f32x4.add(c40, f32x4.mul(a, b0)); c41 = f32x4.add(c41, f32x4.mul(a, b1));
    p0 += ks; p1 += ks; p2 += ks; p3 += ks; p4 += ks;
    pb += NR << 2;
  }
  if (!last) {
    v128.store(park, c00, 0); v128.store(park, c01, 16);
    v128.store(park, c10, 32); v128.store(park, c11, 48);
    v128.store(park, c20, 64); v128.store(park, c21, 80);
    v128.store(park, c30, 96); v128.store(park, c31, 112);
    v128.store(park, c40, 128); v128.store(park, c41, 144);
    return;
  }
  const os = <usize>N << 2;
  epilogueRow(out, c00, c01, w, alpha, bias, c0, accumulate, tmp);
  if (h > 1) epilogueRow(out + os, c10, c11, w, alpha, bias, c0, accumulate, tmp);
  if (h > 2) epilogueRow(out + 2 * os, c20, c21, w, alpha, bias, c0, accumulate, tmp);
  if (h > 3) epilogueRow(out + 3 * os, c30, c31, w, alpha, bias, c0, accumulate, tmp);
  if (h > 4) epilogueRow(out + 4 * os, c40, c41, w, alpha, bias, c0, accumulate, tmp);
}

/** floats of per-thread scratch mm_compute needs */
export function mm_scratch_floats(K: i32, rowsPerTask: i32, panelsPerTask: i32): i32 {
  return rowsPerTask * panelsPerTask * NR + 16;
}

/**
 * Compute tasks. task → (bt, row block, column block) with rowBlocks = ceil(M / rowsPerTask)
 * (rowsPerTask a multiple of MR) and colBlocks = ceil(nPanels / panelsPerTask).
 * Per K block: for each panel (its KC×8 slice stays in L1), for each micro-panel of MR rows,
 * run the micro-kernel reading op(a) in place (the row block's K slice stays in L2).
 * Scratch per thread (mm_scratch_floats): parked accumulators | 16 floats of staging.
 */
export function mm_compute(task: i32, tid: i32, out: usize, a: usize, packed: usize, bias: usize,
  M: i32, N: i32, K: i32, transA: i32, bPacked1: i32, alpha: f32, accumulate: i32,
  rowsPerTask: i32, panelsPerTask: i32, scratch: usize): void {
  const nPanels = (N + NR - 1) / NR;
  const rowBlocks = (M + rowsPerTask - 1) / rowsPerTask;
  const colBlocks = (nPanels + panelsPerTask - 1) / panelsPerTask;
  const perBatch = rowBlocks * colBlocks;
  const bt = task / perBatch;
  const rem = task - bt * perBatch;
  const rb = rem / colBlocks, cb = rem - rb * colBlocks;
  const tiles = scratch + (<usize>tid * <usize>mm_scratch_floats(K, rowsPerTask, panelsPerTask) << 2);
  const tmp = at(tiles, rowsPerTask * panelsPerTask * NR);
  const aB = a + (<usize>bt * <usize>M * <usize>K << 2);
  const oB = out + (<usize>bt * <usize>M * <usize>N << 2);
  const pB = packed + ((bPacked1 ? 0 : <usize>bt) * <usize>nPanels * <usize>K * NR << 2);
  // op(a)[r, k] at aB + r·rs + k·ks
  const rs: usize = transA ? 4 : <usize>K << 2;
  const ks: usize = transA ? <usize>M << 2 : 4;
  const r0 = rb * rowsPerTask, r1 = min32(M, r0 + rowsPerTask);
  const nMicro = (r1 - r0 + MR - 1) / MR;
  const p0 = cb * panelsPerTask, p1 = min32(nPanels, p0 + panelsPerTask);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min32(KC, K - k0);
    const first = k0 == 0, last = k0 + kc >= K;
    for (let p = p0; p < p1; p++) {
      const c0 = p * NR;
      const w = min32(NR, N - c0);
      const pb = pB + ((<usize>p * <usize>K + <usize>k0) * NR << 2);
      for (let i = 0; i < nMicro; i++) {
        const r = r0 + i * MR;
        micro5x8(aB + <usize>r * rs + <usize>k0 * ks, rs, ks, pb, kc, at(tiles, (i * panelsPerTask + (p - p0)) * MR * NR), first, last,
          at(oB, r * N + c0), N, min32(MR, M - r), w, alpha, bias, c0, accumulate, tmp);
      }
    }
  }
}
