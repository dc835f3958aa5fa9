// safetensors read/write on plain bytes (no node: imports: browsers and Deno use it as is;
// src/model/io-files.ts adds the Node file helpers and sharded directories).
//
// Format (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of UTF-8 JSON header | data section
//   header = { "<tensor name>": { "dtype": "F32", "shape": [r, c], "data_offsets": [begin, end] },
//              ..., "__metadata__": { "<string>": "<string>" } (optional) }
//   offsets are relative to the data section; tensors are row-major, little-endian, and
//   together cover the data section exactly (no gaps, no overlaps, nothing after the last).
//
// Reading: F32, F16, BF16 and F64 come back as Float32Array; I32, I64 (when every value fits),
// I16, U16, I8, U8, U32 (when it fits) and BOOL come back as Int32Array.
// Writing: F32, F16 (round to nearest even; a finite value beyond ±65504 is an error, not an
// Inf), BF16 and I32. The header is padded with spaces so the data section starts 8-aligned,
// and `{"format":"pt"}` is put in __metadata__ unless the caller sets "format" — Hugging Face
// transformers refuses a safetensors file whose metadata lacks it.
import { ModelFileError, numel, shapeText } from './io-errors.js';
import { f16BitsToFloat, floatToBf16Bits, floatToF16Bits, fromHalfBits, HalfArray } from '../kernels/half.js';

/** every dtype the format defines, with its size in bytes (sub-byte types have no size here) */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
const INT_DTYPES = new Set(['I32', 'I64', 'I16', 'U16', 'I8', 'U8', 'U32', 'BOOL']);
export type WriteDType = 'F32' | 'F16' | 'BF16' | 'I32';
/** the safetensors library refuses headers above 100 MB; so do we */
const MAX_HEADER = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** byte range inside the data section */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** file name (or buffer label) used in every error */
  source: string;
  /** where the data section starts in the file: 8 + header length */
  dataStart: number;
  /** tensors in header order */
  tensors: Map<string, TensorInfo>;
  /** __metadata__ (string → string), or {} when absent */
  metadata: Record<string, string>;
}

// ---- header ----------------------------------------------------------------------------

/**
 * Reads the 8-byte length prefix and returns where the data section starts (8 + N).
 * `first8` needs only the first 8 bytes of the file; `fileSize` is the whole file's size.
 */
export function safetensorsDataStart(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || first8.length < 8) {
    throw new ModelFileError(source, `file is ${fileSize} bytes, shorter than the 8-byte header length`,
      'the file is truncated or not a safetensors file; write it again (or download it again)');
  }
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > MAX_HEADER) {
    throw new ModelFileError(source, `header length ${n} is larger than the 100 MB safetensors allows`,
      'the file is not a safetensors file (a PyTorch .bin or .pt? convert it with safetensors.torch.save_file) or it is corrupt');
  }
  if (8 + n > fileSize) {
    throw new ModelFileError(source, `header length ${n} runs past the end of the file (${fileSize} bytes)`,
      'the file is truncated or not a safetensors file; write it again (or download it again)');
  }
  return 8 + n;
}

