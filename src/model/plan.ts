// Memory planning: one budget per backend, and the micro-batch (rows per pass) and activation
// recomputation chosen to fit it, for scoring (log-probs), training (SFT, SPPO) and decoding.
//
// Budget (bytes the backend may hold at once):
//   wasm    the memory's maximum (wasm32: 4 GiB; memory64 engines could go further, see
//           memoryLimits()) less 3 % for the first-fit allocator's fragmentation
//   webgpu  WebGPU tells no device-memory total: 4 GiB by default; each tensor must also fit
//           one storage binding (maxStorageBufferBindingSize), which the adapter does tell
//   either  SPPO_MEMORY_BUDGET (bytes, or e.g. "1.5GiB", "800MiB") or setMemoryBudget(be, bytes)
//           overrides the total (tests use it to exercise the planner with tiny models)
//
// Training passes also decide whether the fused LM head keeps its logits from forward to backward
// (Plan.keepLogits: no recomputation of H Wᵀ, (N×V) floats more) — only when the pass as planned
// still fits with them; SPPO_NO_KEEP_LOGITS=1 turns that off (to measure the difference).
//
// A pass's bytes are estimated from the architecture, mirroring the allocations of
// transformer.ts's Workspace (activations, backward scratch, the LM head's logits), decode.ts's
// KV cache, LoRA's saved products and the wasm matmul's packed-B scratch. What is already
// allocated (weights, gradients, optimizer state, a judge) is measured live, so the plan stays
// right whatever dtype the weights are held in.
import type { Backend } from '../kernels/backend.js';
import { paramCount, paramSpecs, type Arch } from './arch.js';
import { llamaName } from './hf-names.js';
import type { Transformer } from './transformer.js';
import { chunkColumns, lmHeadScratchBytes } from './lm-head.js';

const GiB = 2 ** 30, MiB = 2 ** 20;
/** the default total for WebGPU, which exposes no device-memory figure */
export const WEBGPU_DEFAULT_BUDGET = 4 * GiB;

/** The model does not fit even with one row per pass (and recomputation): the numbers and the fixes. */
export class MemoryPlanError extends Error {
  constructor(msg: string, readonly needBytes: number, readonly budgetBytes: number) { super(msg); this.name = 'MemoryPlanError'; }
}

export interface MemoryBudget {
  backend: string;
  /** bytes the backend may hold at once */
  total: number;
  /** bytes held now */
  inUse: number;
  /** the largest single tensor (bytes), or null where there is none below total */
  maxTensor: number | null;
  /** where the total comes from */
  source: string;
}

const overrides = new WeakMap<Backend, number>();
/** Overrides the budget of one backend (bytes); null removes the override. */
export function setMemoryBudget(be: Backend, bytes: number | null): void {
  if (bytes === null) { overrides.delete(be); return; }
  if (!(bytes > 0)) throw new Error(`setMemoryBudget: ${bytes} must be a positive number of bytes`);
  overrides.set(be, bytes);
}

