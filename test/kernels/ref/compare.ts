// Row-by-row comparison: a row of tiny values (softmax over a long row) is judged against its
// own scale, not the largest value in the whole tensor.
import { expectClose } from '../harness.js';

export function expectRowsClose(got: ArrayLike<number>, want: ArrayLike<number>, rows: number, cols: number, tol: number, what: string): number {
  if (got.length !== rows * cols || want.length !== rows * cols) throw new Error(`${what}: length ${got.length}/${want.length}, expected ${rows * cols}`);
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const g = Array.prototype.slice.call(got, r * cols, (r + 1) * cols) as number[];
    const w = Array.prototype.slice.call(want, r * cols, (r + 1) * cols) as number[];
    worst = Math.max(worst, expectClose(g, w, tol, `${what} row ${r}`));
  }
  return worst;
}
