// The fused LM head's chunk ops (assembly/kernels/lmhead.ts): a chunk's logits (N,Vc) merged
// into per-row running (max, Σ exp, target logit) state, the final lse/log-probs, and the
// chunk's backward. Tasks of whole rows.
import type { LogitsChunkOptions, Tensor } from '../../backend.js';
import { checkLogitsChunk, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { checkTargets, rowsPerTask } from './softmax.js';

export function logitsChunkStats(be: WasmBackend, state: Tensor, logits: Tensor, targets: Tensor, o: LogitsChunkOptions & { first: boolean }): void {
  const { rows: N, cols: Vc } = checkLogitsChunk('logitsChunkStats', logits, targets, o, [], [], state);
  noAlias('logitsChunkStats', [['state', state]], [['logits', logits], ['targets', targets]]);
  const r = rowsPerTask(Vc);
  be.run('lh_chunk_stats', Math.ceil(N / r), N * Vc * 4, [be.p(state), be.p(logits), be.p(targets), N, Vc, o.v0, o.first ? 1 : 0, r]);
}

export function logitsChunkFinish(be: WasmBackend, logp: Tensor, lse: Tensor, state: Tensor, targets: Tensor, o: { vocab: number }): void {
  const { rows: N } = checkLogitsChunk('logitsChunkFinish', null, targets, o, [['logp', logp], ['lse', lse]], [], state);
  noAlias('logitsChunkFinish', [['logp', logp], ['lse', lse]], [['state', state], ['targets', targets]]);
  checkTargets(be, 'logitsChunkFinish', targets, o.vocab);
  be.run('lh_chunk_finish', 1, N, [be.p(logp), be.p(lse), be.p(state), be.p(targets), N, o.vocab, N]);
}

export function logitsChunkBackward(be: WasmBackend, dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor, o: LogitsChunkOptions): void {
  const { rows: N, cols: Vc } = checkLogitsChunk('logitsChunkBackward', logits, targets, o, [['lse', lse], ['dlogp', dlogp]], [['dlogits', dlogits]]);
  noAlias('logitsChunkBackward', [['dlogits', dlogits]], [['logits', logits], ['targets', targets], ['lse', lse], ['dlogp', dlogp]]);
  checkTargets(be, 'logitsChunkBackward', targets, o.vocab);
  const r = rowsPerTask(Vc);
  be.run('lh_chunk_backward', Math.ceil(N / r), N * Vc * 4, [be.p(dlogits), be.p(logits), be.p(targets), be.p(lse), be.p(dlogp), N, Vc, o.v0, o.vocab, r]);
}
