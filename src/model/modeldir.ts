// Hugging Face model directories, Node side:
//   config.json                         → ModelConfig (config.ts)
//   model.safetensors | model.safetensors.index.json + model-0000k-of-0000n.safetensors
//                                       → f32 parameters in HF names (io-params.ts)
//   generation_config.json (optional)   → GenerationConfig
//   tokenizer.json, tokenizer_config.json, special_tokens_map.json, ... → carried along as files
// Writing builds the whole directory in a sibling DIR.tmp-xxxx and renames it into place, so a
// reader sees the old model or the new one, never half of each.
import fs from 'node:fs';
import path from 'node:path';
import {
  configToJson, generationConfigToJson, parseConfig, parseGenerationConfig,
  type GenerationConfig, type ModelConfig, type TorchDtype,
} from './config.js';
import { Checkpoint, INDEX_FILE, loadTensors, SINGLE_FILE, writeFileAtomic } from './io-files.js';
import { checkAllUsed } from './io-strict.js';
import { ModelFileError, numel, shapeText } from './io-errors.js';
import { hfParamList, isKnownBuffer, nameAliases, type ParamSpec } from './io-params.js';
import type { HalfArray } from '../kernels/half.js';
import { nonFiniteTensors } from './finite.js';
import { parseLlama2c, type Llama2cCheckpoint } from './llama2c.js';
import { encodeTensorData, safetensorsLayout, serializeSafetensors, shardFileName, type WriteDType } from './safetensors.js';

/** files copied unchanged from a source model directory when saving */
export const CARRIED_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model',
  'vocab.json', 'merges.txt', 'added_tokens.json', 'chat_template.jinja', 'generation_config.json',
];

export interface ModelDir<T extends Float32Array | HalfArray = Float32Array> {
  dir: string;
  config: ModelConfig;
  generation: GenerationConfig | null;
  /** HF parameter name → f32 values (or 16-bit ones where o.keepHalf said so), in hfParamList order */
  tensors: Map<string, T>;
  /** dtype counts of the weights read, e.g. {BF16: 201} */
  dtypes: Record<string, number>;
  /** checkpoint tensors no parameter used */
  unused: string[];
  /** carried files present in the directory (names) */
  carried: string[];
}

