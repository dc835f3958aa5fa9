// The WebGPU backend: the op interface over WebGPUContext. Each op family lives in its own
// file under ops/ (forward and backward side by side) with its WGSL in shaders/.
import type { AdamWOptions, AttentionOptions, CachedAttentionOptions, DisentangledAttentionOptions, PreferenceLossOptions, Backend, DType, LogitsChunkOptions, MatmulOptions, RMSpropOptions, RopeOptions, SGDOptions, Tensor } from '../backend.js';
import { ShapeError, sizeOf } from '../backend.js';
import { isHalf } from '../half.js';
import { acquireGPU, type AcquireOptions, type GPUContext } from '../../gpu/device.js';
import { GPUTensor, WebGPUContext } from './context.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as mm from './ops/matmul.js';
import * as norm from './ops/norm.js';
import * as sm from './ops/softmax.js';
import * as lh from './ops/lmhead.js';
import * as rope from './ops/rope.js';
import * as attn from './ops/attention.js';
import * as attnRel from './ops/attention-rel.js';
import * as attnc from './ops/attention-cached.js';
import * as act from './ops/activation.js';
import * as emb from './ops/embedding.js';
import * as opt from './ops/optim.js';
import * as pref from './ops/preference.js';

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly ctx: WebGPUContext;
  constructor(readonly gpu: GPUContext, o: { maxBindingBytes?: number } = {}) { this.ctx = new WebGPUContext(gpu, { maxBinding: o.maxBindingBytes }); }

  static async create(opts: AcquireOptions & { maxBindingBytes?: number } = {}): Promise<WebGPUBackend> {
    return new WebGPUBackend(await acquireGPU(opts), { maxBindingBytes: opts.maxBindingBytes });
  }

  get maxBindingBytes(): number { return this.ctx.maxBinding; }

  get description(): string {
    const i = this.gpu.info;
    return `webgpu on ${i.description || i.architecture || i.vendor}${this.gpu.software ? ' (software emulation)' : ''}`;
  }

  /** cast with an ownership check; 16-bit tensors only through th() (the operands that take them) */
  t(x: Tensor): GPUTensor {
    if (isHalf(x.dtype)) throw new ShapeError(`webgpu: tensor${x.label ? ` "${x.label}"` : ''} is ${x.dtype}; only matmul's b and embedding's table may be 16-bit: pass an f32 tensor`);
    return this.th(x);
  }
  /** cast with an ownership check, any dtype */
  th(x: Tensor): GPUTensor {
    if (!(x instanceof GPUTensor)) throw new ShapeError(`webgpu: tensor${x.label ? ` "${x.label}"` : ''} belongs to backend "${x.backend}"`);
    return x;
  }

  tensor(shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
    if (dtype !== 'f32' && dtype !== 'i32' && !isHalf(dtype)) throw new ShapeError(`webgpu: dtype ${dtype} is not supported (f32, i32, bf16, f16)`);
    return this.ctx.createTensor(shape, dtype, label);
  }
  fromArray(data: Float32Array | Int32Array | Uint16Array | number[], shape: readonly number[], dtype?: DType, label?: string): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
    if (data instanceof Uint16Array && !isHalf(dt)) throw new ShapeError(`fromArray: a Uint16Array holds 16-bit float bits: pass dtype 'bf16' or 'f16' (got ${dt})`);
    const arr = Array.isArray(data) ? (dt === 'i32' ? Int32Array.from(data) : Float32Array.from(data)) : data;
    if (arr.length !== sizeOf(shape)) throw new ShapeError(`fromArray: ${arr.length} values for shape [${shape.join(', ')}]`);
    const t = this.tensor(shape, dt, label) as GPUTensor;
    this.ctx.upload(t, arr);
    return t;
  }
  write(t: Tensor, data: Float32Array | Int32Array | Uint16Array, offset = 0): void { this.ctx.upload(this.th(t), data, offset); }
  read(t: Tensor, offset?: number, count?: number): Promise<Float32Array | Int32Array> { return this.ctx.download(this.th(t), offset, count); }
  dispose(t: Tensor): void { this.ctx.release(this.th(t)); }
  memoryStats(): { bytesInUse: number; peakBytes: number } { return { bytesInUse: this.ctx.liveBytes, peakBytes: this.ctx.peakBytes }; }
  flush(): void { this.ctx.flush(); }
  sync(): Promise<void> { return this.ctx.sync(); }
  destroy(): void { this.ctx.destroy(); }

  fill(t: Tensor, value: number): void { ew.fill(this, t, value); }
  copy(dst: Tensor, src: Tensor, o?: { srcOffset?: number; dstOffset?: number; count?: number }): void { ew.copy(this, dst, src, o); }
  add(out: Tensor, a: Tensor, b: Tensor): void { ew.add(this, out, a, b); }
  mul(out: Tensor, a: Tensor, b: Tensor): void { ew.mul(this, out, a, b); }
  scale(out: Tensor, x: Tensor, s: number): void { ew.scale(this, out, x, s); }
  axpy(y: Tensor, x: Tensor, alpha: number): void { ew.axpy(this, y, x, alpha); }

  sumSquares(out: Tensor, x: Tensor, o?: { accumulate?: boolean }): void { red.sumSquares(this, out, x, o); }
  sumRows(out: Tensor, x: Tensor, o?: { accumulate?: boolean }): void { red.sumRows(this, out, x, o); }
  seqSum(out: Tensor, x: Tensor, mask: Tensor): void { red.seqSum(this, out, x, mask); }
  seqSumBackward(dx: Tensor, dout: Tensor, mask: Tensor): void { red.seqSumBackward(this, dx, dout, mask); }

  matmul(out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void { mm.matmul(this, out, a, b, o); }

  rmsnorm(out: Tensor, rstd: Tensor, x: Tensor, w: Tensor, eps: number): void { norm.rmsnorm(this, out, rstd, x, w, eps); }
  rmsnormBackward(dx: Tensor, dw: Tensor, dout: Tensor, x: Tensor, w: Tensor, rstd: Tensor): void { norm.rmsnormBackward(this, dx, dw, dout, x, w, rstd); }
  layernorm(out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void { norm.layernorm(this, out, mean, rstd, x, w, b, eps); }
  layernormBackward(dx: Tensor, dw: Tensor, db: Tensor, dout: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor): void { norm.layernormBackward(this, dx, dw, db, dout, x, w, mean, rstd); }

  softmax(out: Tensor, x: Tensor, cols: number): void { sm.softmax(this, out, x, cols); }
  softmaxBackward(dx: Tensor, y: Tensor, dy: Tensor, cols: number): void { sm.softmaxBackward(this, dx, y, dy, cols); }
  logSoftmax(out: Tensor, x: Tensor, cols: number): void { sm.logSoftmax(this, out, x, cols); }
  tokenLogprobs(logp: Tensor, lse: Tensor, logits: Tensor, targets: Tensor): void { sm.tokenLogprobs(this, logp, lse, logits, targets); }
  tokenLogprobsBackward(dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void { sm.tokenLogprobsBackward(this, dlogits, logits, targets, lse, dlogp); }
  logitsChunkStats(state: Tensor, logits: Tensor, targets: Tensor, o: LogitsChunkOptions & { first: boolean }): void { lh.logitsChunkStats(this, state, logits, targets, o); }
  logitsChunkFinish(logp: Tensor, lse: Tensor, state: Tensor, targets: Tensor, o: { vocab: number }): void { lh.logitsChunkFinish(this, logp, lse, state, targets, o); }
  logitsChunkBackward(dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor, o: LogitsChunkOptions): void { lh.logitsChunkBackward(this, dlogits, logits, targets, lse, dlogp, o); }

  rope(out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): void { rope.rope(this, out, x, positions, o); }
  attention(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): void { attn.attention(this, out, lse, q, k, v, o); }
  attentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void { attn.attentionBackward(this, dq, dk, dv, dout, q, k, v, out, lse, o); }

  attentionCached(out: Tensor, q: Tensor, kCache: Tensor, vCache: Tensor, o: CachedAttentionOptions): void { attnc.attentionCached(this, out, q, kCache, vCache, o); }
  kvWrite(cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void { attnc.kvWrite(this, cache, x, o); }

  disentangledAttention(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, o: DisentangledAttentionOptions): void { attnRel.disentangledAttention(this, out, lse, q, k, v, pos, relIdx, o); }
  disentangledAttentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dpos: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, out: Tensor, lse: Tensor, o: DisentangledAttentionOptions): void { attnRel.disentangledAttentionBackward(this, dq, dk, dv, dpos, dout, q, k, v, pos, relIdx, out, lse, o); }

  silu(out: Tensor, x: Tensor): void { act.silu(this, out, x); }
  siluBackward(dx: Tensor, x: Tensor, dout: Tensor): void { act.siluBackward(this, dx, x, dout); }
  swiglu(out: Tensor, gate: Tensor, up: Tensor): void { act.swiglu(this, out, gate, up); }
  swigluBackward(dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void { act.swigluBackward(this, dgate, dup, dout, gate, up); }
  gelu(out: Tensor, x: Tensor): void { act.gelu(this, out, x); }
  geluBackward(dx: Tensor, x: Tensor, dout: Tensor): void { act.geluBackward(this, dx, x, dout); }
  geluErf(out: Tensor, x: Tensor): void { act.geluErf(this, out, x); }
  geluErfBackward(dx: Tensor, x: Tensor, dout: Tensor): void { act.geluErfBackward(this, dx, x, dout); }
  geglu(out: Tensor, gate: Tensor, up: Tensor): void { act.geglu(this, out, gate, up); }
  gegluBackward(dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void { act.gegluBackward(this, dgate, dup, dout, gate, up); }
  softcap(out: Tensor, x: Tensor, cap: number): void { act.softcap(this, out, x, cap); }
  softcapBackward(dx: Tensor, y: Tensor, dy: Tensor, cap: number): void { act.softcapBackward(this, dx, y, dy, cap); }

  embedding(out: Tensor, table: Tensor, ids: Tensor): void { emb.embedding(this, out, table, ids); }
  embeddingBackward(dtable: Tensor, dout: Tensor, ids: Tensor): void { emb.embeddingBackward(this, dtable, dout, ids); }

  preferenceLoss(loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void { pref.preferenceLoss(this, loss, dlogp, logp, refLogp, target, weight, o); }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void { opt.adamw(this, param, grad, m, v, o); }
  rmsprop(param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void { opt.rmsprop(this, param, grad, sq, buf, o); }
  sgd(param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void { opt.sgd(this, param, grad, buf, o); }
}