/** "1.5GiB", "800MiB", "1e9", "4294967296" → bytes */
export function parseBytes(text: string, what = 'SPPO_MEMORY_BUDGET'): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*(b|kib|mib|gib|kb|mb|gb)?\s*$/i.exec(text);
  const mult: Record<string, number> = { b: 1, kib: 1024, mib: MiB, gib: GiB, kb: 1e3, mb: 1e6, gb: 1e9 };
  const v = m ? Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()] : NaN;
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${what}="${text}" is not a size: give bytes, or a number with KiB, MiB or GiB (e.g. 3GiB)`);
  return Math.floor(v);
}

function envBudget(): number | null {
  let v: string | undefined;
  try { v = (globalThis as any).process?.env?.SPPO_MEMORY_BUDGET; } catch { /* Deno without --allow-env */ }
  return v ? parseBytes(v) : null;
}

export function memoryBudget(be: Backend): MemoryBudget {
  const b = be as any;
  const over = overrides.get(be) ?? envBudget();
  if (be.name === 'wasm') {
    const max = b.alloc.maxBytes as number;
    const total = over ?? Math.floor(max * 0.97);
    return { backend: 'wasm', total: Math.min(total, max), inUse: b.alloc.inUse, maxTensor: null, source: over ? 'override' : `wasm memory maximum ${fmt(max)}${max <= 4 * GiB ? ' (wasm32)' : ' (memory64)'}` };
  }
  const ctx = b.ctx;
  const binding = ctx?.maxBinding ?? b.gpu?.limits?.maxStorageBufferBindingSize ?? null;
  return { backend: be.name, total: over ?? WEBGPU_DEFAULT_BUDGET, inUse: ctx?.liveBytes ?? 0, maxTensor: binding, source: over ? 'override' : 'WebGPU default (no device-memory figure)' };
}

export type PassMode = 'score' | 'train' | 'decode';

export interface PassShape {
  /** rows (sequences) in the pass */
  rows: number;
  /** padded length (score/train), or prompt + new tokens (decode) */
  seq: number;
  /** decode: the prompt length prefilled at once (default seq) */
  prefill?: number;
  recompute: boolean;
  /** LoRA: adapted linears per layer and the rank (0 = none) */
  loraPerLayer?: number; loraRank?: number;
  /** the LM head: 'fused' (vocab-chunked, src/model/lm-head.ts: two (N, Vc) chunks) or 'full' ((N, V) logits) */
  head?: 'fused' | 'full';
  /** the fused head's byte budget per chunk (default LM_HEAD_CHUNK_BYTES) */
  chunkBytes?: number;
  /** train: the fused head keeps every chunk's logits (N×V) for backward instead of recomputing them */
  keepLogits?: boolean;
}

/** bytes of one pass's activations and scratch (what a Workspace or KV decoder allocates) */
export function passBytes(a: Arch, mode: PassMode, s: PassShape): number {
  const C = a.hidden, HD = a.heads * a.headDim, KD = a.kvHeads * a.headDim, I = a.intermediate, H = a.heads, L = a.layers;
  const V = a.vocab, gpt2 = a.family === 'gpt2';
  const fused = (s.head ?? 'fused') === 'fused';
  const NR = 8;
  const pack = (n: number, k: number) => Math.ceil(n / NR) * NR * k;
  if (mode === 'decode') {
    const B = s.rows, S = s.seq, P = s.prefill ?? s.seq, N = B * P;
    let f = 2 * L * B * S * KD + B * S + B * C + B * V;
    f += N * (6 * C + 3 * HD + 3 * KD + 3 * I + 4);
    if (a.qkNorm) f += N * (HD + KD + H + a.kvHeads); // Qwen3's normed q, k and their rstd
    // the prefill packs the widest weight (M = B·P rows ≥ 4); decode steps stream it
    f += N >= 4 ? Math.max(pack(I, C), pack(C, I), pack(HD, C)) : 0;
    return 4 * f + MiB;
  }
  const B = s.rows, T = s.seq, N = B * T;
  const train = mode === 'train';
  let f = 4 * N + (L + 1) * N * C;
  // Qwen3's per-head q/k norms keep the raw projections and their rstd per layer
  // Gemma-2 keeps the attention's and the MLP's outputs before their post-norms, and those rstd
  const perLayer = N * (3 * C + 2 * HD + 2 * KD + (gpt2 ? 2 : 3) * I + (gpt2 ? 4 : 2)) + B * H * T
    + (a.qkNorm ? N * (HD + KD + H + a.kvHeads) : 0) + (a.gemma2 ? N * (2 * C + 2) : 0);
  f += (s.recompute ? 1 : L) * perLayer;
  f += N * C + N * (gpt2 ? 2 : 1) + (gpt2 ? N * C : 0);
  f += 3 * N * C + 2 * N * HD + 2 * N * KD + 3 * N * I + N * HD + N * KD; // backward scratch (allocated for every pass)
  // the LM head: fused, its chunks and W slices (lm-head.ts); full, (N,V) logits (+ dlogits)
  f += fused ? lmHeadScratchBytes(N, V, C, train, s.chunkBytes, train && !!s.keepLogits) / 4 + 2 * N : N * V + 2 * N + (train ? N * V : 0);
  const headRows = fused ? Math.min(V, chunkColumns(N, V, C, s.chunkBytes)) : V;
  const r = s.loraRank ?? 0;
  if (r > 0) f += ((s.loraPerLayer ?? 0) * L + 1) * N * r;
  // wasm matmul scratch: the packed B of the widest product (the LM head's weight; in training
  // also dWᵀ products whose B is an activation), the attention delta, per-pass masks
  f += Math.max(pack(headRows, C), pack(I, C), train ? pack(Math.max(C, I), N) : 0);
  f += B * H * T + 4 * N;
  return 4 * f + MiB;
}

/** the largest single tensor of a pass (bytes): a WebGPU storage binding must hold it */
export function largestTensor(a: Arch, mode: PassMode, s: PassShape): number {
  const N = mode === 'decode' ? s.rows : s.rows * s.seq;
  const kv = mode === 'decode' ? s.rows * s.seq * a.kvHeads * a.headDim : 0;
  // the head's logits: (B, V) when decoding, (N, V) on the full head, a (N, Vc) chunk when fused
  const logits = mode === 'decode' || s.head === 'full' ? N * a.vocab : N * Math.min(a.vocab, chunkColumns(N, a.vocab, a.hidden, s.chunkBytes));
  // weights are checked apart (checkModelFits): a pass adds activations only
  return 4 * Math.max(logits, N * a.intermediate, kv, N * a.heads * a.headDim);
}

export interface Plan {
  /** rows per pass */
  rows: number;
  recompute: boolean;
  /**
   * train: the fused LM head keeps its logits (N×V floats) from forward to backward, which then
   * does no recomputation (3 head products instead of 3 + (k−1)/k) — chosen when the pass still
   * fits with them, never at the cost of rows or of recomputing activations
   */
  keepLogits: boolean;
  /** bytes of one such pass, and what was free for it */
  passBytes: number;
  freeBytes: number;
  budget: MemoryBudget;
}

export interface PlanRequest {
  mode: PassMode;
  /** rows wanted per pass (an upper bound: the plan may take fewer) */
  rows: number;
  seq: number;
  prefill?: number;
  /** force recomputation on (the user asked); otherwise the planner decides */
  recompute?: boolean;
  /** what the pass is for, in errors */
  what?: string;
}

function loraShape(model: Transformer): { loraPerLayer: number; loraRank: number } {
  if (!model.lora.size) return { loraPerLayer: 0, loraRank: 0 };
  const first = model.lora.values().next().value!;
  return { loraPerLayer: model.lora.size / model.arch.layers, loraRank: first.rank };
}

/** bytes of trainable parameters (f32) that training adds when gradients are not yet allocated */
function pendingTraining(model: Transformer): number {
  if (model.grads) return 0;
  let n = 0;
  for (const [name, p] of model.params) if (model.trainable(name)) n += p.size;
  return 4 * n;
}

/**
 * Rows per pass and recomputation for `model` on its backend: the most rows ≤ req.rows whose
 * pass fits what is free (budget − held now + the model's own reusable scratch). Recomputation
 * is turned on when it lets at least twice the rows through (training), and always for scoring,
 * where it costs nothing (no backward). Throws MemoryPlanError when one row does not fit.
 */
export function planPass(model: Transformer, req: PlanRequest): Plan {
  const be = model.be, a = model.arch;
  const budget = memoryBudget(be);
  const reusable = model.workspaceBytes() + ((be as any).scratchBytes ?? 0);
  const free = budget.total - budget.inUse + reusable - (req.mode === 'train' ? pendingTraining(model) : 0);
  const lora = loraShape(model);
  const bytes = (rows: number, recompute: boolean, keepLogits = false) => passBytes(a, req.mode, { rows, seq: req.seq, prefill: req.prefill, recompute, ...lora, head: model.lmHeadMode, chunkBytes: model.lmHeadOptions.chunkBytes, keepLogits });
  const fits = (rows: number, recompute: boolean) => bytes(rows, recompute) <= free
    && (budget.maxTensor === null || largestTensor(a, req.mode, { rows, seq: req.seq, recompute, head: model.lmHeadMode, chunkBytes: model.lmHeadOptions.chunkBytes }) <= budget.maxTensor);
  const most = (recompute: boolean) => {
    let lo = 0, hi = Math.max(1, req.rows);
    if (fits(hi, recompute)) return hi;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (fits(mid, recompute)) lo = mid; else hi = mid; }
    return lo;
  };
  const canRecompute = req.mode !== 'decode';
  const r0 = req.recompute && canRecompute ? 0 : most(false);
  const r1 = canRecompute ? most(true) : 0;
  let rows: number, recompute: boolean;
  if (req.recompute && canRecompute) { rows = r1; recompute = true; }
  else if (req.mode === 'score') { rows = Math.max(r0, r1); recompute = r1 > r0 || r0 === 0 ? true : r1 >= r0; }
  else if (req.mode === 'train' && (r0 === 0 || r1 >= 2 * r0) && r1 > 0) { rows = r1; recompute = true; }
  else { rows = r0; recompute = false; }
  if (rows < 1) {
    const need = bytes(1, canRecompute);
    const held = budget.inUse - reusable;
    const tip = fixes(model, req);
    const what = req.what ?? `${req.mode} pass`;
    const big = budget.maxTensor !== null && largestTensor(a, req.mode, { rows: 1, seq: req.seq, recompute: true, head: model.lmHeadMode, chunkBytes: model.lmHeadOptions.chunkBytes }) > budget.maxTensor;
    throw new MemoryPlanError(`sppo: ${what} does not fit in memory: one sequence of ${req.seq} tokens needs ${fmt(need)} of activations`
      + `${req.mode === 'train' ? ` (+ ${fmt(pendingTraining(model))} of gradients)` : ''} on top of ${fmt(held)} already held (weights${model.grads ? ', gradients, optimizer state' : ''}),`
      + ` ${fmt(need + held + (req.mode === 'train' ? pendingTraining(model) : 0))} in all, over the ${budget.backend} budget of ${fmt(budget.total)} (${budget.source})`
      + `${big ? `; a tensor would also exceed one WebGPU binding (${fmt(budget.maxTensor!)})` : ''} — ${tip}`, need + held, budget.total);
  }
  // keeping the head's logits only where the chosen pass still fits with them (a chunk is its own
  // tensor: no binding grows); the fused head with one chunk keeps them anyway
  const keepLogits = req.mode === 'train' && model.lmHeadMode === 'fused' && !envFlag('SPPO_NO_KEEP_LOGITS') && bytes(rows, recompute, true) <= free;
  const plan = { rows, recompute, keepLogits, passBytes: bytes(rows, recompute, keepLogits), freeBytes: free, budget };
  if (envFlag('SPPO_PLAN_LOG')) {
    const what = req.what ?? `${req.mode} pass`;
    (globalThis as any).process?.stderr?.write?.(`sppo plan: ${what}: ${rows} of ${req.rows} rows × ${req.seq} tokens per pass${recompute ? ', recomputing activations' : ''}${keepLogits ? ', keeping the LM head\'s logits' : ''} (${fmt(plan.passBytes)} of ${fmt(free)} free, budget ${fmt(budget.total)})\n`);
  }
  return plan;
}

function envFlag(name: string): boolean {
  try { return !!(globalThis as any).process?.env?.[name]; } catch { return false; }
}

function fixes(model: Transformer, req: PlanRequest): string {
  const out: string[] = [];
  if (req.mode === 'train' && !model.lora.size) out.push('train LoRA adapters instead of every weight (loraRank / --lora-rank 8)');
  if (!model.params.values().next().value?.dtype?.toString().includes('16')) out.push('keep the weights 16-bit (a bf16/f16 checkpoint)');
  out.push(req.mode === 'decode' ? 'fewer new tokens or shorter prompts' : 'shorter sequences (--max-length / maxPromptTokens + maxNewTokens)');
  out.push('a smaller model');
  return 'to make it fit: ' + out.join(', or ');
}

/**
 * Before loading: do the weights (f32 unless weightBytes says otherwise), the training state and
 * one row of `seq` tokens fit the budget? Throws MemoryPlanError with the numbers and the fixes.
 */
export function checkModelFits(be: Backend, a: Arch, o: { training: boolean; seq: number; weightBytes?: number; lora?: boolean; optimizerSlots?: number; what: string }): void {
  const budget = memoryBudget(be);
  const P = paramCount(a);
  const weights = P * (o.weightBytes ?? 4);
  const trainState = o.training && !o.lora ? P * 4 * (1 + (o.optimizerSlots ?? 2)) : 0;
  // the smallest pass the model will run: one row (training: a training pass; else scoring or decoding)
  const act = o.training ? passBytes(a, 'train', { rows: 1, seq: o.seq, recompute: true })
    : Math.min(passBytes(a, 'score', { rows: 1, seq: o.seq, recompute: true }), passBytes(a, 'decode', { rows: 1, seq: o.seq, prefill: o.seq, recompute: false }));
  const need = budget.inUse + weights + trainState + act;
  const problems: string[] = [];
  if (need > budget.total) problems.push(`needs about ${fmt(need)} (weights ${fmt(weights)}${trainState ? `, gradients + optimizer state ${fmt(trainState)}` : ''}, one ${o.seq}-token sequence's activations ${fmt(act)}${budget.inUse ? `, already held ${fmt(budget.inUse)}` : ''}), over the ${budget.backend} budget of ${fmt(budget.total)} (${budget.source})`);
  let binding: { name: string; bytes: number } | null = null;
  if (budget.maxTensor !== null) {
    // a tensor an op binds whole must fit one storage binding: every weight as loaded (matrices
    // 16-bit when weightBytes is 2) and, under full fine-tuning, its f32 master copy, gradient
    // and optimizer state. A frozen embedding / LM head may be larger: the embedding lookup
    // binds it in row ranges and the fused LM head copies out vocabulary slices that fit.
    const trainsAll = o.training && !o.lora;
    for (const p of paramSpecs(a)) {
      if (!trainsAll && (p.name === 'embed' || p.name === 'lm_head.w')) continue;
      const per = trainsAll || p.shape.length !== 2 ? 4 : (o.weightBytes ?? 4);
      const bytes = per * p.shape.reduce((x, y) => x * y, 1);
      if (bytes > budget.maxTensor && (!binding || bytes > binding.bytes)) binding = { name: `${a.family === 'gpt2' ? p.name : llamaName(p.name)} [${p.shape.join(', ')}] (${per === 4 ? 'f32' : '16-bit'}${trainsAll && (o.weightBytes ?? 4) === 2 ? ', trained in f32' : ''})`, bytes };
    }
    const kib = (b: number) => (b < MiB ? `${(b / 1024).toFixed(1)} KiB` : fmt(b));
    if (binding) problems.push(`its tensor ${binding.name} needs ${kib(binding.bytes)}, over this WebGPU adapter's maxStorageBufferBindingSize of ${kib(budget.maxTensor)} (on WebGPU only a frozen embedding / LM head may exceed one binding)`);
  }
  if (!problems.length) return;
  if (binding && need <= budget.total) {
    throw new MemoryPlanError(`sppo: ${o.what} does not fit: ${problems.join('; ')} — to make it fit: the wasm backend (--backend wasm; no binding limit), or an adapter with a larger maxStorageBufferBindingSize, or a model whose largest tensor fits it${o.training && !o.lora && (o.weightBytes ?? 4) === 2 ? ', or LoRA (the frozen weights stay 16-bit: half the bytes)' : ''}`, binding.bytes, budget.maxTensor!);
  }
  const tips: string[] = [];
  if (o.training && !o.lora) tips.push(`LoRA adapters instead of full fine-tuning (saves ${fmt(trainState)})`);
  if ((o.weightBytes ?? 4) === 4) tips.push(`16-bit weights (a bf16/f16 checkpoint; saves ${fmt(weights / 2)})`);
  tips.push('shorter sequences', 'a smaller model');
  throw new MemoryPlanError(`sppo: ${o.what} does not fit: it ${problems.join('; ')} — to make it fit: ${tips.join(', or ')}`, need, budget.total);
}

export function fmt(b: number): string {
  return b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`;
}

/** The memory limits of this engine: wasm32's 4 GiB or memory64 where the engine has it. */
export function memoryLimits(): { wasmLimit: 'wasm32' | 'memory64'; wasmMaxBytes: number; memory64Available: boolean } {
  const m64 = probeMemory64();
  // the kernels module is built for wasm32: memory64 is detected and reported, not used yet
  return { wasmLimit: 'wasm32', wasmMaxBytes: 4 * GiB, memory64Available: m64 };
}

/** validates a tiny memory64 module: engines that ignore the descriptor's `index` still fail here */
function probeMemory64(): boolean {
  // (module (memory i64 1))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 1]);
  try { return WebAssembly.validate(bytes); } catch { return false; }
}
