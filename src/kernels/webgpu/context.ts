// The WebGPU execution context under the op interface: tensors on GPUBuffers (pooled by
// size), WGSL modules from shaders/ with `const` defines prepended, pipelines cached by
// (shader, entry, defines), a uniform arena, and a recorder that puts every dispatch of a
// step into one command encoder (one compute pass) and submits once on flush().
//
// Kernel conventions (every shaders/*.wgsl):
//   @group(0) @binding(0) var<uniform> P: Params;   // scalar fields, 4 bytes each, in order
//   @group(0) @binding(1..n) storage buffers, in the order the op passes the tensors
// Defines become `const NAME: u32 = <v>u;` (or `const NAME: f32 = <v>;` when given as
// {f32: v}) prepended to the source, so a variant is a different set of defines. A line
// `//#include NAME` is replaced by shaders/NAME.wgsl (kernels that share a body), and `enable`
// directives are moved above the defines (WGSL wants them first).
import shaders from '../../generated/shaders.js';
import { ShapeError, sizeOf, type DType, type Tensor } from '../backend.js';
import { bytesPerElement, fromHalfBits, isHalf, toHalfBits } from '../half.js';
import type { GPUContext } from '../../gpu/device.js';

/** a byte range of a tensor bound instead of the whole (offset a multiple of offsetAlign, size ≤ maxBinding) */
export interface BoundRange { t: GPUTensor; offset: number; size: number }

export class GPUTensor implements Tensor {
  readonly backend = 'webgpu';
  readonly size: number;
  disposed = false;
  constructor(readonly shape: readonly number[], readonly dtype: DType, readonly buffer: GPUBuffer, public label?: string) {
    this.size = sizeOf(shape);
  }
  /** bytes of data: 4 per element, or 2 for bf16/f16 (packed two per u32 word, padded to a word) */
  get byteLength(): number { return Math.ceil((this.size * bytesPerElement(this.dtype)) / 4) * 4; }
}

export type Define = number | boolean | { f32: number };
export type Defines = Record<string, Define>;

/** Builder for a uniform Params struct: scalar u32 / i32 / f32 fields in declaration order. */
export class Params {
  private buf = new ArrayBuffer(256);
  private u32 = new Uint32Array(this.buf);
  private i32 = new Int32Array(this.buf);
  private f32 = new Float32Array(this.buf);
  n = 0;
  u(v: number): this { this.u32[this.n++] = v >>> 0; return this; }
  i(v: number): this { this.i32[this.n++] = v | 0; return this; }
  f(v: number): this { this.f32[this.n++] = v; return this; }
  /** bytes, padded to 16 (uniform struct size rounding) */
  bytes(): Uint8Array { return new Uint8Array(this.buf, 0, Math.max(16, Math.ceil(this.n / 4) * 16)); }
}

const ARENA_CHUNK = 64 * 1024;
const UNIFORM_ALIGN = 256;

export class WebGPUContext {
  readonly device: GPUDevice;
  private pool = new Map<number, GPUBuffer[]>();
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arenaGPU: GPUBuffer[] = [];
  private arenaCPU: Uint8Array[] = [];
  private arenaChunk = 0;
  private arenaOffset = 0;
  private readStaging: GPUBuffer[] = [];
  /** dispatches recorded since the last flush (for tests and diagnostics) */
  pendingDispatches = 0;
  /** total bytes of live (not pooled) tensor buffers, and the peak */
  liveBytes = 0;
  peakBytes = 0;

  /** validation/out-of-memory errors reported by the device since the last check */
  private errors: string[] = [];

  /**
   * maxBinding: cap the storage-binding size this backend assumes below the adapter's (tests use
   * it to exercise what happens past the limit on any adapter); default the adapter's own.
   */
  constructor(readonly gpu: GPUContext, o: { maxBinding?: number } = {}) {
    this.device = gpu.device;
    if (o.maxBinding !== undefined) {
      if (!(Number.isInteger(o.maxBinding) && o.maxBinding >= 256)) throw new ShapeError(`webgpu: maxBindingBytes must be an integer ≥ 256, got ${o.maxBinding}`);
      this.bindingCap = o.maxBinding;
    }
    // WebGPU reports invalid shaders, pipelines and dispatches asynchronously; collect them and
    // throw at the next read/sync so a broken kernel never passes silently as zeros.
    this.device.addEventListener('uncapturederror', (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(err?.message ?? String(err));
    });
  }

  /** throw the collected device errors, if any */
  checkErrors(): void {
    if (this.errors.length === 0) return;
    const msgs = this.errors.splice(0);
    const shown = msgs.slice(0, 3).map((m) => m.trim()).join('\n---\n');
    throw new Error(`sppo: WebGPU error${msgs.length > 1 ? `s (${msgs.length})` : ''}: ${shown}${msgs.length > 3 ? `\n(+${msgs.length - 3} more)` : ''}`);
  }

