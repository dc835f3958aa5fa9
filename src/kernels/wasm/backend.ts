// The WebAssembly CPU backend: the op interface over AssemblyScript SIMD kernels
// (assembly/kernels/) on a pool of threads sharing one WebAssembly.Memory.
// - Tensors are blocks of that memory, handed out by a first-fit allocator (allocator.ts).
// - Ops run eagerly and synchronously: validate on the host (validate.ts, the same checks as
//   WebGPU), then pool.run(kernel, ntasks, parallel, args). Small ops run on the calling
//   thread alone (waking workers costs more than the work).
// - Results never depend on the thread count (see assembly/kernels/common.ts).
// Each op family lives in ops/<family>.ts, forward and backward side by side.
import type { AdamWOptions, AttentionOptions, Backend, CachedAttentionOptions, DisentangledAttentionOptions, DType, LogitsChunkOptions, MatmulOptions, PreferenceLossOptions, RMSpropOptions, RopeOptions, SGDOptions, Tensor } from '../backend.js';
import { ShapeError, sizeOf } from '../backend.js';
import { bytesPerElement, fromHalfBits, isHalf, toHalfBits } from '../half.js';
import { Allocator } from './allocator.js';
import { ThreadPool } from './pool.js';
import { WasmTensor } from './tensor.js';
import type { KernelModule } from './module.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as mm from './ops/matmul.js';
import * as norm from './ops/norm.js';
import * as sm from './ops/softmax.js';
import * as lh from './ops/lmhead.js';
import * as rope from './ops/rope.js';
import * as attn from './ops/attention.js';
import * as attnRel from './ops/attention-rel.js';
import * as act from './ops/activation.js';
import * as emb from './ops/embedding.js';
import * as opt from './ops/optim.js';
import * as pref from './ops/preference.js';

/** Work below which an op runs on the calling thread alone. Ops estimate their work in rough
 *  units of single-thread time (matmul: flops/8; elementwise: n/4; ~ns). Waking the workers
 *  and waiting for them costs ~10–20 µs, so splitting pays from ~100 µs of work. */
export const PARALLEL_MIN_WORK = 1 << 17;

export interface WasmBackendInit {
  kernels: KernelModule;
  memory: WebAssembly.Memory;
  exports: Record<string, any>;
  pool: ThreadPool;
  maxBytes: number;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly memory: WebAssembly.Memory;
  readonly pool: ThreadPool;
  readonly alloc: Allocator;
  readonly exports: Record<string, any>;
  readonly simd = true;
  /** whether the kernels are the fused multiply-add (relaxed SIMD) build */
  readonly fma: boolean;
  /** x·Wᵀ products (transB, no transA) with fewer rows than this take mm_small's strip
   *  kernel (stripTimesWt), which streams W once instead of packing it (ops/matmul.ts); below
   *  4 rows they always do. A tunable for benchmarks (0: pack from 4 rows up); results differ
   *  in rounding only. */
  smallMTb = 48;
  private f32v!: Float32Array;
  private i32v!: Int32Array;
  private u16v!: Uint16Array;
  private scratchSlots = [0, 1, 2, 3].map(() => ({ ptr: 0, bytes: 0 }));
  private live = new Set<WasmTensor>();
  private destroyed = false;

  constructor(init: WasmBackendInit) {
    this.memory = init.memory;
    this.pool = init.pool;
    this.exports = init.exports;
    this.fma = init.kernels.fma;
    const heapBase = init.exports.heapBase() as number;
    this.alloc = new Allocator(this.memory, Math.max(heapBase, 65536), init.maxBytes, () => this.refresh());
    this.refresh();
  }

