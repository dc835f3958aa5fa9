// Node side of safetensors: files on disk (read tensor by tensor, so a checkpoint never has to
// fit in memory twice), sharded checkpoints (model.safetensors.index.json), atomic writes
// (temp file + rename), and loadTensors(dir, expected), which checks a checkpoint against
// the parameter list a model expects and fails with ONE error listing every problem.
import fs from 'node:fs';
import path from 'node:path';
import { ModelFileError, numel, shapeText } from './io-errors.js';
import { isKnownBuffer, nameAliases, type ParamSpec } from './io-params.js';
import type { HalfArray } from '../kernels/half.js';
import { nonFiniteWarning } from './finite.js';
import {
  decodeFloat32, decodeInt32, decodeWeights, listSome, parseSafetensorsHeader, parseShardIndex, safetensorsDataStart,
  serializeSafetensors, type SafetensorsHeader, type TensorInfo, type TensorToWrite,
} from './safetensors.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** One safetensors file on disk; tensors are read on demand. */
export class SafetensorsFile {
  private constructor(readonly path: string, readonly header: SafetensorsHeader, private readonly fileSize: number) {}

  static open(file: string): SafetensorsFile {
    let fd: number;
    try { fd = fs.openSync(file, 'r'); } catch (e) {
      throw new ModelFileError(file, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check the path');
    }
    try {
      const size = fs.fstatSync(fd).size;
      const first = Buffer.alloc(Math.min(8, size));
      fs.readSync(fd, first, 0, first.length, 0);
      const dataStart = safetensorsDataStart(first, size, file);
      const head = Buffer.alloc(dataStart);
      fs.readSync(fd, head, 0, dataStart, 0);
      return new SafetensorsFile(file, parseSafetensorsHeader(head, size, file), size);
    } finally {
      fs.closeSync(fd);
    }
  }

  names(): string[] { return [...this.header.tensors.keys()]; }
  info(name: string): TensorInfo | undefined { return this.header.tensors.get(name); }
  get metadata(): Record<string, string> { return this.header.metadata; }

  private raw(t: TensorInfo): Uint8Array {
    const buf = Buffer.alloc(t.end - t.begin);
    const fd = fs.openSync(this.path, 'r');
    try {
      if (fs.fstatSync(fd).size !== this.fileSize) {
        throw new ModelFileError(this.path, 'the file changed size while it was being read', 'do not write a checkpoint while reading it; read it again');
      }
      let got = 0;
      while (got < buf.length) {
        const n = fs.readSync(fd, buf, got, buf.length - got, this.header.dataStart + t.begin + got);
        if (n === 0) throw new ModelFileError(this.path, 'unexpected end of file', 'the file is truncated; write it again');
        got += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  private need(name: string): TensorInfo {
    const t = this.info(name);
    if (!t) throw new ModelFileError(this.path, `no tensor "${name}" (the file has ${listSome(this.names())})`, 'check the tensor name, or that this is the right checkpoint');
    return t;
  }
  readFloat32(name: string): Float32Array { const t = this.need(name); return decodeFloat32(t, this.raw(t), this.path); }
  /** BF16/F16 kept 16-bit when keepHalf (one read of the bytes, no f32 copy), else f32 */
  readWeights(name: string, keepHalf: boolean): Float32Array | HalfArray { const t = this.need(name); return decodeWeights(t, this.raw(t), this.path, keepHalf); }
  readInt32(name: string): Int32Array { const t = this.need(name); return decodeInt32(t, this.raw(t), this.path); }
}

/** Writes `data` to `file` atomically: a temp file in the same folder, fsync, rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Serializes tensors and writes them atomically to one safetensors file. */
export function writeSafetensorsFile(file: string, tensors: TensorToWrite[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata, file));
}

/** Where each tensor of a checkpoint lives: a single file or the shards of an index. */
export class Checkpoint {
  private constructor(readonly source: string, readonly files: SafetensorsFile[], private readonly where: Map<string, SafetensorsFile>) {}

  /**
   * `target` is a model directory (model.safetensors, else model.safetensors.index.json), an
   * index file, or a single .safetensors file.
   */
  static open(target: string): Checkpoint {
    let st: fs.Stats;
    try { st = fs.statSync(target); } catch {
      throw new ModelFileError(target, 'does not exist', 'pass a model directory or a .safetensors file');
    }
    if (st.isDirectory()) {
      const single = path.join(target, SINGLE_FILE), index = path.join(target, INDEX_FILE);
      if (fs.existsSync(single)) return Checkpoint.single(single);
      if (fs.existsSync(index)) return Checkpoint.sharded(index);
      const bin = ['pytorch_model.bin', 'model.bin', 'pytorch_model.bin.index.json'].find((f) => fs.existsSync(path.join(target, f)));
      throw new ModelFileError(target, `holds no ${SINGLE_FILE} and no ${INDEX_FILE}${bin ? ` (it has ${bin}, a pickle checkpoint sppo does not read)` : ''}`,
        bin ? 'convert it: in Python, AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)'
          : 'point at a Hugging Face model directory with safetensors weights');
    }
    return target.endsWith('.json') ? Checkpoint.sharded(target) : Checkpoint.single(target);
  }

  private static single(file: string): Checkpoint {
    const f = SafetensorsFile.open(file);
    return new Checkpoint(file, [f], new Map(f.names().map((n) => [n, f])));
  }

  private static sharded(indexFile: string): Checkpoint {
    let text: string;
    try { text = fs.readFileSync(indexFile, 'utf8'); } catch (e) {
      throw new ModelFileError(indexFile, `cannot read (${(e as NodeJS.ErrnoException).code})`, 'check the path');
    }
    const index = parseShardIndex(text, indexFile);
    const dir = path.dirname(indexFile);
    const files = new Map<string, SafetensorsFile>();
    for (const name of index.files) {
      const p = path.join(dir, name);
      if (!fs.existsSync(p)) {
        throw new ModelFileError(indexFile, `names shard "${name}", which is not in ${dir}`, 'download or copy every shard the index lists');
      }
      files.set(name, SafetensorsFile.open(p));
    }
    const where = new Map<string, SafetensorsFile>();
    for (const [tensor, file] of index.weightMap) {
      const f = files.get(file)!;
      if (!f.info(tensor)) {
        throw new ModelFileError(indexFile, `says tensor "${tensor}" is in ${file}, but that shard does not hold it`,
          'the index and the shards are from different saves; download or write the checkpoint again');
      }
      where.set(tensor, f);
    }
    // a tensor in two shards is ambiguous even if the index picks one
    const seen = new Map<string, string>();
    for (const [name, f] of files) {
      for (const t of f.names()) {
        const other = seen.get(t);
        if (other) {
          throw new ModelFileError(indexFile, `tensor "${t}" is in two shards (${other} and ${name})`,
            'the shards are from different saves; download or write the checkpoint again');
        }
        seen.set(t, name);
      }
    }
    return new Checkpoint(indexFile, [...files.values()], where);
  }

  names(): string[] { return [...this.where.keys()]; }
  has(name: string): boolean { return this.where.has(name); }
  info(name: string): TensorInfo | undefined { return this.where.get(name)?.info(name); }
  fileOf(name: string): string | undefined { return this.where.get(name)?.path; }
  readFloat32(name: string): Float32Array { return this.file(name).readFloat32(name); }
  readWeights(name: string, keepHalf: boolean): Float32Array | HalfArray { return this.file(name).readWeights(name, keepHalf); }
  private file(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new ModelFileError(this.source, `no tensor "${name}"`, 'check the tensor name, or that this is the right checkpoint');
    return f;
  }
}

export interface LoadedTensors<T extends Float32Array | HalfArray = Float32Array> {
  /** expected name → values (f32, whatever the file's float dtype; a BF16/F16 tensor stays
   *  16-bit (HalfArray) where the keepHalf option says so), in expected order */
  tensors: Map<string, T>;
  /** tensors in the checkpoint that were not expected (known non-parameter buffers excluded) */
  unused: string[];
  /** dtype → count of the tensors read (e.g. {F16: 24}) */
  dtypes: Record<string, number>;
  /** the file or index read */
  source: string;
}

/**
 * Loads exactly the expected parameters from a checkpoint (model directory, index file or
 * .safetensors file), each converted to f32. A missing tensor or a wrong shape is ONE error
 * naming every problem; extra tensors are returned in `unused` (not an error: checkpoints
 * carry buffers such as rotary inv_freq, and tied heads).
 */
export function loadTensors(target: string, expected: readonly ParamSpec[]): LoadedTensors;
export function loadTensors(target: string, expected: readonly ParamSpec[], o: { keepHalf: (spec: ParamSpec) => boolean }): LoadedTensors<Float32Array | HalfArray>;
export function loadTensors(target: string, expected: readonly ParamSpec[], o: { keepHalf?: (spec: ParamSpec) => boolean } = {}): LoadedTensors<Float32Array | HalfArray> {
  const tensors = new Map<string, Float32Array | HalfArray>();
  return { tensors, ...streamTensors(target, expected, (name, data) => { tensors.set(name, data); }, o) };
}

/** the float dtypes of a checkpoint's tensors (header only, nothing read): e.g. {BF16: 290, F32: 1} */
export function checkpointDTypes(target: string): Record<string, number> {
  const ck = Checkpoint.open(target), out: Record<string, number> = {};
  for (const n of ck.names()) { const d = ck.info(n)!.dtype; out[d] = (out[d] ?? 0) + 1; }
  return out;
}

/**
 * Like loadTensors, but hands each tensor to `take` as soon as it is read (in expected order)
 * and keeps none: a loader uploads it and drops the host copy, so a checkpoint is never held
 * whole in JavaScript. Every check (names, shapes) runs before the first tensor is read.
 */
export function streamTensors(target: string, expected: readonly ParamSpec[], take: (name: string, data: Float32Array | HalfArray, dtype: string) => void, o: { keepHalf?: (spec: ParamSpec) => boolean } = {}): Omit<LoadedTensors, 'tensors'> {
  const ck = Checkpoint.open(target);
  const problems: string[] = [];
  const missing: string[] = [];
  const chosen: [ParamSpec, string][] = [];
  const used = new Set<string>();
  for (const spec of expected) {
    const found = [spec.name, ...nameAliases(spec.name)].find((n) => ck.has(n));
    if (!found) { missing.push(`"${spec.name}" ${shapeText(spec.shape)}`); continue; }
    const info = ck.info(found)!;
    if (info.shape.length !== spec.shape.length || info.shape.some((d, i) => d !== spec.shape[i])) {
      // a flat or reshaped tensor with the right element count is still the wrong layout: refuse
      problems.push(`tensor "${found}" has shape ${shapeText(info.shape)}, expected ${shapeText(spec.shape)}`);
      continue;
    }
    used.add(found);
    chosen.push([spec, found]);
  }
  if (missing.length) {
    // tensors outside the layers (lm_head, norm) first: they say the most about a wrong config
    const outside = missing.filter((m) => !/\.(layers|h)\.\d+\./.test(m));
    const inside = missing.filter((m) => /\.(layers|h)\.\d+\./.test(m));
    problems.unshift(`${missing.length} tensor${missing.length > 1 ? 's' : ''} missing: ${listSome([...outside, ...inside], 6)}`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 8).join('; ') + (problems.length > 8 ? `; ... (${problems.length - 8} more)` : '');
    throw new ModelFileError(ck.source, `does not match the model: ${shown}`,
      `check that config.json belongs to these weights (model_type, hidden_size, num_hidden_layers, num_key_value_heads, intermediate_size, vocab_size, tie_word_embeddings); the checkpoint holds ${ck.names().length} tensors: ${listSome(ck.names(), 6)}`);
  }
  const dtypes: Record<string, number> = {};
  // tensors with NaN/Inf are kept aside (rare) for one warning at the end
  const bad: [string, Float32Array | HalfArray][] = [];
  for (const [spec, found] of chosen) {
    const data = ck.readWeights(found, o.keepHalf?.(spec) ?? false);
    if (data.length !== numel(spec.shape)) throw new Error(`loadTensors: ${found}: ${data.length} values for ${shapeText(spec.shape)}`);
    const dt = ck.info(found)!.dtype;
    dtypes[dt] = (dtypes[dt] ?? 0) + 1;
    if (nonFiniteWarning([[spec.name, data]], ck.source)) bad.push([spec.name, data]);
    take(spec.name, data, dt);
  }
  const unused = ck.names().filter((n) => !used.has(n) && !isKnownBuffer(n));
  const warning = nonFiniteWarning(bad, ck.source);
  if (warning) console.warn(warning);
  return { unused, dtypes, source: ck.source };
}