function readJson(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`,
      'point at a Hugging Face model directory (config.json + model.safetensors)');
  }
}

export function readConfigFile(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  return parseConfig(readJson(file), file);
}

/** config.json and generation_config.json of a model directory (the weights are read apart) */
export function readModelMeta(dir: string): { config: ModelConfig; generation: GenerationConfig | null } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelFileError(dir, 'is not a directory', 'pass a Hugging Face model directory (config.json + model.safetensors)');
  }
  const config = readConfigFile(dir);
  const genFile = path.join(dir, 'generation_config.json');
  const generation = fs.existsSync(genFile) ? parseGenerationConfig(readJson(genFile), genFile) : null;
  return { config, generation };
}

/**
 * Reads a model directory. `expected` defaults to the HF parameter list of its config; a model
 * with extra parameters (e.g. LoRA) passes its own list.
 */
export function readModelDir(dir: string, expected?: (cfg: ModelConfig) => ParamSpec[]): ModelDir;
export function readModelDir(dir: string, expected: ((cfg: ModelConfig) => ParamSpec[]) | undefined, o: { keepHalf: (spec: ParamSpec, cfg: ModelConfig) => boolean }): ModelDir<Float32Array | HalfArray>;
export function readModelDir(dir: string, expected?: (cfg: ModelConfig) => ParamSpec[], o: { keepHalf?: (spec: ParamSpec, cfg: ModelConfig) => boolean } = {}): ModelDir<Float32Array | HalfArray> {
  const { config, generation } = readModelMeta(dir);
  const keep = o.keepHalf;
  const { tensors, unused, dtypes, source } = loadTensors(dir, (expected ?? hfParamList)(config), { keepHalf: (spec) => keep?.(spec, config) ?? false });
  // every tensor of the checkpoint is used, or ONE error names the extra ones
  checkAllUsed(config, unused, (n) => readAliased(Checkpoint.open(dir), n), source, path.join(dir, 'config.json'));
  const carried = CARRIED_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  return { dir, config, generation, tensors, dtypes, unused, carried };
}

/**
 * Strict usage before anything is read (streaming loads): every tensor of the checkpoint in
 * `dir` must be one of the config's parameters (or a known buffer), else ONE error naming them.
 */
export function checkCheckpointUsage(dir: string, config: ModelConfig, expected: ParamSpec[] = hfParamList(config)): void {
  const ck = Checkpoint.open(dir);
  const wanted = new Set(expected.flatMap((p) => [p.name, ...nameAliases(p.name)]));
  const unused = ck.names().filter((n) => !wanted.has(n) && !isKnownBuffer(n));
  checkAllUsed(config, unused, (n) => readAliased(ck, n), ck.source, path.join(dir, 'config.json'));
}

/** a checkpoint tensor by HF name or its alias (GPT-2's unprefixed names), as f32 */
function readAliased(ck: Checkpoint, name: string): Float32Array {
  return ck.readFloat32([name, ...nameAliases(name)].find((n) => ck.has(n)) ?? name);
}

export interface WriteModelOptions {
  config: ModelConfig;
  /** HF name → values; must hold exactly the parameters of `params` (default hfParamList(config)) */
  tensors: Map<string, Float32Array> | Record<string, Float32Array>;
  params?: ParamSpec[];
  /** weights dtype on disk (default F32); config.json's torch_dtype follows it */
  dtype?: 'F32' | 'F16' | 'BF16';
  generation?: GenerationConfig;
  /** copy tokenizer files (CARRIED_FILES) from this directory */
  copyFrom?: string;
  /** split into shards of at most this many bytes of tensor data, with an index (default: one file) */
  maxShardBytes?: number;
  /** replace an existing directory (its other files are kept); default false = refuse */
  overwrite?: boolean;
  /** extra safetensors __metadata__ */
  metadata?: Record<string, string>;
}

const MODEL_FILE = /^(model\.safetensors|model\.safetensors\.index\.json|model-\d+-of-\d+\.safetensors|config\.json)$/;

/** Writes a model directory atomically (build DIR.tmp-xxxx, then rename into place). */
export function writeModelDir(dir: string, o: WriteModelOptions): void {
  const params = o.params ?? hfParamList(o.config);
  const dtype: WriteDType = o.dtype ?? 'F32';
  const torchDtype: TorchDtype = dtype === 'F16' ? 'float16' : dtype === 'BF16' ? 'bfloat16' : 'float32';
  const get = (n: string) => (o.tensors instanceof Map ? o.tensors.get(n) : o.tensors[n]);
  const names = o.tensors instanceof Map ? [...o.tensors.keys()] : Object.keys(o.tensors);
  // the parameters must match the config exactly: a file that loads means a file that is right
  const problems: string[] = [];
  for (const p of params) {
    const t = get(p.name);
    if (!t) problems.push(`"${p.name}" is missing`);
    else if (t.length !== numel(p.shape)) problems.push(`"${p.name}" has ${t.length} values, ${shapeText(p.shape)} needs ${numel(p.shape)}`);
  }
  const extra = names.filter((n) => !params.some((p) => p.name === n));
  if (extra.length) problems.push(`not parameters of this config: ${extra.slice(0, 6).join(', ')}${extra.length > 6 ? ', ...' : ''}`);
  if (problems.length) throw new Error(`writeModelDir(${dir}): tensors do not match the config: ${problems.slice(0, 10).join('; ')}`);
  // no file ever holds NaN/Inf weights: checked before anything is written
  const bad = nonFiniteTensors(params.map((p) => [p.name, get(p.name)!] as [string, Float32Array]));
  if (bad.length) {
    throw new Error(`writeModelDir(${dir}): not written: non-finite (NaN/Inf) weights in ${bad.slice(0, 5).map((b) => `${b.name} (${b.count} of ${b.size})`).join(', ')}${bad.length > 5 ? `, ... (${bad.length} tensors)` : ''}: training diverged; lower the learning rate`);
  }

  const stage = stageModelDir(dir, o, torchDtype);
  try {
    writeWeights(stage.tmp, params.map((p) => ({ name: p.name, shape: p.shape, data: get(p.name)!, dtype })), o.maxShardBytes, o.metadata ?? {});
    stage.commit();
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/**
 * A sibling DIR.tmp-xxxx holding everything but the weights (kept files of an old directory, the
 * carried tokenizer files, config.json, generation_config.json); commit() swaps it into place
 * (old → DIR.old-xxxx, tmp → DIR, old dropped), abort() removes it.
 */
function stageModelDir(dir: string, o: Omit<WriteModelOptions, 'tensors'>, torchDtype: TorchDtype): { tmp: string; commit(): void; abort(): void } {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const exists = fs.existsSync(dir);
  if (exists && !o.overwrite) throw new Error(`writeModelDir: ${dir} exists; pass overwrite: true to replace the model in it`);
  if (exists && !fs.statSync(dir).isDirectory()) throw new Error(`writeModelDir: ${dir} exists and is not a directory`);
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = `${path.resolve(dir)}.tmp-${tag}`;
  fs.mkdirSync(tmp);
  const abort = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    // files of the old directory that are not the model itself survive (tokenizer, notes, ...)
    if (exists) {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!MODEL_FILE.test(e.name)) fs.cpSync(path.join(dir, e.name), path.join(tmp, e.name), { recursive: true });
      }
    }
    if (o.copyFrom && path.resolve(o.copyFrom) !== path.resolve(dir)) {
      for (const f of CARRIED_FILES) {
        const src = path.join(o.copyFrom, f);
        if (fs.existsSync(src)) fs.copyFileSync(src, path.join(tmp, f));
      }
    }
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(configToJson(o.config, torchDtype), null, 2) + '\n');
    if (o.generation) fs.writeFileSync(path.join(tmp, 'generation_config.json'), JSON.stringify(generationConfigToJson(o.generation), null, 2) + '\n');
  } catch (e) {
    abort();
    throw e;
  }
  const commit = () => {
    if (exists) {
      const old = `${path.resolve(dir)}.old-${tag}`;
      fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, dir);
    }
  };
  return { tmp, commit, abort };
}

/** values [offset, offset + count) of one tensor (HF name), in f32: what writeModelDirStreamed pulls */
export type TensorSlices = (name: string, offset: number, count: number) => Promise<Float32Array>;

/**
 * writeModelDir with the weights pulled slice by slice (at most `sliceElements` values, default
 * 2^24, at a time) instead of handed in whole: each slice is checked finite, converted to the
 * dtype, written and dropped, so the host never holds more than one slice of the model (a
 * merged 1B model is 4.9 GB of f32). One model.safetensors, byte for byte what writeModelDir
 * writes for the same values; built in DIR.tmp-xxxx and renamed into place like it. A
 * non-finite value stops the write (the temp directory is removed; nothing is replaced).
 */
export async function writeModelDirStreamed(dir: string, o: Omit<WriteModelOptions, 'tensors' | 'maxShardBytes'> & { tensors: TensorSlices; sliceElements?: number }): Promise<void> {
  const params = o.params ?? hfParamList(o.config);
  const dtype: WriteDType = o.dtype ?? 'F32';
  const torchDtype: TorchDtype = dtype === 'F16' ? 'float16' : dtype === 'BF16' ? 'bfloat16' : 'float32';
  const slice = Math.max(1, o.sliceElements ?? 2 ** 24);
  const { head, parts } = safetensorsLayout(params.map((p) => ({ name: p.name, shape: p.shape, dtype })), o.metadata ?? {}, SINGLE_FILE);
  const stage = stageModelDir(dir, o, torchDtype);
  let fd: number | null = null;
  try {
    fd = fs.openSync(path.join(stage.tmp, SINGLE_FILE), 'w');
    fs.writeSync(fd, head);
    for (const { t } of parts) {
      const n = numel(t.shape);
      for (let off = 0; off < n; off += slice) {
        const count = Math.min(slice, n - off);
        const data = await o.tensors(t.name, off, count);
        if (data.length !== count) throw new Error(`writeModelDir(${dir}): tensors do not match the config: "${t.name}" gave ${data.length} values at ${off}, ${count} wanted (${shapeText(t.shape)})`);
        const bad = nonFiniteTensors([[t.name, data]]);
        if (bad.length) throw new Error(`writeModelDir(${dir}): not written: non-finite (NaN/Inf) weights in ${t.name} (${bad[0].count} of the ${count} values from ${off}; ${n} in all): training diverged; lower the learning rate`);
        const bytes = encodeTensorData(data, dtype, t.name, SINGLE_FILE, off);
        for (let w = 0; w < bytes.length;) w += fs.writeSync(fd, bytes, w, bytes.length - w);
      }
    }
    fs.closeSync(fd); fd = null;
    stage.commit();
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    stage.abort();
    throw e;
  }
}

function writeWeights(dir: string, tensors: { name: string; shape: number[]; data: Float32Array; dtype: WriteDType }[], maxShardBytes: number | undefined, metadata: Record<string, string>): void {
  const bytesOf = (t: { shape: number[]; dtype: WriteDType }) => numel(t.shape) * (t.dtype === 'F32' ? 4 : 2);
  const total = tensors.reduce((s, t) => s + bytesOf(t), 0);
  if (!maxShardBytes || total <= maxShardBytes) {
    writeBig(path.join(dir, SINGLE_FILE), serializeSafetensors(tensors, metadata, SINGLE_FILE));
    return;
  }
  // greedy split in parameter order, like transformers' shard_checkpoint
  const shards: (typeof tensors)[] = [[]];
  let size = 0;
  for (const t of tensors) {
    const b = bytesOf(t);
    if (size + b > maxShardBytes && shards[shards.length - 1].length) { shards.push([]); size = 0; }
    shards[shards.length - 1].push(t);
    size += b;
  }
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    const name = shardFileName(i, shards.length);
    writeBig(path.join(dir, name), serializeSafetensors(s, metadata, name));
    for (const t of s) weightMap[t.name] = name;
  });
  fs.writeFileSync(path.join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
}

/** fs.writeFileSync refuses buffers of 2 GiB and more (a 1B model in bf16 is 2.5 GB): write in 1 GiB slices */
function writeBig(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0; off < data.length;) off += fs.writeSync(fd, data, off, Math.min(2 ** 30, data.length - off));
  } finally { fs.closeSync(fd); }
}

/** Reads a llama2.c checkpoint (.bin) into HF names and layout (see llama2c.ts). */
export function readLlama2cFile(file: string, o: { ropeLayout?: 'half' | 'interleaved' } = {}): Llama2cCheckpoint {
  let bytes: Buffer;
  try { bytes = fs.readFileSync(file); } catch (e) {
    throw new ModelFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code})`, 'check the path');
  }
  return parseLlama2c(bytes, file, o);
}