  get threads(): number { return this.pool.threads; }
  get description(): string {
    return `wasm (SIMD${this.fma ? ' + FMA' : ''}, ${this.pool.threads} thread${this.pool.threads === 1 ? '' : 's'}${this.pool.threads > 1 ? ', shared memory' : ''})`;
  }
  private consts = new Map<string, number>();
  /** a kernel module constant (chunk sizes), e.g. k('EW_CHUNK') */
  k(name: string): number {
    let v = this.consts.get(name);
    if (v === undefined) {
      const g = this.exports[name] as WebAssembly.Global | undefined;
      if (!g) throw new Error(`sppo wasm: the kernels module has no constant ${name} (rebuild: node tools/build.mjs)`);
      this.consts.set(name, (v = g.value as number));
    }
    return v;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (!this.f32v || this.f32v.buffer !== buf || this.f32v.length * 4 !== buf.byteLength) {
      this.f32v = new Float32Array(buf);
      this.i32v = new Int32Array(buf);
      this.u16v = new Uint16Array(buf);
    }
  }
  /** Float32Array view of the whole memory (refreshed after growth) */
  get f32(): Float32Array { if (this.f32v.length * 4 !== this.memory.buffer.byteLength) this.refresh(); return this.f32v; }
  get i32(): Int32Array { if (this.i32v.length * 4 !== this.memory.buffer.byteLength) this.refresh(); return this.i32v; }
  get u16(): Uint16Array { if (this.u16v.length * 2 !== this.memory.buffer.byteLength) this.refresh(); return this.u16v; }

  /** the byte address of a live f32/i32 tensor of this backend (16-bit tensors: ph) */
  p(t: Tensor | null | undefined): number {
    if (t && isHalf(t.dtype)) throw new ShapeError(`wasm: tensor${t.label ? ` "${t.label}"` : ''} is ${t.dtype}; only matmul's b and embedding's table may be 16-bit: pass an f32 tensor`);
    return this.ph(t);
  }
  /** the byte address of a live tensor of any dtype (16-bit ones included) */
  ph(t: Tensor | null | undefined): number {
    if (!t) return 0;
    if (!(t instanceof WasmTensor) || t.owner !== this) throw new ShapeError(`wasm: tensor${t.label ? ` "${t.label}"` : ''} belongs to backend "${t.backend}"${t instanceof WasmTensor ? ' (another wasm backend)' : ''}; create it with this backend`);
    if (t.disposed) throw new ShapeError(`wasm: tensor${t.label ? ` "${t.label}"` : ''} [${t.shape.join(', ')}] was disposed`);
    return t.ptr;
  }

  /** scratch memory of at least `bytes` in slot `slot` (0..3: independent buffers), valid
   *  until the next use of that slot (ops are synchronous, so within one op). Slots: 0 an
   *  op's partials (sum of squares, norm dw/db, attention delta), 1 column-sum partials,
   *  2 per-thread scratch (threads × stride), 3 matmul's packed B. */
  scratch(bytes: number, slot = 0): number {
    const s = this.scratchSlots[slot];
    if (bytes > s.bytes) {
      if (s.ptr) this.alloc.release(s.ptr);
      // doubling keeps regrowth rare; past 64 MiB (an LM head's packed weight) take what is asked:
      // doubling there would hold up to twice the largest operand for nothing
      s.bytes = bytes > 1 << 26 ? bytes : Math.max(bytes, s.bytes * 2, 4096);
      s.ptr = 0;
      s.ptr = this.alloc.alloc(s.bytes);
    }
    return s.ptr;
  }

  /** bytes held by the scratch slots (re-sized by the next op that needs more): the planner counts them as free */
  get scratchBytes(): number { return this.scratchSlots.reduce((n, s) => n + s.bytes, 0); }

  /** Run kernel `name` over ntasks tasks; threads are used when work ≥ PARALLEL_MIN_WORK. */
  run(name: string, ntasks: number, work: number, args: number[]): void {
    if (this.destroyed) throw new Error('sppo wasm: the backend was destroyed');
    this.pool.run(name, ntasks, work >= PARALLEL_MIN_WORK, args);
  }

