// Memory estimates before allocating: parameters, gradients, optimizer state and activations
// for a (batch, seq) shape, checked against the adapter's limits so a model that cannot fit
// fails at once with the numbers instead of deep inside a kernel.
import type { Backend } from '../kernels/backend.js';
import { paramCount, type Arch } from './arch.js';
import { chunkColumns, lmHeadScratchBytes } from './lm-head.js';

export interface MemoryEstimate {
  params: number; grads: number; optimizer: number; activations: number; total: number;
  /** the largest single tensor (bytes): WebGPU binds each tensor as one storage buffer */
  largestTensor: number;
}

export function estimateMemory(a: Arch, o: { batch: number; seq: number; training: boolean; optimizerSlots?: number; paramBytes?: number }): MemoryEstimate {
  // paramBytes 2: weights kept 16-bit (frozen); gradients and optimizer state are f32 regardless
  const P = paramCount(a) * (o.paramBytes ?? 4);
  const P32 = paramCount(a) * 4;
  const N = o.batch * o.seq, C = a.hidden, I = a.intermediate, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim;
  // per layer saved: ln1, mid, ln2 (C each), q/att (HD), k/v (KD), g/u/act (I), stats, lse
  const perLayer = N * (3 * C + 2 * HD + 2 * KD + 3 * I + 4) + o.batch * a.heads * o.seq;
  // the LM head is fused and vocab-chunked (lm-head.ts): one or two (N, Vc) chunks, never N×V
  const acts = 4 * (N * C * (a.layers + 1) + a.layers * perLayer + N * (4 * C + 2 * HD + 3 * I) + 2 * N) + lmHeadScratchBytes(N, a.vocab, C, o.training);
  // 16-bit weights do not train (LoRA adapters on them are small): no full-size grads/state
  const trainsAll = o.training && (o.paramBytes ?? 4) === 4;
  const grads = trainsAll ? P32 : 0;
  const optimizer = trainsAll ? P32 * (o.optimizerSlots ?? 2) : 0;
  // a frozen embedding may exceed one WebGPU binding (gathered in row ranges, the fused head
  // slices it); a trained one (its gradient, optimizer state) is bound whole
  const largestTensor = Math.max(4 * N * chunkColumns(N, a.vocab, C), o.training ? (o.paramBytes ?? 4) * a.vocab * C : 0, 4 * N * I);
  return { params: P, grads, optimizer, activations: acts, total: P + grads + optimizer + acts, largestTensor };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Throw with the numbers when the estimate cannot fit the backend. */
export function checkFits(be: Backend, e: MemoryEstimate, what: string): void {
  const lim = (be as any).gpu?.limits as Record<string, number> | undefined;
  if (lim?.maxStorageBufferBindingSize && e.largestTensor > lim.maxStorageBufferBindingSize) {
    throw new Error(`${what}: the largest tensor needs ${mb(e.largestTensor)}, over this adapter's maxStorageBufferBindingSize of ${mb(lim.maxStorageBufferBindingSize)} — use a smaller batch or sequence length`);
  }
  const cap = (be as any).memoryCapacity as number | undefined;
  if (cap && e.total > cap) {
    throw new Error(`${what}: needs about ${mb(e.total)} (params ${mb(e.params)}, grads ${mb(e.grads)}, optimizer ${mb(e.optimizer)}, activations ${mb(e.activations)}), over the backend's ${mb(cap)} — use a smaller batch, sequence or model`);
  }
}
