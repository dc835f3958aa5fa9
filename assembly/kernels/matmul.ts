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
//      panelsPerTask panels). K is walked in blocks of KC = 256. Per K block the task packs
//      its rows of op(a) into micro-panels of MR = 5 rows (per k: 5 values, zero past M;
//      the block stays in L2), then for each panel (its KC×8 slice stays in L1) and each
//      micro-panel runs the 5×8 micro-kernel: 10 f32x4 accumulators, per k one broadcast
//      load per row of a and two loads of b. Accumulators are parked in a per-thread tile
//      between K blocks and reloaded, so each output is still ONE chain of additions in k
//      order. After the last block the epilogue writes r = alpha·acc (+ bias[n])
//      (old + r when accumulate). Every output is thus the same sum in the same order
//      whichever task, tile or thread computes it: results depend on neither the block
//      sizes nor the thread count. (5×8 because 6×8 needs 15 vector registers and V8 keeps
//      one of x64's 16 as scratch: it spilled. In the FMA builds, madd4 is one
//      fused multiply-add per accumulator update; a 6×8 block then fits, but it measured no
//      faster here.)
//   3. mm_small — for M < 4, and x·Wᵀ (transB, no transA) with M < WasmBackend.smallMTb
//      (decode-time linear layers): one task per (batch, 8-column strip), rows computed
//      straight from a and b without packing. x·Wᵀ: stripTimesWt (see its comment); else for
//      transB=false the k loop reads b rows with f32x4 loads; for transB=true each output is a
//      dot product along K (f32x4 lanes over k). The path depends on M alone, never on the
//      thread count.
//
// 16-bit b (bKind 1 = bfloat16, 2 = IEEE half; 0 = f32): a frozen weight kept half in memory.
// mm_pack_b then packs 16-bit panels (8 halves = 16 bytes per k: one v128 load) and the
// micro-kernel widens bfloat16 to two f32x4 in registers (micro5x8bf: one shuffle per 4 values).
// Exact IEEE-half widening costs ~10 vector ops per 4 values, more than the micro-kernel's FMAs
// can hide, so for f16 mm_compute widens each panel's K slice (≤ KC×8 values, 8 KiB) once into
// per-thread scratch, where it stays in L1 while every micro-panel of the task reads it.
// mm_small and the bf16 x·Wᵀ strip read 4 halves per v128.load64_zero and widen them in
// registers; the f16 x·Wᵀ strip widens its 8 rows of W (8·K values) once into scratch.
// No f32 copy of the weight is ever made; a, out, bias and all arithmetic stay f32.
import { at, atK, hsum, KIND_BF16, KIND_F16, KIND_F32, load1, load4, madd1, madd4, min32, widenHi, widenLo } from './common';

export const MR = 5;
export const NR = 8;
export const PANELS_PER_TASK = 4;
export const KC = 256;

/** Pack B (see header). nPanels = ceil(N/8); task → (bb, group of PANELS_PER_TASK panels).
 *  bKind 1/2: b and the panels hold 16-bit values (copied as bits, widened by the micro-kernel). */
export function mm_pack_b(task: i32, tid: i32, packed: usize, b: usize, K: i32, N: i32, transB: i32, bStride: i32, groupsPerBatch: i32, bKind: i32): void {
  if (bKind == KIND_F32) packPanels(task, packed, b, K, N, transB, bStride, groupsPerBatch, KIND_F32);
  else packPanels(task, packed, b, K, N, transB, bStride, groupsPerBatch, KIND_BF16);
}