  private bindingCap = Infinity;
  /** the largest storage binding (bytes): the adapter's limit, or the cap given at creation */
  get maxBinding(): number { return Math.min(this.bindingCap, this.gpu.limits.maxStorageBufferBindingSize ?? 134217728); }
  /** the largest buffer (bytes): at least the binding limit */
  get maxBuffer(): number { return Math.max(this.maxBinding, this.gpu.limits.maxBufferSize ?? 268435456); }
  /** storage-binding offsets are multiples of this (bytes) */
  get offsetAlign(): number { return this.gpu.limits.minStorageBufferOffsetAlignment ?? 256; }

  /** the error for a tensor that an op binds whole past the binding limit */
  bindingError(what: string, t: GPUTensor): ShapeError {
    return new ShapeError(`${what}: tensor${t.label ? ` "${t.label}"` : ''} [${t.shape.join(', ')}] (${t.dtype}) is ${t.buffer.size} bytes, over this adapter's maxStorageBufferBindingSize of ${this.maxBinding} bytes${this.bindingCap < Infinity ? ' (capped by maxBindingBytes)' : ''}, and this op does not split its operands (on WebGPU only the embedding lookup, copies and the fused LM head's vocabulary slices do): use the wasm backend (no binding limit), an adapter with a larger limit, or a smaller batch, sequence or model`);
  }

  get maxWorkgroups(): number { return this.gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535; }

