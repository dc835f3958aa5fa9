// Elementwise ops, f32. Tasks are chunks of EW_CHUNK elements: task t covers elements
// [t·EW_CHUNK, min(n, (t+1)·EW_CHUNK)); f32x4 body, scalar tail.
//   ew_fill   o (n) = v
//   ew_copy   dst (n) = src (n)        (pointers already offset; memmove semantics per task)
//   ew_add    o = a + b;  ew_mul  o = a ⊙ b
//   ew_scale  o = x · s
//   ew_axpy   y += alpha · x           (in place on y)
import { at, min32 } from './common';

export const EW_CHUNK = 16384;

// @ts-ignore: decorator
@inline function range(task: i32, n: i32): i32 { return min32(n, (task + 1) * EW_CHUNK); }

export function ew_fill(task: i32, tid: i32, o: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = task * EW_CHUNK; const e = range(task, n);
  for (; i + 4 <= e; i += 4) v128.store(at(o, i), vv);
  for (; i < e; i++) store<f32>(at(o, i), v);
}

export function ew_copy(task: i32, tid: i32, dst: usize, src: usize, n: i32): void {
  const i = task * EW_CHUNK; const e = range(task, n);
  memory.copy(at(dst, i), at(src, i), <usize>(e - i) << 2);
}

export function ew_add(task: i32, tid: i32, o: usize, a: usize, b: usize, n: i32): void {
  let i = task * EW_CHUNK; const e = range(task, n);
  for (; i + 4 <= e; i += 4) v128.store(at(o, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < e; i++) store<f32>(at(o, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

export function ew_mul(task: i32, tid: i32, o: usize, a: usize, b: usize, n: i32): void {
  let i = task * EW_CHUNK; const e = range(task, n);
  for (; i + 4 <= e; i += 4) v128.store(at(o, i), f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < e; i++) store<f32>(at(o, i), load<f32>(at(a, i)) * load<f32>(at(b, i)));
}

export function ew_scale(task: i32, tid: i32, o: usize, x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = task * EW_CHUNK; const e = range(task, n);
  for (; i + 4 <= e; i += 4) v128.store(at(o, i), f32x4.mul(v128.load(at(x, i)), sv));
  for (; i < e; i++) store<f32>(at(o, i), load<f32>(at(x, i)) * s);
}

export function ew_axpy(task: i32, tid: i32, y: usize, x: usize, n: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  let i = task * EW_CHUNK; const e = range(task, n);
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(av, v128.load(at(x, i)))));
  for (; i < e; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + alpha * load<f32>(at(x, i)));
}
