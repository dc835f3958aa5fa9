// Softmax family (assembly/kernels/softmax.ts): one row per lane of work, tasks of whole rows.
import { ShapeError, type Tensor } from '../../backend.js';
import { checkLogprobs, checkRowOp, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

/** rows of C columns per pool task (~8192 elements) — softmax and the fused LM head's chunks */
export function rowsPerTask(C: number): number { return Math.max(1, Math.floor(8192 / C)); }

export function softmax(be: WasmBackend, out: Tensor, x: Tensor, cols: number): void {
  const { rows: N, cols: C } = checkRowOp('softmax', x, cols, [['out', out]]);
  noAlias('softmax', [['out', out]], [['x', x]]);
  const r = rowsPerTask(C);
  be.run('sm_softmax', Math.ceil(N / r), N * C * 4, [be.p(out), be.p(x), N, C, r]);
}

export function softmaxBackward(be: WasmBackend, dx: Tensor, y: Tensor, dy: Tensor, cols: number): void {
  const { rows: N, cols: C } = checkRowOp('softmaxBackward', y, cols, [['dx', dx], ['dy', dy]]);
  noAlias('softmaxBackward', [['dx', dx]], [['y', y], ['dy', dy]]);
  const r = rowsPerTask(C);
  be.run('sm_softmax_backward', Math.ceil(N / r), N * C, [be.p(dx), be.p(y), be.p(dy), N, C, r]);
}

export function logSoftmax(be: WasmBackend, out: Tensor, x: Tensor, cols: number): void {
  const { rows: N, cols: C } = checkRowOp('logSoftmax', x, cols, [['out', out]]);
  noAlias('logSoftmax', [['out', out]], [['x', x]]);
  const r = rowsPerTask(C);
  be.run('sm_log_softmax', Math.ceil(N / r), N * C * 4, [be.p(out), be.p(x), N, C, r]);
}

/** targets live in wasm memory: check them on the host (an id ≥ V is a caller's bug) */
export function checkTargets(be: WasmBackend, op: string, targets: Tensor, V: number): void {
  const p = be.p(targets) / 4;
  const ids = be.i32;
  for (let i = 0; i < targets.size; i++) {
    const t = ids[p + i];
    if (t >= V) throw new ShapeError(`${op}: targets[${i}] = ${t} is outside the vocabulary [0, ${V}); use a negative target to ignore a position`);
  }
}

export function tokenLogprobs(be: WasmBackend, logp: Tensor, lse: Tensor, logits: Tensor, targets: Tensor): void {
  const { rows: N, vocab: V } = checkLogprobs('tokenLogprobs', logits, targets, [['logp', logp], ['lse', lse]]);
  noAlias('tokenLogprobs', [['logp', logp], ['lse', lse]], [['logits', logits], ['targets', targets]]);
  checkTargets(be, 'tokenLogprobs', targets, V);
  const r = rowsPerTask(V);
  be.run('sm_token_logprobs', Math.ceil(N / r), N * V * 4, [be.p(logp), be.p(lse), be.p(logits), be.p(targets), N, V, r]);
}

export function tokenLogprobsBackward(be: WasmBackend, dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void {
  const { rows: N, vocab: V } = checkLogprobs('tokenLogprobsBackward', logits, targets, [['lse', lse], ['dlogp', dlogp]], [['dlogits', dlogits]]);
  noAlias('tokenLogprobsBackward', [['dlogits', dlogits]], [['logits', logits], ['targets', targets], ['lse', lse], ['dlogp', dlogp]]);
  checkTargets(be, 'tokenLogprobsBackward', targets, V);
  const r = rowsPerTask(V);
  be.run('sm_token_logprobs_backward', Math.ceil(N / r), N * V * 4, [be.p(dlogits), be.p(logits), be.p(targets), be.p(lse), be.p(dlogp), N, V, r]);
}
