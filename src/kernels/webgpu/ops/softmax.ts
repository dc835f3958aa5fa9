// The softmax family (shaders/softmax.wgsl, shaders/softmax_serial.wgsl): softmax, its
// backward, log-softmax, and the token log-probs of a language-model head with their
// backward. Row kernels come in two variants (ops/variants.ts): one workgroup per row (64
// threads for rows under 2048 columns, else 256), or one thread per row.
import type { Tensor } from '../../backend.js';
import { checkLogprobs, checkRowOp, noAlias } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, rowPlan } from './variants.js';

function rows(be: WebGPUBackend, entry: string, rowCount: number, cols: number, tensors: Tensor[]): void {
  const plan = rowPlan(be, 'softmax', rowCount, cols);
  be.ctx.dispatch(plan.shader, entry, plan.defines, new Params().u(rowCount).u(cols), tensors.map((t) => be.t(t)), plan.grid);
}

export function softmax(be: WebGPUBackend, out: Tensor, x: Tensor, cols: number): void {
  const { rows: n } = checkRowOp('softmax', x, cols, [['out', out]]);
  noAlias('softmax', [['out', out]], [['x', x]]);
  rows(be, 'softmax', n, cols, [out, x]);
}

export function logSoftmax(be: WebGPUBackend, out: Tensor, x: Tensor, cols: number): void {
  const { rows: n } = checkRowOp('logSoftmax', x, cols, [['out', out]]);
  noAlias('logSoftmax', [['out', out]], [['x', x]]);
  rows(be, 'log_softmax', n, cols, [out, x]);
}

export function softmaxBackward(be: WebGPUBackend, dx: Tensor, y: Tensor, dy: Tensor, cols: number): void {
  const { rows: n } = checkRowOp('softmaxBackward', y, cols, [['dx', dx], ['dy', dy]]);
  noAlias('softmaxBackward', [['dx', dx]], [['y', y], ['dy', dy]]);
  rows(be, 'softmax_backward', n, cols, [dx, y, dy]);
}

export function tokenLogprobs(be: WebGPUBackend, logp: Tensor, lse: Tensor, logits: Tensor, targets: Tensor): void {
  const { rows: n, vocab } = checkLogprobs('tokenLogprobs', logits, targets, [['logp', logp], ['lse', lse]]);
  noAlias('tokenLogprobs', [['logp', logp], ['lse', lse]], [['logits', logits], ['targets', targets]]);
  rows(be, 'token_logprobs', n, vocab, [logp, logits, lse, targets]);
}

const BWD_WG = 256;
export function tokenLogprobsBackward(be: WebGPUBackend, dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void {
  const { rows: n, vocab } = checkLogprobs('tokenLogprobsBackward', logits, targets, [['lse', lse], ['dlogp', dlogp]], [['dlogits', dlogits]]);
  noAlias('tokenLogprobsBackward', [['dlogits', dlogits]], [['logits', logits], ['targets', targets], ['lse', lse], ['dlogp', dlogp]]);
  // no reduction (lse is saved): one kernel for both variants, each thread 4 columns
  const [gy, gz] = grid1d(n, 1, gridLimit(be));
  be.ctx.dispatch('softmax', 'token_logprobs_backward', { WG: BWD_WG }, new Params().u(n).u(vocab),
    [dlogits, logits, targets, lse, dlogp].map((t) => be.t(t)), [Math.ceil(vocab / (4 * BWD_WG)), gy, gz]);
}
