// Embedding lookup and its scatter-add backward. table, dtable (V,C); ids (N) i32;
// out, dout (N,C), all row-major.
//   emb_forward   out[n] = table[ids[n]] (zeros for an id outside [0,V)). Task = `rows` rows.
//   emb_backward  dtable[ids[n], c] += dout[n, c], n ascending. Task = a block of COL_BLOCK
//                 columns (reduce.ts) across all n: each dtable element is updated by one task,
//                 in n order, so repeated ids add up the same way whatever the threads.
//   emb_forward_half  the same from a 16-bit table (kind 1 bfloat16, 2 IEEE half), rows widened
//                 to f32 four at a time.
import { at, atK, KIND_BF16, KIND_F16, load1, load4, min32 } from './common';
import { COL_BLOCK } from './reduce';

export function emb_forward(task: i32, tid: i32, out: usize, table: usize, ids: usize, N: i32, V: i32, C: i32, rows: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const id = load<i32>(at(ids, r));
    const o = at(out, r * C);
    if (id >= 0 && id < V) memory.copy(o, at(table, id * C), <usize>C << 2);
    else memory.fill(o, 0, <usize>C << 2);
  }
}

export function emb_forward_half(task: i32, tid: i32, out: usize, table: usize, ids: usize, N: i32, V: i32, C: i32, rows: i32, kind: i32): void {
  if (kind == KIND_BF16) gatherHalf(task, out, table, ids, N, V, C, rows, KIND_BF16);
  else gatherHalf(task, out, table, ids, N, V, C, rows, KIND_F16);
}

// @ts-ignore: decorator
@inline function gatherHalf(task: i32, out: usize, table: usize, ids: usize, N: i32, V: i32, C: i32, rows: i32, kind: i32): void {
  const r1 = min32(N, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const id = load<i32>(at(ids, r));
    const o = at(out, r * C);
    if (id < 0 || id >= V) { memory.fill(o, 0, <usize>C << 2); continue; }
    const src = atK(table, id * C, kind);
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(at(o, c), load4(atK(src, c, kind), kind));
    for (; c < C; c++) store<f32>(at(o, c), load1(atK(src, c, kind), kind));
  }
}

export function emb_backward(task: i32, tid: i32, dtable: usize, dout: usize, ids: usize, N: i32, V: i32, C: i32): void {
  const c0 = task * COL_BLOCK, c1 = min32(C, c0 + COL_BLOCK);
  for (let n = 0; n < N; n++) {
    const id = load<i32>(at(ids, n));
    if (id < 0 || id >= V) continue;
    const d = at(dtable, id * C), s = at(dout, n * C);
    let c = c0;
    for (; c + 4 <= c1; c += 4) v128.store(at(d, c), f32x4.add(v128.load(at(d, c)), v128.load(at(s, c))));
    for (; c < c1; c++) store<f32>(at(d, c), load<f32>(at(d, c)) + load<f32>(at(s, c)));
  }
}
