// The softmax family (shaders/softmax.wgsl): softmax, its backward, log-softmax, and the
// token log-probs of a language-model head with their backward. Row kernels run one
// workgroup per row (64 threads for rows under 2048 columns, else 256).
import type { Tensor } from '../../backend.js';
import { checkLogprobs, checkRowOp, noAlias } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';

/** threads per row-workgroup for rows of `cols` */
export const rowWG = (cols: number): number => (cols >= 2048 ? 256 : 64);

function rowGrid(be: WebGPUBackend, rows: number): [number, number] {
  return grid1d(rows, 1, be.ctx.maxWorkgroups);
}

function rowwise(be: WebGPUBackend, op: string, entry: string, out: Tensor, x: Tensor, cols: number): void {
  const { rows } = checkRowOp(op, x, cols, [['out', out]]);
  noAlias(op, [['out', out]], [['x', x]]);
  be.ctx.dispatch('softmax', entry, { WG: rowWG(cols) }, new Params().u(rows).u(cols), [be.t(out), be.t(x)], rowGrid(be, rows));
}

export function softmax(be: WebGPUBackend, out: Tensor, x: Tensor, cols: number): void {
  rowwise(be, 'softmax', 'softmax', out, x, cols);
}

export function logSoftmax(be: WebGPUBackend, out: Tensor, x: Tensor, cols: number): void {
  rowwise(be, 'logSoftmax', 'log_softmax', out, x, cols);
}

export function softmaxBackward(be: WebGPUBackend, dx: Tensor, y: Tensor, dy: Tensor, cols: number): void {
  const { rows } = checkRowOp('softmaxBackward', y, cols, [['dx', dx], ['dy', dy]]);
  noAlias('softmaxBackward', [['dx', dx]], [['y', y], ['dy', dy]]);
  be.ctx.dispatch('softmax', 'softmax_backward', { WG: rowWG(cols) }, new Params().u(rows).u(cols), [be.t(dx), be.t(y), be.t(dy)], rowGrid(be, rows));
}

export function tokenLogprobs(be: WebGPUBackend, logp: Tensor, lse: Tensor, logits: Tensor, targets: Tensor): void {
  const { rows, vocab } = checkLogprobs('tokenLogprobs', logits, targets, [['logp', logp], ['lse', lse]]);
  noAlias('tokenLogprobs', [['logp', logp], ['lse', lse]], [['logits', logits], ['targets', targets]]);
  be.ctx.dispatch('softmax', 'token_logprobs', { WG: rowWG(vocab) }, new Params().u(rows).u(vocab),
    [be.t(logp), be.t(logits), be.t(lse), be.t(targets)], rowGrid(be, rows));
}

const BWD_WG = 256;
export function tokenLogprobsBackward(be: WebGPUBackend, dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void {
  const { rows, vocab } = checkLogprobs('tokenLogprobsBackward', logits, targets, [['lse', lse], ['dlogp', dlogp]], [['dlogits', dlogits]]);
  noAlias('tokenLogprobsBackward', [['dlogits', dlogits]], [['logits', logits], ['targets', targets], ['lse', lse], ['dlogp', dlogp]]);
  const [gy, gz] = rowGrid(be, rows);
  be.ctx.dispatch('softmax', 'token_logprobs_backward', { WG: BWD_WG }, new Params().u(rows).u(vocab),
    [be.t(dlogits), be.t(logits), be.t(targets), be.t(lse), be.t(dlogp)], [Math.ceil(vocab / (4 * BWD_WG)), gy, gz]);
}