/**
 * Parses and checks the header. `bytes` must hold at least the first `dataStart` bytes of the
 * file (the whole file works too); `fileSize` is the whole file's size, so offsets are checked
 * against it even when only the header was read.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  const dataStart = safetensorsDataStart(bytes.subarray(0, 8), fileSize, source);
  if (bytes.length < dataStart) throw new Error(`parseSafetensorsHeader: pass at least the first ${dataStart} bytes of ${source}`);
  const dataSize = fileSize - dataStart;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new ModelFileError(source, `the JSON header is invalid (${(e as Error).message})`,
      'the file is corrupt or was not written by a safetensors writer; write it again');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFileError(source, 'the JSON header is not an object', 'the file is corrupt; write it again');
  }
  const bad = (what: string): never => {
    throw new ModelFileError(source, what, 'the file is corrupt or was written by a broken writer; write it again with safetensors (or sppo)');
  };
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) bad('__metadata__ is not an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') bad(`__metadata__["${k}"] is ${JSON.stringify(s)}, not a string`);
        metadata[k] = s as string;
      }
      continue;
    }
    if (v === null || typeof v !== 'object') bad(`tensor "${name}" has no {dtype, shape, data_offsets} entry`);
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string') bad(`tensor "${name}" has no dtype`);
    const dtype = e.dtype as string;
    if (!(dtype in DTYPE_BYTES)) {
      throw new ModelFileError(source, `tensor "${name}" has unknown dtype "${dtype}" (known: ${Object.keys(DTYPE_BYTES).join(', ')})`,
        'convert the checkpoint to F32, F16 or BF16 (e.g. with torch: model.float() then save_pretrained)');
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`tensor "${name}" has shape ${JSON.stringify(e.shape)}, not a list of non-negative integers`);
    }
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      bad(`tensor "${name}" has data_offsets ${JSON.stringify(off)}, not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = off as number[];
    if (end > dataSize) {
      bad(`tensor "${name}" has data_offsets [${begin}, ${end}] beyond the ${dataSize}-byte data section`);
    }
    const want = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== want) {
      bad(`tensor "${name}" (${dtype} ${shapeText(shape)}) needs ${want} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`);
    }
    tensors.set(name, { name, dtype, shape, begin, end });
  }
  // The tensors must tile the data section: sorted by begin, each starts where the last ended.
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0, prev: TensorInfo | null = null;
  for (const t of sorted) {
    if (t.begin < pos) bad(`tensors "${prev!.name}" [${prev!.begin}, ${prev!.end}] and "${t.name}" [${t.begin}, ${t.end}] overlap`);
    if (t.begin > pos) bad(`bytes [${pos}, ${t.begin}] of the data section belong to no tensor`);
    pos = t.end;
    if (t.end > t.begin || !prev) prev = t;
  }
  if (pos !== dataSize) bad(`${dataSize - pos} bytes after the last tensor belong to no tensor (data section ${dataSize} bytes, tensors end at ${pos})`);
  return { source, dataStart, tensors, metadata };
}

// ---- decoding --------------------------------------------------------------------------

// the 16-bit conversions live with the kernels (tensors of those dtypes use them too)
export { f16BitsToFloat, floatToBf16Bits, floatToF16Bits };

/** a copy of bytes [begin, end) as an ArrayBuffer of its own (aligned for typed arrays) */
function own(raw: Uint8Array): ArrayBuffer {
  return raw.slice().buffer as ArrayBuffer;
}

/**
 * Decodes a floating-point tensor's bytes (exactly info.end - info.begin of them) to f32.
 */
export function decodeFloat32(info: TensorInfo, raw: Uint8Array, source: string): Float32Array {
  const n = numel(info.shape);
  if (raw.length !== info.end - info.begin) throw new Error(`decodeFloat32: ${info.name}: got ${raw.length} bytes, expected ${info.end - info.begin}`);
  switch (info.dtype) {
    case 'F32': return new Float32Array(own(raw));
    case 'F64': return Float32Array.from(new Float64Array(own(raw)));
    case 'F16': return fromHalfBits(new Uint16Array(own(raw)), 'f16');
    case 'BF16': return fromHalfBits(new Uint16Array(own(raw)), 'bf16');
  }
  if (INT_DTYPES.has(info.dtype)) {
    throw new ModelFileError(source, `tensor "${info.name}" is ${info.dtype}, an integer tensor, where floating-point weights were expected`,
      'check that the file holds model weights (F32, F16, BF16) and not token ids; read integer tensors with readInt32');
  }
  throw new ModelFileError(source, `tensor "${info.name}" has dtype ${info.dtype}, which sppo cannot read as weights (F32, F16, BF16, F64 only)`,
    'convert the checkpoint to F32, F16 or BF16 (e.g. in torch: model.float(), then save_pretrained)');
}

/** A weight tensor: BF16/F16 bytes kept as 16-bit patterns when `keepHalf` (no f32 copy),
 *  anything else decoded to f32 (decodeFloat32). */
export function decodeWeights(info: TensorInfo, raw: Uint8Array, source: string, keepHalf: boolean): Float32Array | HalfArray {
  if (keepHalf && (info.dtype === 'BF16' || info.dtype === 'F16')) {
    if (raw.length !== info.end - info.begin) throw new Error(`decodeWeights: ${info.name}: got ${raw.length} bytes, expected ${info.end - info.begin}`);
    return new HalfArray(new Uint16Array(own(raw)), info.dtype === 'BF16' ? 'bf16' : 'f16');
  }
  return decodeFloat32(info, raw, source);
}