// @ts-ignore: decorator
@inline function packPanels(task: i32, packed: usize, b: usize, K: i32, N: i32, transB: i32, bStride: i32, groupsPerBatch: i32, kind: i32): void {
  const bb = task / groupsPerBatch;
  const g = task - bb * groupsPerBatch;
  const nPanels = (N + NR - 1) / NR;
  const src = atK(b, bb * bStride, kind);
  const p0 = g * PANELS_PER_TASK, p1 = min32(p0 + PANELS_PER_TASK, nPanels);
  const rowBytes: usize = kind ? NR << 1 : NR << 2;
  for (let p = p0; p < p1; p++) {
    let dst = packed + (<usize>bb * <usize>nPanels + <usize>p) * <usize>K * rowBytes;
    const c0 = p * NR;
    const w = min32(NR, N - c0);
    if (!transB) {
      if (w == NR) {
        for (let k = 0; k < K; k++) {
          const row = atK(src, k * N + c0, kind);
          v128.store(dst, v128.load(row));
          if (!kind) v128.store(dst + 16, v128.load(row + 16));
          dst += rowBytes;
        }
      } else {
        for (let k = 0; k < K; k++) {
          const row = atK(src, k * N + c0, kind);
          for (let c = 0; c < NR; c++) {
            if (kind) store<u16>(atK(dst, c, kind), c < w ? load<u16>(atK(row, c, kind)) : 0);
            else store<f32>(at(dst, c), c < w ? load<f32>(at(row, c)) : 0);
          }
          dst += rowBytes;
        }
      }
    } else {
      // b is (N,K): column c of the panel is row c0+c of b, contiguous along k
      for (let c = 0; c < NR; c++) {
        if (c < w) {
          const row = atK(src, (c0 + c) * K, kind);
          if (kind) for (let k = 0; k < K; k++) store<u16>(atK(dst, k * NR + c, kind), load<u16>(atK(row, k, kind)));
          else for (let k = 0; k < K; k++) store<f32>(at(dst, k * NR + c), load<f32>(at(row, k)));
        } else {
          if (kind) for (let k = 0; k < K; k++) store<u16>(atK(dst, k * NR + c, kind), 0);
          else for (let k = 0; k < K; k++) store<f32>(at(dst, k * NR + c), 0);
        }
      }
    }
  }
}

/** pack MR rows (r0 ..) of op(a), k in [k0, k0+kc), for one batch entry:
 *  dst[(k−k0)·MR + r] = op(a)[r0 + r, k], zero for rows past M */
function packA(dst: usize, a: usize, M: i32, K: i32, transA: i32, r0: i32, k0: i32, kc: i32): void {
  const h = min32(MR, M - r0);
  if (!transA) {
    for (let r = 0; r < MR; r++) {
      const d = at(dst, r);
      if (r < h) {
        const row = at(a, (r0 + r) * K + k0);
        for (let k = 0; k < kc; k++) store<f32>(d + <usize>(k * MR << 2), load<f32>(at(row, k)));
      } else {
        for (let k = 0; k < kc; k++) store<f32>(d + <usize>(k * MR << 2), 0);
      }
    }
  } else {
    // a is (K,M): row k holds op(a)[., k] contiguously
    for (let k = 0; k < kc; k++) {
      const src = at(a, (k0 + k) * M + r0);
      const d = at(dst, k * MR);
      if (h == MR) {
        store<f32>(d, load<f32>(src)); store<f32>(d, load<f32>(src, 4), 4); store<f32>(d, load<f32>(src, 8), 8);
        store<f32>(d, load<f32>(src, 12), 12); store<f32>(d, load<f32>(src, 16), 16);
      } else {
        for (let r = 0; r < MR; r++) store<f32>(at(d, r), r < h ? load<f32>(at(src, r)) : 0);
      }
    }
  }
}

/**
 * 5×8 micro-kernel over kc values of k: pa = packed A (per k: 5 values), pb = a B panel slice
 * (per k: 8 values). The 10 accumulators start at zero (first) or from the tile `park`
 * (40 floats, row-major 5×8) and are parked there at the end. Kept small and not inlined
 * on purpose: TurboFan then holds all 10 accumulators, both b vectors and the broadcasts in
 * registers (x64 has 16, V8 keeps one as scratch); a 6×8 block, reading A in place through
 * five row pointers, or inlining into mm_compute made it spill.
 */
