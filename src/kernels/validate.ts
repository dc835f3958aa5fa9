// Shape checks shared by every backend: each returns the dimensions the kernels need, or
// throws a ShapeError that names the op and the tensor. Backends call these first, so both
// reject the same inputs with the same messages.
import { expectDtype, expectSize, ShapeError, type AttentionOptions, type MatmulOptions, type RopeOptions, type Tensor } from './backend.js';

export function sameSize(op: string, ...ts: [string, Tensor][]): number {
  const n = ts[0][1].size;
  for (const [name, t] of ts) expectSize(op, name, t, n);
  for (const [name, t] of ts) expectDtype(op, name, t, 'f32');
  return n;
}

export function checkMatmul(out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): { batch: number; bStride: number } {
  const { m, n, k } = o;
  for (const [name, v] of [['m', m], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`matmul: ${name}=${v} must be a positive integer`);
  }
  const batch = o.batch ?? 1;
  expectSize('matmul', 'a', a, batch * m * k);
  const bStride = o.broadcastB ? 0 : k * n;
  expectSize('matmul', 'b', b, o.broadcastB ? k * n : batch * k * n);
  expectSize('matmul', 'out', out, batch * m * n);
  if (o.bias) expectSize('matmul', 'bias', o.bias, n);
  return { batch, bStride };
}

/** x (N,C) with w (C): returns N, C */
export function checkRows(op: string, x: Tensor, cols: number): { rows: number; cols: number } {
  if (!Number.isInteger(cols) || cols < 1 || x.size % cols !== 0) {
    throw new ShapeError(`${op}: x has ${x.size} elements, not a whole number of rows of ${cols}`);
  }
  return { rows: x.size / cols, cols };
}

export function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
  const { batch: B, seq: T, heads: H, kvHeads: KH, headDim: D } = o;
  if (KH < 1 || H % KH !== 0) throw new ShapeError(`${op}: heads=${H} is not a multiple of kvHeads=${KH}`);
  expectSize(op, 'q', q, B * T * H * D);
  expectSize(op, 'k', k, B * T * KH * D);
  expectSize(op, 'v', v, B * T * KH * D);
  expectSize(op, 'out', out, B * T * H * D);
  expectSize(op, 'lse', lse, B * H * T);
  if (o.keyMask) { expectSize(op, 'keyMask', o.keyMask, B * T); expectDtype(op, 'keyMask', o.keyMask, 'i32'); }
}

export function checkRope(out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): number {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const rd = o.rotaryDim ?? D;
  if (rd % 2 !== 0 || rd > D || rd < 2) throw new ShapeError(`rope: rotaryDim=${rd} must be even and in [2, headDim=${D}]`);
  expectSize('rope', 'x', x, B * T * H * D);
  expectSize('rope', 'out', out, B * T * H * D);
  expectSize('rope', 'positions', positions, B * T);
  expectDtype('rope', 'positions', positions, 'i32');
  return rd;
}

export function checkOptimizer(op: string, param: Tensor, ...others: [string, Tensor | null][]): number {
  const n = param.size;
  for (const [name, t] of others) if (t) expectSize(op, name, t, n);
  return n;
}