/** Decodes an integer tensor to i32; a value outside the i32 range is an error. */
export function decodeInt32(info: TensorInfo, raw: Uint8Array, source: string): Int32Array {
  const n = numel(info.shape);
  if (raw.length !== info.end - info.begin) throw new Error(`decodeInt32: ${info.name}: got ${raw.length} bytes, expected ${info.end - info.begin}`);
  const buf = own(raw);
  const tooBig = (v: bigint | number): never => {
    throw new ModelFileError(source, `tensor "${info.name}" (${info.dtype}) holds ${v}, outside the 32-bit integer range`,
      'store token ids and other integers as I32, or keep values within ±2^31');
  };
  switch (info.dtype) {
    case 'I32': return new Int32Array(buf);
    case 'I16': return Int32Array.from(new Int16Array(buf));
    case 'U16': return Int32Array.from(new Uint16Array(buf));
    case 'I8': return Int32Array.from(new Int8Array(buf));
    case 'U8': case 'BOOL': return Int32Array.from(new Uint8Array(buf));
    case 'U32': {
      const u = new Uint32Array(buf), out = new Int32Array(n);
      for (let i = 0; i < n; i++) { if (u[i] > 0x7fffffff) tooBig(u[i]); out[i] = u[i]; }
      return out;
    }
    case 'I64': {
      const v = new BigInt64Array(buf), out = new Int32Array(n);
      for (let i = 0; i < n; i++) { if (v[i] > 0x7fffffffn || v[i] < -0x80000000n) tooBig(v[i]); out[i] = Number(v[i]); }
      return out;
    }
  }
  throw new ModelFileError(source, `tensor "${info.name}" is ${info.dtype}, not an integer dtype`,
    FLOAT_DTYPES.has(info.dtype) ? 'read it with readFloat32' : 'store integer tensors as I32 or I64');
}

/** A whole safetensors file in memory (browser fetch, tests). Files on disk: io-files.ts. */
export class SafetensorsBuffer {
  readonly header: SafetensorsHeader;
  constructor(readonly bytes: Uint8Array, source = 'safetensors buffer') {
    this.header = parseSafetensorsHeader(bytes, bytes.length, source);
  }
  get source(): string { return this.header.source; }
  get metadata(): Record<string, string> { return this.header.metadata; }
  names(): string[] { return [...this.header.tensors.keys()]; }
  has(name: string): boolean { return this.header.tensors.has(name); }
  info(name: string): TensorInfo {
    const t = this.header.tensors.get(name);
    if (!t) {
      throw new ModelFileError(this.source, `no tensor "${name}" (the file has ${this.header.tensors.size}: ${listSome(this.names())})`,
        'check the tensor name, or that this is the right checkpoint');
    }
    return t;
  }
  private raw(t: TensorInfo): Uint8Array {
    return this.bytes.subarray(this.header.dataStart + t.begin, this.header.dataStart + t.end);
  }
  readFloat32(name: string): Float32Array { const t = this.info(name); return decodeFloat32(t, this.raw(t), this.source); }
  /** BF16/F16 kept 16-bit when keepHalf (see decodeWeights), else f32 */
  readWeights(name: string, keepHalf: boolean): Float32Array | HalfArray { const t = this.info(name); return decodeWeights(t, this.raw(t), this.source, keepHalf); }
  readInt32(name: string): Int32Array { const t = this.info(name); return decodeInt32(t, this.raw(t), this.source); }
}

/** "a, b, c, ... (12 more)" */
export function listSome(names: string[], k = 8): string {
  return names.length <= k ? names.join(', ') : `${names.slice(0, k).join(', ')}, ... (${names.length - k} more)`;
}

// ---- encoding --------------------------------------------------------------------------

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array | Int32Array;
  /** F32 by default for Float32Array, I32 for Int32Array */
  dtype?: WriteDType;
}

/**
 * Serializes tensors (in the order given) into one safetensors file. `metadata` is merged over
 * {"format": "pt"}. Throws on duplicate names, data/shape size mismatch, a dtype the data
 * cannot take, and finite values that F16 cannot hold.
 */