  // ---- memory ------------------------------------------------------------------------
  tensor(shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
    if (this.destroyed) throw new Error('sppo wasm: the backend was destroyed');
    if (dtype !== 'f32' && dtype !== 'i32' && !isHalf(dtype)) throw new ShapeError(`wasm: dtype ${dtype} is not supported (f32, i32, bf16, f16)`);
    const size = sizeOf(shape);
    const t = new WasmTensor([...shape], dtype, size, this.alloc.alloc(size * bytesPerElement(dtype)), this, label);
    this.live.add(t);
    return t;
  }
  fromArray(data: Float32Array | Int32Array | Uint16Array | number[], shape: readonly number[], dtype?: DType, label?: string): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
    if (data instanceof Uint16Array && !isHalf(dt)) throw new ShapeError(`fromArray: a Uint16Array holds 16-bit float bits: pass dtype 'bf16' or 'f16' (got ${dt})`);
    const arr = Array.isArray(data) ? (dt === 'i32' ? Int32Array.from(data) : Float32Array.from(data)) : data;
    if (arr.length !== sizeOf(shape)) throw new ShapeError(`fromArray: ${arr.length} values for shape [${shape.join(', ')}]`);
    const t = this.tensor(shape, dt, label);
    this.write(t, arr);
    return t;
  }
  write(t: Tensor, data: Float32Array | Int32Array | Uint16Array, offset = 0): void {
    const p = this.ph(t);
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > t.size) {
      throw new ShapeError(`write: ${data.length} elements at offset ${offset} do not fit tensor${t.label ? ` "${t.label}"` : ''} of ${t.size}`);
    }
    if (isHalf(t.dtype)) {
      if (data instanceof Int32Array) throw new ShapeError(`write: tensor${t.label ? ` "${t.label}"` : ''} is ${t.dtype}: pass a Uint16Array (bits) or a Float32Array (values)`);
      // a Float32Array is rounded chunk by chunk straight into wasm memory (no whole-tensor temporary)
      if (data instanceof Uint16Array) this.u16.set(data, p / 2 + offset);
      else for (let i = 0; i < data.length; i += 1 << 16) {
        const part = data.subarray(i, Math.min(data.length, i + (1 << 16)));
        toHalfBits(part, t.dtype, this.u16.subarray(p / 2 + offset + i, p / 2 + offset + i + part.length));
      }
      return;
    }
    if (data instanceof Uint16Array) throw new ShapeError(`write: a Uint16Array can only go into a bf16/f16 tensor, not ${t.dtype}`);
    // bit copy: an Int32Array into an f32 tensor (or the reverse) keeps its bits, as on WebGPU
    if (data instanceof Int32Array) this.i32.set(data, p / 4 + offset);
    else this.f32.set(data, p / 4 + offset);
  }
  read(t: Tensor, offset = 0, count?: number): Promise<Float32Array | Int32Array> {
    try {
      return Promise.resolve(this.readSync(t, offset, count));
    } catch (e) { return Promise.reject(e); }
  }
  /** synchronous read (a copy) — the wasm backend computes eagerly */
  readSync(t: Tensor, offset = 0, count?: number): Float32Array | Int32Array {
    const p = this.ph(t);
    const n = count ?? t.size - offset;
    if (!Number.isInteger(offset) || offset < 0 || n < 0 || offset + n > t.size) {
      throw new ShapeError(`read: ${n} elements at offset ${offset} are outside tensor${t.label ? ` "${t.label}"` : ''} of ${t.size}`);
    }
    if (isHalf(t.dtype)) return fromHalfBits(this.u16.subarray(p / 2 + offset, p / 2 + offset + n), t.dtype);
    const start = p / 4 + offset;
    return t.dtype === 'i32' ? this.i32.slice(start, start + n) : this.f32.slice(start, start + n);
  }
  dispose(t: Tensor): void {
    const w = t as WasmTensor;
    this.ph(t);
    w.disposed = true;
    this.live.delete(w);
    this.alloc.release(w.ptr);
  }
  flush(): void { /* ops run eagerly */ }
  sync(): Promise<void> { return Promise.resolve(); }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of this.live) t.disposed = true;
    this.live.clear();
    this.pool.destroy();
  }
  memoryStats(): { bytesInUse: number; peakBytes: number } { return { bytesInUse: this.alloc.inUse, peakBytes: this.alloc.peak }; }
  /** number of live tensors (for tests and leak checks) */
  get liveTensors(): number { return this.live.size; }

  // ---- ops ----------------------------------------------------------------------------
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
  attentionCached(out: Tensor, q: Tensor, kCache: Tensor, vCache: Tensor, o: CachedAttentionOptions): void { attn.attentionCached(this, out, q, kCache, vCache, o); }
  kvWrite(cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void { attn.kvWrite(this, cache, x, o); }

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

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void { opt.adamw(this, param, grad, m, v, o); }
  rmsprop(param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void { opt.rmsprop(this, param, grad, sq, buf, o); }
  sgd(param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void { opt.sgd(this, param, grad, buf, o); }

  preferenceLoss(loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void { pref.preferenceLoss(this, loss, dlogp, logp, refLogp, target, weight, o); }
}
