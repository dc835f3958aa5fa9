// The fused LM head's chunk ops (shaders/lmhead.wgsl, shaders/lmhead_serial.wgsl): a chunk's
// logits (N,Vc) merged into per-row running (max, Σ exp, target logit) state, the final
// lse/log-probs, and the chunk's backward. chunk_stats has the two row variants of
// ops/variants.ts; finish and backward have no reduction and serve both.
import type { LogitsChunkOptions, Tensor } from '../../backend.js';
import { checkLogitsChunk, noAlias } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, rowPlan } from './variants.js';

const params = (rows: number, cols: number, v0: number, vocab: number, first: boolean) => new Params().u(rows).u(cols).u(v0).u(vocab).u(first ? 1 : 0);

export function logitsChunkStats(be: WebGPUBackend, state: Tensor, logits: Tensor, targets: Tensor, o: LogitsChunkOptions & { first: boolean }): void {
  const { rows, cols } = checkLogitsChunk('logitsChunkStats', logits, targets, o, [], [], state);
  noAlias('logitsChunkStats', [['state', state]], [['logits', logits], ['targets', targets]]);
  const plan = rowPlan(be, 'lmhead', rows, cols);
  be.ctx.dispatch(plan.shader, 'chunk_stats', plan.defines, params(rows, cols, o.v0, o.vocab, o.first), [state, logits, targets].map((t) => be.t(t)), plan.grid);
}

const FIN_WG = 64;
export function logitsChunkFinish(be: WebGPUBackend, logp: Tensor, lse: Tensor, state: Tensor, targets: Tensor, o: { vocab: number }): void {
  const { rows } = checkLogitsChunk('logitsChunkFinish', null, targets, o, [['logp', logp], ['lse', lse]], [], state);
  noAlias('logitsChunkFinish', [['logp', logp], ['lse', lse]], [['state', state], ['targets', targets]]);
  be.ctx.dispatch('lmhead', 'chunk_finish', { WG: FIN_WG }, params(rows, 0, 0, o.vocab, false),
    [logp, lse, state, targets].map((t) => be.t(t)), grid1d(rows, FIN_WG, gridLimit(be)));
}

const BWD_WG = 256;
export function logitsChunkBackward(be: WebGPUBackend, dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor, o: LogitsChunkOptions): void {
  const { rows, cols } = checkLogitsChunk('logitsChunkBackward', logits, targets, o, [['lse', lse], ['dlogp', dlogp]], [['dlogits', dlogits]]);
  noAlias('logitsChunkBackward', [['dlogits', dlogits]], [['logits', logits], ['targets', targets], ['lse', lse], ['dlogp', dlogp]]);
  const [gy, gz] = grid1d(rows, 1, gridLimit(be));
  be.ctx.dispatch('lmhead', 'chunk_backward', { WG: BWD_WG }, params(rows, cols, o.v0, o.vocab, false),
    [dlogits, logits, targets, lse, dlogp].map((t) => be.t(t)), [Math.ceil(cols / (4 * BWD_WG)), gy, gz]);
}