export function serializeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}, target = 'safetensors output'): Uint8Array {
  const { head, parts, dataBytes } = safetensorsLayout(tensors, metadata, target);
  for (const { t } of parts) {
    if (t.data.length !== numel(t.shape)) throw new Error(`serializeSafetensors(${target}): tensor "${t.name}" has ${t.data.length} values but shape ${shapeText(t.shape)} needs ${numel(t.shape)}`);
    const isInt = t.data instanceof Int32Array;
    const dtype: WriteDType = t.dtype ?? (isInt ? 'I32' : 'F32');
    if (isInt !== (dtype === 'I32')) throw new Error(`serializeSafetensors(${target}): tensor "${t.name}": ${isInt ? 'Int32Array' : 'Float32Array'} data cannot be written as ${dtype}`);
  }
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head, 0);
  for (const { t, dtype, begin } of parts) encodeTensorData(t.data, dtype, t.name, target, 0, out.subarray(head.length + begin, head.length + begin + t.data.length * DTYPE_BYTES[dtype]));
  return out;
}

/**
 * The file's head (u64 length + padded JSON header) for tensors given by name, shape and dtype,
 * and where each one's data begins in the data section: what serializeSafetensors writes
 * before the data, so a writer can stream the data tensor by tensor (modeldir.ts).
 */
export function safetensorsLayout<T extends { name: string; shape: readonly number[]; dtype?: WriteDType; data?: unknown }>(tensors: T[], metadata: Record<string, string> = {}, target = 'safetensors output'): { head: Uint8Array; parts: { t: T; dtype: WriteDType; begin: number }[]; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  const parts: { t: T; dtype: WriteDType; begin: number }[] = [];
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new Error(`serializeSafetensors(${target}): duplicate or reserved tensor name "${t.name}"`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`serializeSafetensors(${target}): tensor "${t.name}" has bad shape ${JSON.stringify(t.shape)}`);
    const n = numel(t.shape);
    const dtype: WriteDType = t.dtype ?? (t.data instanceof Int32Array ? 'I32' : 'F32');
    const bytes = n * DTYPE_BYTES[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    parts.push({ t, dtype, begin: offset });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, padded, true);
  dv.setUint32(4, 0, true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.length, 8 + padded);
  return { head, parts, dataBytes: offset };
}

/**
 * Little-endian bytes of values in a dtype (F16, BF16: round to nearest even), into `out` (or a
 * new array); `index0` is the first value's index in its tensor (for the F16 range error).
 */
export function encodeTensorData(data: Float32Array | Int32Array, dtype: WriteDType, name: string, target: string, index0 = 0, out?: Uint8Array): Uint8Array {
  const n = data.length;
  const bytes = out ?? new Uint8Array(n * DTYPE_BYTES[dtype]);
  if (dtype === 'F32' || dtype === 'I32') {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, n * 4), 0);
    return bytes;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = data as Float32Array;
  for (let i = 0; i < n; i++) {
    let h: number;
    if (dtype === 'F16') {
      h = floatToF16Bits(f[i]);
      if ((h & 0x7fff) === 0x7c00 && Number.isFinite(f[i])) {
        throw new Error(`serializeSafetensors(${target}): tensor "${name}" holds ${f[i]} at index ${index0 + i}, beyond the F16 range (±65504); write F32 or BF16 instead`);
      }
    } else {
      h = floatToBf16Bits(f[i]);
    }
    dv.setUint16(2 * i, h, true);
  }
  return bytes;
}

// ---- sharded checkpoints -----------------------------------------------------------------

export interface ShardIndex {
  /** tensor name → shard file name (relative to the index's folder) */
  weightMap: Map<string, string>;
  /** shard files in first-use order */
  files: string[];
  metadata: Record<string, unknown>;
}

/** Parses model.safetensors.index.json: {"metadata": {...}, "weight_map": {name: file}}. */
export function parseShardIndex(text: string, source: string): ShardIndex {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) {
    throw new ModelFileError(source, `invalid JSON (${(e as Error).message})`, 'write the index again (transformers save_pretrained, or sppo)');
  }
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) {
    throw new ModelFileError(source, 'no "weight_map" object (tensor name → shard file)', 'write the index again (transformers save_pretrained, or sppo)');
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new ModelFileError(source, `weight_map["${name}"] is ${JSON.stringify(file)}, not a shard file name in the same folder`,
        'the index must name shard files like "model-00001-of-00002.safetensors"');
    }
    weightMap.set(name, file);
    if (!files.includes(file)) files.push(file);
  }
  const md = (json as { metadata?: unknown }).metadata;
  return { weightMap, files, metadata: md && typeof md === 'object' ? md as Record<string, unknown> : {} };
}

/** model-00001-of-00003.safetensors */
export function shardFileName(i: number, count: number): string {
  const p = (k: number) => String(k).padStart(5, '0');
  return `model-${p(i + 1)}-of-${p(count)}.safetensors`;
}