function micro5x8(pa: usize, pb: usize, kc: i32, park: usize, first: bool): void { microBody(pa, pb, kc, park, first, KIND_F32); }
/** micro5x8 over a bfloat16 B panel (per k: 8 halves, widened in registers) */
function micro5x8bf(pa: usize, pb: usize, kc: i32, park: usize, first: bool): void { microBody(pa, pb, kc, park, first, KIND_BF16); }

/** kc×8 IEEE halves of a packed panel slice → f32 at dst (mm_compute's per-slice widening) */
function widenSliceF16(dst: usize, src: usize, kc: i32): void {
  for (let k = 0; k < kc; k++) {
    const h = v128.load(src + (<usize>k << 4));
    v128.store(dst + (<usize>k << 5), widenLo(h, KIND_F16));
    v128.store(dst + (<usize>k << 5), widenHi(h, KIND_F16), 16);
  }
}

// @ts-ignore: decorator
@inline function microBody(pa: usize, pb: usize, kc: i32, park: usize, first: bool, kind: i32): void {
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
  for (let k = 0; k < kc; k++) {
    let b0: v128, b1: v128;
    if (kind == KIND_F32) { b0 = v128.load(pb); b1 = v128.load(pb, 16); }
    else { const h = v128.load(pb); b0 = widenLo(h, kind); b1 = widenHi(h, kind); }
    let a = v128.load32_splat(pa);
    c00 = madd4(a, b0, c00); c01 = madd4(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd4(a, b0, c10); c11 = madd4(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd4(a, b0, c20); c21 = madd4(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd4(a, b0, c30); c31 = madd4(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd4(a, b0, c40); c41 = madd4(a, b1, c41);
    pa += MR << 2;
    pb += kind ? NR << 1 : NR << 2;
  }
  v128.store(park, c00, 0); v128.store(park, c01, 16);
  v128.store(park, c10, 32); v128.store(park, c11, 48);
  v128.store(park, c20, 64); v128.store(park, c21, 80);
  v128.store(park, c30, 96); v128.store(park, c31, 112);
  v128.store(park, c40, 128); v128.store(park, c41, 144);
}

/** the micro-kernel for the panel's kind, f32 or bf16 (expanded at each call site, so every
 *  kernel keeps several call sites and stays a function of its own) */
// @ts-ignore: decorator
@inline function micro(kind: i32, pa: usize, pb: usize, kc: i32, park: usize, first: bool): void {
  if (kind == KIND_BF16) micro5x8bf(pa, pb, kc, park, first);
  else micro5x8(pa, pb, kc, park, first);
}

/** out rows r < h, columns c < w from a row-major tile with rows of NR: alpha·acc (+ bias)
 *  (old + that when accumulate) — the same f32 operations in the vector and scalar forms */
function epilogue(out: usize, N: i32, tile: usize, h: i32, w: i32, alpha: f32, bias: usize, c0: i32, accumulate: i32): void {
  const av = f32x4.splat(alpha);
  for (let r = 0; r < h; r++) {
    const o = at(out, r * N), t = at(tile, r * NR);
    if (w == NR) {
      let r0 = v128.load(t), r1 = v128.load(t, 16);
      if (alpha != 1) { r0 = f32x4.mul(r0, av); r1 = f32x4.mul(r1, av); }
      if (bias) { r0 = f32x4.add(r0, v128.load(at(bias, c0))); r1 = f32x4.add(r1, v128.load(at(bias, c0 + 4))); }
      if (accumulate) { r0 = f32x4.add(v128.load(o), r0); r1 = f32x4.add(v128.load(o, 16), r1); }
      v128.store(o, r0);
      v128.store(o, r1, 16);
    } else {
      for (let c = 0; c < w; c++) {
        let v = load<f32>(at(t, c));
        if (alpha != 1) v *= alpha;
        if (bias) v += load<f32>(at(bias, c0 + c));
        if (accumulate) v = load<f32>(at(o, c)) + v;
        store<f32>(at(o, c), v);
      }
    }
  }
}

/** floats of per-thread scratch mm_compute needs: the packed A block, then the parked
 *  tiles (one tile when K fits one block: each is written out at once), then 16 spare, then
 *  for an f16 b one widened panel slice (KC×8) */
export function mm_scratch_floats(K: i32, rowsPerTask: i32, panelsPerTask: i32, bKind: i32): i32 {
  const tiles = K <= KC ? MR * NR : rowsPerTask * panelsPerTask * NR;
  return rowsPerTask * min32(K, KC) + tiles + 16 + (bKind == KIND_F16 ? KC * NR : 0);
}

/**
 * Compute tasks. task → (bt, row block, column block) with rowBlocks = ceil(M / rowsPerTask)
 * (rowsPerTask a multiple of MR) and colBlocks = ceil(nPanels / panelsPerTask).
 * Per K block: pack the row block's slice of op(a) (micro-panels of MR×kc, in L2), then for
 * each panel (its kc×8 slice stays in L1), for each micro-panel, run the micro-kernel. With
 * one K block each tile goes through the epilogue at once; with several, tiles stay parked
 * until the last block, then the epilogue writes them all.
 * Scratch per thread (mm_scratch_floats): packed A block | parked tiles | 16 spare floats |
 * the widened slice of an f16 panel (bKind 2: widened once per (panel, K block), then read by
 * the f32 micro-kernel; bf16 panels are widened inside micro5x8bf).
 */
export function mm_compute(task: i32, tid: i32, out: usize, a: usize, packed: usize, bias: usize,
  M: i32, N: i32, K: i32, transA: i32, bPacked1: i32, alpha: f32, accumulate: i32,
  rowsPerTask: i32, panelsPerTask: i32, scratch: usize, bKind: i32): void {
  const nPanels = (N + NR - 1) / NR;
  const rowBlocks = (M + rowsPerTask - 1) / rowsPerTask;
  const colBlocks = (nPanels + panelsPerTask - 1) / panelsPerTask;
  const perBatch = rowBlocks * colBlocks;
  const bt = task / perBatch;
  const rem = task - bt * perBatch;
  const rb = rem / colBlocks, cb = rem - rb * colBlocks;
  const sa = scratch + (<usize>tid * <usize>mm_scratch_floats(K, rowsPerTask, panelsPerTask, bKind) << 2);
  const tiles = at(sa, rowsPerTask * min32(K, KC));
  const wide = at(tiles, (K <= KC ? MR * NR : rowsPerTask * panelsPerTask * NR) + 16);
  const f16 = bKind == KIND_F16;
  const kind = f16 ? KIND_F32 : bKind; // what the micro-kernel reads
  const aB = a + (<usize>bt * <usize>M * <usize>K << 2);
  const oB = out + (<usize>bt * <usize>M * <usize>N << 2);
  const eb: usize = bKind ? 1 : 2; // log2 of the packed element's bytes
  const pB = packed + ((bPacked1 ? 0 : <usize>bt) * <usize>nPanels * <usize>K * NR << eb);
  const r0 = rb * rowsPerTask, r1 = min32(M, r0 + rowsPerTask);
  const nMicro = (r1 - r0 + MR - 1) / MR;
  const p0 = cb * panelsPerTask, p1 = min32(nPanels, p0 + panelsPerTask);
  const np = p1 - p0;
  if (K <= KC) {
    for (let i = 0; i < nMicro; i++) packA(at(sa, i * MR * K), aB, M, K, transA, r0 + i * MR, 0, K);
    for (let p = 0; p < np; p++) {
      const c0 = (p0 + p) * NR;
      let pb = pB + (<usize>(p0 + p) * <usize>K * NR << eb);
      if (f16) { widenSliceF16(wide, pb, K); pb = wide; }
      for (let i = 0; i < nMicro; i++) {
        const r = r0 + i * MR;
        micro(kind, at(sa, i * MR * K), pb, K, tiles, true);
        epilogue(at(oB, r * N + c0), N, tiles, min32(MR, M - r), min32(NR, N - c0), alpha, bias, c0, accumulate);
      }
    }
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min32(KC, K - k0);
    for (let i = 0; i < nMicro; i++) packA(at(sa, i * MR * kc), aB, M, K, transA, r0 + i * MR, k0, kc);
    for (let p = 0; p < np; p++) {
      let pb = pB + ((<usize>(p0 + p) * <usize>K + <usize>k0) * NR << eb);
      if (f16) { widenSliceF16(wide, pb, kc); pb = wide; }
      // two call sites (first K block or not) keep Binaryen from inlining the micro-kernel:
      // compiled on its own, TurboFan keeps every accumulator in a register (inlined here,
      // it spilled three of them to the stack)
      if (k0 == 0) for (let i = 0; i < nMicro; i++) micro(kind, at(sa, i * MR * kc), pb, kc, at(tiles, (i * np + p) * MR * NR), true);
      else for (let i = 0; i < nMicro; i++) micro(kind, at(sa, i * MR * kc), pb, kc, at(tiles, (i * np + p) * MR * NR), false);
    }
  }
  for (let i = 0; i < nMicro; i++) {
    const r = r0 + i * MR;
    for (let p = 0; p < np; p++) {
      const c0 = (p0 + p) * NR;
      epilogue(at(oB, r * N + c0), N, at(tiles, (i * np + p) * MR * NR), min32(MR, M - r), min32(NR, N - c0), alpha, bias, c0, accumulate);
    }
  }
}

/** floats of per-thread scratch mm_small needs: a 16-float tile, and for f16 x·Wᵀ the strip's
 *  8 rows of W widened (8·K) */
export function mm_small_scratch_floats(K: i32, bKind: i32): i32 { return bKind == KIND_F16 ? 16 + NR * K : 16; }

/** K IEEE halves at src → f32 at dst */
function widenRowF16(dst: usize, src: usize, K: i32): void {
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const h = v128.load(atK(src, k, KIND_F16));
    v128.store(at(dst, k), widenLo(h, KIND_F16));
    v128.store(at(dst, k + 4), widenHi(h, KIND_F16));
  }
  for (; k < K; k++) store<f32>(at(dst, k), load1(atK(src, k, KIND_F16), KIND_F16));
}

/**
 * Small M (M < 4): task → (bt, strip of 8 columns). No packing. The row's 8 sums go through a
 * staging tile (scratch: 16 floats per thread) into the same epilogue. bKind: b's storage.
 */
export function mm_small(task: i32, tid: i32, out: usize, a: usize, b: usize, bias: usize,
  M: i32, N: i32, K: i32, transA: i32, transB: i32, bStride: i32, alpha: f32, accumulate: i32, scratch: usize, bKind: i32): void {
  const strips = (N + NR - 1) / NR;
  const bt = task / strips;
  const s = task - bt * strips;
  const c0 = s * NR;
  const w = min32(NR, N - c0);
  const aB = a + (<usize>bt * <usize>M * <usize>K << 2);
  const bB = atK(b, bt * bStride, bKind);
  const oB = out + (<usize>bt * <usize>M * <usize>N << 2);
  const tile = scratch + (<usize>tid * <usize>mm_small_scratch_floats(K, bKind) << 2);
  if (transB && !transA) {
    if (bKind == KIND_F32) stripTimesWt(aB, bB, oB, tile, M, N, K, c0, w, alpha, bias, accumulate);
    else if (bKind == KIND_BF16) stripTimesWtBf(aB, bB, oB, tile, M, N, K, c0, w, alpha, bias, accumulate);
    else {
      // f16: the strip's 8 rows of W widened once (8·K floats after the tile) for every row
      // pair, as exact widening costs more than the strip's multiply-adds; row cg of W is then
      // at wide + (cg − c0)·K floats (the base below wraps modulo 2^32, as the arithmetic does)
      const wide = at(tile, 16);
      for (let c = 0; c < NR; c++) widenRowF16(at(wide, c * K), atK(bB, min32(c0 + c, N - 1) * K, KIND_F16), K);
      stripTimesWt(aB, wide - (<usize>c0 * <usize>K << 2), oB, tile, M, N, K, c0, w, alpha, bias, accumulate);
    }
    return;
  }
  if (bKind == KIND_F32) smallRows(aB, bB, oB, tile, M, N, K, c0, w, transA, transB, alpha, bias, accumulate, KIND_F32);
  else if (bKind == KIND_BF16) smallRows(aB, bB, oB, tile, M, N, K, c0, w, transA, transB, alpha, bias, accumulate, KIND_BF16);
  else smallRows(aB, bB, oB, tile, M, N, K, c0, w, transA, transB, alpha, bias, accumulate, KIND_F16);
}

/** mm_small's rows when not x·Wᵀ: for transB=false the k loop reads 8 values of a b row
 *  (two f32x4, or one v128 of halves widened); else one output at a time along K */
// @ts-ignore: decorator
@inline function smallRows(aB: usize, bB: usize, oB: usize, tile: usize, M: i32, N: i32, K: i32, c0: i32, w: i32,
  transA: i32, transB: i32, alpha: f32, bias: usize, accumulate: i32, kind: i32): void {
  for (let r = 0; r < M; r++) {
    if (!transB && w == NR) {
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const av = v128.load32_splat(at(aB, transA ? k * M + r : r * K + k));
        const row = atK(bB, k * N + c0, kind);
        if (kind == KIND_F32) {
          acc0 = madd4(av, v128.load(row), acc0);
          acc1 = madd4(av, v128.load(row, 16), acc1);
        } else {
          const h = v128.load(row);
          acc0 = madd4(av, widenLo(h, kind), acc0);
          acc1 = madd4(av, widenHi(h, kind), acc1);
        }
      }
      v128.store(tile, acc0);
      v128.store(tile, acc1, 16);
    } else {
      for (let c = 0; c < NR; c++) {
        let sum: f32 = 0;
        if (c < w) {
          for (let k = 0; k < K; k++) {
            const av = load<f32>(at(aB, transA ? k * M + r : r * K + k));
            const bv = load1(atK(bB, transB ? (c0 + c) * K + k : k * N + c0 + c, kind), kind);
            sum = madd1(av, bv, sum);
          }
        }
        store<f32>(at(tile, c), sum);
      }
    }
    epilogue(at(oB, r * N + c0), N, tile, 1, w, alpha, bias, c0, accumulate);
  }
}

/**
 * mm_small's x·Wᵀ case (transB, no transA) — the decode-time product of every linear layer,
 * taken for M < WasmBackend.smallMTb: one strip of 8 columns of out (M,N) = alpha·a·bᵀ
 * (+ bias) (+ out), a (M,K), b (N,K), no packing.
 * For each pair of rows and each group of 4 columns, 8 f32x4 accumulators run along K in steps
 * of 4 (per step: 2 loads of a, 4 of b, 8 multiply-adds); the lanes are summed at the end and
 * the K % 4 tail added after. The strip's 8 rows of b (8·K floats) stay in L1 while the row
 * pairs pass over them, so b — the weights — is read from memory once per call, where packing
 * it (mm_pack_b) would read and write it all first. Rows and columns past the edge re-read the
 * last real one and are not stored. Each output is one task's fixed sequence of operations:
 * results depend on M and K, never on the thread count. With bf16 b (stripTimesWtBf) each load
 * of b takes 4 halves (8 bytes) and widens them in registers; f16 b is widened row by row into
 * scratch first (mm_small).
 */
function stripTimesWt(aB: usize, bB: usize, oB: usize, tile: usize, M: i32, N: i32, K: i32, c0: i32, w: i32,
  alpha: f32, bias: usize, accumulate: i32): void { stripBody(aB, bB, oB, tile, M, N, K, c0, w, alpha, bias, accumulate, KIND_F32); }
function stripTimesWtBf(aB: usize, bB: usize, oB: usize, tile: usize, M: i32, N: i32, K: i32, c0: i32, w: i32,
  alpha: f32, bias: usize, accumulate: i32): void { stripBody(aB, bB, oB, tile, M, N, K, c0, w, alpha, bias, accumulate, KIND_BF16); }

// @ts-ignore: decorator
@inline function stripBody(aB: usize, bB: usize, oB: usize, tile: usize, M: i32, N: i32, K: i32, c0: i32, w: i32,
  alpha: f32, bias: usize, accumulate: i32, kind: i32): void {
  const K4 = K & ~3;
  for (let r = 0; r < M; r += 2) {
    const a0 = at(aB, r * K), a1 = at(aB, min32(r + 1, M - 1) * K);
    for (let g = 0; g < NR; g += 4) {
      const cg = c0 + g;
      const b0 = atK(bB, min32(cg, N - 1) * K, kind), b1 = atK(bB, min32(cg + 1, N - 1) * K, kind);
      const b2 = atK(bB, min32(cg + 2, N - 1) * K, kind), b3 = atK(bB, min32(cg + 3, N - 1) * K, kind);
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x02 = f32x4.splat(0), x03 = f32x4.splat(0);
      let x10 = f32x4.splat(0), x11 = f32x4.splat(0), x12 = f32x4.splat(0), x13 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const p = <usize>k << 2, q = atK(0, k, kind);
        const u = v128.load(a0 + p), v = v128.load(a1 + p);
        const w0 = load4(b0 + q, kind), w1 = load4(b1 + q, kind), w2 = load4(b2 + q, kind), w3 = load4(b3 + q, kind);
        x00 = madd4(u, w0, x00); x01 = madd4(u, w1, x01); x02 = madd4(u, w2, x02); x03 = madd4(u, w3, x03);
        x10 = madd4(v, w0, x10); x11 = madd4(v, w1, x11); x12 = madd4(v, w2, x12); x13 = madd4(v, w3, x13);
      }
      let s00 = hsum(x00), s01 = hsum(x01), s02 = hsum(x02), s03 = hsum(x03);
      let s10 = hsum(x10), s11 = hsum(x11), s12 = hsum(x12), s13 = hsum(x13);
      for (let k = K4; k < K; k++) {
        const u = load<f32>(at(a0, k)), v = load<f32>(at(a1, k));
        const w0 = load1(atK(b0, k, kind), kind), w1 = load1(atK(b1, k, kind), kind);
        const w2 = load1(atK(b2, k, kind), kind), w3 = load1(atK(b3, k, kind), kind);
        s00 = madd1(u, w0, s00); s01 = madd1(u, w1, s01); s02 = madd1(u, w2, s02); s03 = madd1(u, w3, s03);
        s10 = madd1(v, w0, s10); s11 = madd1(v, w1, s11); s12 = madd1(v, w2, s12); s13 = madd1(v, w3, s13);
      }
      const t0 = at(tile, g), t1 = at(tile, NR + g);
      store<f32>(t0, s00); store<f32>(t0, s01, 4); store<f32>(t0, s02, 8); store<f32>(t0, s03, 12);
      store<f32>(t1, s10); store<f32>(t1, s11, 4); store<f32>(t1, s12, 8); store<f32>(t1, s13, 12);
    }
    epilogue(at(oB, r * N + c0), N, tile, min32(2, M - r), w, alpha, bias, c0, accumulate);
  }
}