  // ---- tensors ------------------------------------------------------------------------
  createTensor(shape: readonly number[], dtype: DType, label?: string): GPUTensor {
    const size = sizeOf(shape);
    const bytes = Math.max(16, Math.ceil((size * bytesPerElement(dtype)) / 16) * 16);
    // a tensor may exceed one storage binding (up to maxBufferSize): the ops that meet such
    // tensors in a model (the embedding lookup, copies, hence the fused LM head's slices) bind
    // ranges of it; any other op binding it whole stops with bindingError()
    if (bytes > this.maxBuffer) {
      throw new ShapeError(`webgpu: tensor${label ? ` "${label}"` : ''} [${shape.join(', ')}] (${dtype}) needs ${bytes} bytes, over this adapter's maxBufferSize of ${this.maxBuffer} bytes: use the wasm backend (no such limit), or a smaller batch, sequence or model`);
    }
    const free = this.pool.get(bytes);
    const buffer = free?.pop() ?? this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label });
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return new GPUTensor(shape, dtype, buffer, label);
  }

  release(t: GPUTensor): void {
    if (t.disposed) return;
    t.disposed = true;
    const bytes = t.buffer.size;
    this.liveBytes -= bytes;
    let list = this.pool.get(bytes);
    if (!list) this.pool.set(bytes, (list = []));
    list.push(t.buffer);
  }

  upload(t: GPUTensor, data: Float32Array | Int32Array | Uint16Array, offset = 0): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > t.size) throw new ShapeError(`write: ${data.length} elements at offset ${offset} do not fit tensor of ${t.size}`);
    // queue.writeBuffer is ordered before the next submit: recorded work that should see the
    // old contents must be flushed first.
    this.flush();
    if (isHalf(t.dtype)) {
      // whole u32 words only: an even start, and an even length unless the write reaches the end
      // (the pad half of the last word is unused)
      if (data instanceof Int32Array) throw new ShapeError(`write: tensor${t.label ? ` "${t.label}"` : ''} is ${t.dtype}: pass a Uint16Array (bits) or a Float32Array (values)`);
      if (offset % 2 !== 0 || (data.length % 2 !== 0 && offset + data.length !== t.size)) {
        throw new ShapeError(`write: a ${t.dtype} tensor on WebGPU is written in pairs of elements: start at an even offset (got ${offset}) and write an even count (got ${data.length}) unless the write reaches the end`);
      }
      const n = data.length + (data.length % 2);
      let bits: Uint16Array;
      if (data instanceof Uint16Array) { bits = n === data.length ? data : new Uint16Array(n); if (bits !== data) bits.set(data); }
      else bits = toHalfBits(data, t.dtype, new Uint16Array(n));
      this.device.queue.writeBuffer(t.buffer, offset * 2, bits.buffer, bits.byteOffset, n * 2);
      return;
    }
    if (data instanceof Uint16Array) throw new ShapeError(`write: a Uint16Array can only go into a bf16/f16 tensor, not ${t.dtype}`);
    this.device.queue.writeBuffer(t.buffer, offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  async download(t: GPUTensor, offset = 0, count = t.size - offset): Promise<Float32Array | Int32Array> {
    if (offset < 0 || count < 0 || offset + count > t.size) throw new ShapeError(`read: range [${offset}, ${offset + count}) outside tensor of ${t.size}`);
    if (isHalf(t.dtype)) {
      // the u32 words that hold the range, widened on the host (exact)
      const w0 = offset >> 1, w1 = (offset + count + 1) >> 1;
      const words = new Uint16Array(await this.downloadBytes(t, w0 * 4, (w1 - w0) * 4));
      return fromHalfBits(words.subarray(offset - 2 * w0, offset - 2 * w0 + count), t.dtype);
    }
    const copy = await this.downloadBytes(t, offset * 4, count * 4);
    return t.dtype === 'i32' ? new Int32Array(copy) : new Float32Array(copy);
  }

  /** bytes [byteOffset, byteOffset + byteCount) of t's buffer (both multiples of 4) */
  private async downloadBytes(t: GPUTensor, byteOffset: number, byteCount: number): Promise<ArrayBuffer> {
    const count = byteCount / 4, offset = byteOffset / 4;
    const bytes = Math.max(4, count * 4);
    const padded = Math.ceil(bytes / 4) * 4;
    const staging = this.takeStaging(padded);
    this.endPass();
    const enc = this.encoderNow();
    if (count > 0) enc.copyBufferToBuffer(t.buffer, offset * 4, staging, 0, count * 4);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ, 0, padded);
    const copy = staging.getMappedRange(0, padded).slice(0, count * 4);
    staging.unmap();
    this.readStaging.push(staging);
    this.checkErrors();
    return copy;
  }

  private takeStaging(bytes: number): GPUBuffer {
    const i = this.readStaging.findIndex((b) => b.size >= bytes && b.size <= bytes * 4);
    if (i >= 0) return this.readStaging.splice(i, 1)[0];
    return this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  // ---- shaders and pipelines -------------------------------------------------------------
  pipeline(shader: string, entry: string, defines: Defines = {}): GPUComputePipeline {
    const { key, defKey } = pipelineKey(shader, entry, defines);
    let p = this.pipelines.get(key);
    if (p) return p;
    const module = this.shaderModule(shader, defines, defKey);
    p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry }, label: key });
    this.pipelines.set(key, p);
    return p;
  }

  /** Like pipeline(), but the driver compiles without blocking this thread (for background
   *  work such as variant measurements); the result is cached for pipeline() too. */
  async pipelineAsync(shader: string, entry: string, defines: Defines = {}): Promise<GPUComputePipeline> {
    const { key, defKey } = pipelineKey(shader, entry, defines);
    const have = this.pipelines.get(key);
    if (have) return have;
    const module = this.shaderModule(shader, defines, defKey);
    const p = await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: entry }, label: key });
    const raced = this.pipelines.get(key);
    if (raced) return raced;
    this.pipelines.set(key, p);
    return p;
  }

  private shaderModule(shader: string, defines: Defines, defKey: string): GPUShaderModule {
    const modKey = `${shader}|${defKey}`;
    let module = this.modules.get(modKey);
    if (!module) {
      const src = shaderSource(shader);
      const head = Object.keys(defines).sort().map((k) => {
        const v = defines[k];
        if (typeof v === 'object') return `const ${k}: f32 = ${formatF32(v.f32)};`;
        return `const ${k}: u32 = ${Number(v) >>> 0}u;`;
      }).join('\n');
      // WGSL wants directives (`enable f16;`) before any declaration: they go above the defines
      const directives = src.match(/^enable [^;\n]+;[ \t]*$/gm) ?? [];
      const body = src.replace(/^enable [^;\n]+;[ \t]*$/gm, '');
      module = this.device.createShaderModule({ code: [...directives, head, body].join('\n'), label: modKey });
      this.modules.set(modKey, module);
    }
    return module;
  }

  // ---- recording ----------------------------------------------------------------------
  private encoderNow(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }
  private endPass(): void {
    if (this.pass) { this.pass.end(); this.pass = null; }
  }

  /** Copy a uniform struct into the arena; returns its buffer and offset. */
  private uniform(bytes: Uint8Array): { buffer: GPUBuffer; offset: number; size: number } {
    if (this.arenaOffset + bytes.byteLength > ARENA_CHUNK) { this.arenaChunk++; this.arenaOffset = 0; }
    while (this.arenaGPU.length <= this.arenaChunk) {
      this.arenaGPU.push(this.device.createBuffer({ size: ARENA_CHUNK, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }));
      this.arenaCPU.push(new Uint8Array(ARENA_CHUNK));
    }
    const offset = this.arenaOffset;
    this.arenaCPU[this.arenaChunk].set(bytes, offset);
    this.arenaOffset = offset + Math.ceil(bytes.byteLength / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    return { buffer: this.arenaGPU[this.arenaChunk], offset, size: bytes.byteLength };
  }

  /**
   * Record one dispatch. `tensors` bind to @binding(1..n) in order; `params` to @binding(0)
   * (omit when the shader has no uniform). `groups` is the workgroup grid.
   */
  dispatch(shader: string, entry: string, defines: Defines, params: Params | null, tensors: (GPUTensor | BoundRange)[], groups: [number, number?, number?]): void {
    const [gx, gy = 1, gz = 1] = groups;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const lim = this.maxWorkgroups;
    if (gx > lim || gy > lim || gz > lim) throw new ShapeError(`${shader}.${entry}: dispatch grid ${gx}×${gy}×${gz} exceeds the adapter's ${lim} workgroups per dimension`);
    const pipeline = this.pipeline(shader, entry, defines);
    const entries: GPUBindGroupEntry[] = [];
    if (params) {
      const u = this.uniform(params.bytes());
      entries.push({ binding: 0, resource: { buffer: u.buffer, offset: u.offset, size: u.size } });
    }
    tensors.forEach((x, i) => {
      const t = x instanceof GPUTensor ? x : x.t;
      if (t.disposed) throw new Error(`${shader}.${entry}: tensor ${t.label ?? i} used after dispose`);
      if (x instanceof GPUTensor) {
        if (t.buffer.size > this.maxBinding) throw this.bindingError(`${shader}.${entry}`, t);
        entries.push({ binding: i + 1, resource: { buffer: t.buffer } });
      } else {
        if (x.size > this.maxBinding || x.offset % this.offsetAlign !== 0 || x.offset + x.size > t.buffer.size) throw new ShapeError(`${shader}.${entry}: range [${x.offset}, +${x.size}) of tensor ${t.label ?? i} is not a valid binding (limit ${this.maxBinding}, alignment ${this.offsetAlign}, buffer ${t.buffer.size} bytes)`);
        entries.push({ binding: i + 1, resource: { buffer: t.buffer, offset: x.offset, size: x.size } });
      }
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) this.pass = this.encoderNow().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(gx, gy, gz);
    this.pendingDispatches++;
  }

  /** Record a buffer copy of whole 32-bit words, offsets and count in bytes (ends the current compute pass). */
  copyBytes(src: GPUTensor, srcOffset: number, dst: GPUTensor, dstOffset: number, bytes: number): void {
    if (bytes <= 0) return;
    this.endPass();
    this.encoderNow().copyBufferToBuffer(src.buffer, srcOffset, dst.buffer, dstOffset, bytes);
  }

  /** Record a buffer copy (ends the current compute pass). */
  copyBuffer(src: GPUTensor, srcOffset: number, dst: GPUTensor, dstOffset: number, count: number): void {
    if (count <= 0) return;
    this.endPass();
    this.encoderNow().copyBufferToBuffer(src.buffer, srcOffset * 4, dst.buffer, dstOffset * 4, count * 4);
  }

  /** Submit everything recorded since the last flush (uniforms first, then one command buffer). */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    for (let i = 0; i <= this.arenaChunk && i < this.arenaGPU.length; i++) {
      const used = i < this.arenaChunk ? ARENA_CHUNK : this.arenaOffset;
      if (used > 0) this.device.queue.writeBuffer(this.arenaGPU[i], 0, this.arenaCPU[i].buffer, 0, used);
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.arenaChunk = 0;
    this.arenaOffset = 0;
    this.pendingDispatches = 0;
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkErrors();
  }

  destroy(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    for (const b of this.arenaGPU) b.destroy();
    for (const b of this.readStaging) b.destroy();
    this.arenaGPU = []; this.arenaCPU = []; this.readStaging = [];
  }
}

/** a shader's source with its `//#include NAME` lines replaced by shaders/NAME.wgsl (one level) */
export function shaderSource(shader: string): string {
  const src = shaders[shader];
  if (src === undefined) throw new Error(`sppo: no shader "${shader}" in shaders/ (rebuild with npm run build?)`);
  return src.replace(/^\/\/#include (\w+)[ \t]*$/gm, (_, name: string) => {
    const inc = shaders[name];
    if (inc === undefined) throw new Error(`sppo: shader "${shader}" includes "${name}", which is not in shaders/`);
    return inc;
  });
}

function pipelineKey(shader: string, entry: string, defines: Defines): { key: string; defKey: string } {
  const defKey = Object.keys(defines).sort().map((k) => `${k}=${JSON.stringify(defines[k])}`).join(',');
  return { key: `${shader}:${entry}:${defKey}`, defKey };
}

function formatF32(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`f32 define must be finite, got ${v}`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : s + '.0';
}

/** Workgroup grid for `n` threads of `wg` each, folded into 2-D when x would exceed `max`.
 *  Kernels recover the linear index as gid.x + gid.y * (num_workgroups.x * wg). */
export function grid1d(n: number, wg: number, max = 65535): [number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y];
}
