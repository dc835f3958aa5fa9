// Hugging Face model directories held in memory — for browsers, Deno and workers, where a
// model arrives as bytes (fetch, a File the user picked, a message from another thread)
// rather than as a folder on disk. No node: imports.
//
//   ModelFiles = Map<file name, bytes>   e.g. config.json, model.safetensors (or
//                                         model.safetensors.index.json + shards),
//                                         tokenizer.json, tokenizer_config.json, ...
//   loadModelFromFiles(be, files)        → a Transformer on `be` + its config (checked like
//                                          loadModel: every expected tensor, right shapes)
//   modelToFiles(model, config, from)    → a new ModelFiles: config.json + model.safetensors
//                                          (merged LoRA) + the tokenizer files carried over
// The Node directory code (modeldir.ts, io-files.ts) does the same on disk.
import type { Backend, Tensor } from '../kernels/backend.js';
import { paramSpecs, type Arch } from './arch.js';
import { configToJson, parseConfig, parseGenerationConfig, type GenerationConfig, type ModelConfig } from './config.js';
import { archFromConfig, fromHF, llamaName, toHF } from './hf-names.js';
import { downloadParams, uploadParams } from './init.js';
import { fileDType, keepsHalf, type WeightFileDType, type WeightsMode } from './weights-mode.js';
import { HalfArray } from '../kernels/half.js';
import { ModelFileError, numel, shapeText } from './io-errors.js';
import { hfParamList, isKnownBuffer, nameAliases } from './io-params.js';
import { nonFiniteTensors, nonFiniteWarning } from './finite.js';
import { checkModelFits } from './plan.js';
import { checkAllUsed } from './io-strict.js';
import { listSome, parseShardIndex, SafetensorsBuffer, serializeSafetensors } from './safetensors.js';
import { Transformer } from './transformer.js';

/** a model directory in memory: file name (no folders) → contents */
export type ModelFiles = Map<string, Uint8Array>;

/** files that travel with a model when it is saved (tokenizer, chat template, generation defaults) */
export const CARRIED_MODEL_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model',
  'vocab.json', 'merges.txt', 'added_tokens.json', 'chat_template.jinja', 'generation_config.json',
];

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** the text of one file, or null when absent */
export function fileText(files: ModelFiles, name: string): string | null {
  const b = files.get(name);
  return b ? utf8.decode(b) : null;
}

export interface LoadedMemoryModel {
  model: Transformer;
  config: ModelConfig;
  arch: Arch;
  generation: GenerationConfig | null;
  /** dtype → count of the tensors read */
  dtypes: Record<string, number>;
  /** checkpoint tensors no parameter used */
  unused: string[];
}

/** Reads the expected HF parameters out of the safetensors files in `files` (single or sharded). */
export function tensorsFromFiles(files: ModelFiles, cfg: ModelConfig, label: string): { tensors: Map<string, Float32Array>; dtypes: Record<string, number>; unused: string[] };
export function tensorsFromFiles(files: ModelFiles, cfg: ModelConfig, label: string, keepHalf: (shape: readonly number[]) => boolean): { tensors: Map<string, Float32Array | HalfArray>; dtypes: Record<string, number>; unused: string[] };
export function tensorsFromFiles(files: ModelFiles, cfg: ModelConfig, label: string, keepHalf: (shape: readonly number[]) => boolean = () => false): { tensors: Map<string, Float32Array | HalfArray>; dtypes: Record<string, number>; unused: string[] } {
  const tensors = new Map<string, Float32Array | HalfArray>();
  return { tensors, ...streamTensorsFromFiles(files, cfg, label, keepHalf, (name, data) => { tensors.set(name, data); }) };
}

/**
 * Like tensorsFromFiles, handing each tensor to `take` as it is decoded and keeping none (the
 * bytes given stay the only whole copy). Every name and shape is checked, and `ready` is called
 * with the dtype counts of the chosen tensors, before the first is decoded.
 */
export function streamTensorsFromFiles(files: ModelFiles, cfg: ModelConfig, label: string, keepHalf: (shape: readonly number[]) => boolean,
  take: (name: string, data: Float32Array | HalfArray) => void, ready?: (dtypes: Record<string, number>) => void): { dtypes: Record<string, number>; unused: string[] } {
  // where each tensor lives
  const where = new Map<string, SafetensorsBuffer>();
  const single = files.get('model.safetensors');
  const indexText = fileText(files, 'model.safetensors.index.json');
  if (single) {
    const f = new SafetensorsBuffer(single, `${label}/model.safetensors`);
    for (const n of f.names()) where.set(n, f);
  } else if (indexText !== null) {
    const index = parseShardIndex(indexText, `${label}/model.safetensors.index.json`);
    const shards = new Map<string, SafetensorsBuffer>();
    for (const name of index.files) {
      const bytes = files.get(name);
      if (!bytes) throw new ModelFileError(`${label}/model.safetensors.index.json`, `names shard "${name}", which was not given`, 'give every shard the index lists');
      shards.set(name, new SafetensorsBuffer(bytes, `${label}/${name}`));
    }
    for (const [tensor, file] of index.weightMap) {
      const f = shards.get(file)!;
      if (!f.has(tensor)) throw new ModelFileError(`${label}/model.safetensors.index.json`, `says tensor "${tensor}" is in ${file}, but that shard does not hold it`, 'the index and the shards are from different saves');
      where.set(tensor, f);
    }
  } else {
    throw new ModelFileError(label, `holds no model.safetensors and no model.safetensors.index.json (files: ${listSome([...files.keys()], 10) || 'none'})`,
      'give a Hugging Face model directory with safetensors weights');
  }
  const problems: string[] = [], missing: string[] = [];
  const chosen: [string, string, number[]][] = [];
  const used = new Set<string>();
  for (const spec of hfParamList(cfg)) {
    const found = [spec.name, ...nameAliases(spec.name)].find((n) => where.has(n));
    if (!found) { missing.push(`"${spec.name}" ${shapeText(spec.shape)}`); continue; }
    const info = where.get(found)!.info(found);
    if (info.shape.length !== spec.shape.length || info.shape.some((d, i) => d !== spec.shape[i])) {
      problems.push(`tensor "${found}" has shape ${shapeText(info.shape)}, expected ${shapeText(spec.shape)}`);
      continue;
    }
    used.add(found);
    chosen.push([spec.name, found, spec.shape]);
  }
  if (missing.length) problems.unshift(`${missing.length} tensor${missing.length > 1 ? 's' : ''} missing: ${listSome(missing, 6)}`);
  if (problems.length) {
    throw new ModelFileError(label, `weights do not match config.json: ${problems.slice(0, 8).join('; ')}`,
      `check that config.json belongs to these weights; the checkpoint holds ${where.size} tensors: ${listSome([...where.keys()], 6)}`);
  }
  // every tensor of the checkpoint is used (or named in one clear error) before anything is read
  const unused = [...where.keys()].filter((n) => !used.has(n) && !isKnownBuffer(n));
  checkAllUsed(cfg, unused, (n) => { const k = [n, ...nameAliases(n)].find((x) => where.has(x)) ?? n; return where.get(k)!.readFloat32(k); }, label, `${label}/config.json`);
  if (ready) {
    const pre: Record<string, number> = {};
    for (const [, found] of chosen) { const dt = where.get(found)!.info(found).dtype; pre[dt] = (pre[dt] ?? 0) + 1; }
    ready(pre);
  }
  const dtypes: Record<string, number> = {};
  const bad: [string, Float32Array | HalfArray][] = [];
  for (const [name, found, shape] of chosen) {
    const f = where.get(found)!;
    const data = f.readWeights(found, keepHalf(shape));
    if (data.length !== numel(shape)) throw new Error(`${label}: ${found}: ${data.length} values for ${shapeText(shape)}`);
    const dt = f.info(found).dtype;
    dtypes[dt] = (dtypes[dt] ?? 0) + 1;
    if (nonFiniteWarning([[name, data]], label)) bad.push([name, data]);
    take(name, data);
  }
  const warning = nonFiniteWarning(bad, label);
  if (warning) console.warn(warning);
  return { dtypes, unused };
}

/** Loads a model held in memory onto a backend (like loadModel does for a directory on disk). */
export function loadModelFromFiles(be: Backend, files: ModelFiles, o: { training?: boolean; batch?: number; seq?: number; label?: string; weights?: WeightsMode; lora?: boolean } = {}): LoadedMemoryModel {
  const label = o.label ?? 'model';
  const cfgText = fileText(files, 'config.json');
  if (cfgText === null) throw new ModelFileError(label, 'has no config.json', 'give a Hugging Face model directory (config.json, model.safetensors, tokenizer.json)');
  const config = parseConfig(cfgText, `${label}/config.json`);
  const genText = fileText(files, 'generation_config.json');
  const generation = genText !== null ? parseGenerationConfig(genText, `${label}/generation_config.json`) : null;
  const arch = archFromConfig(config, `${label}/config.json`);
  // weights: as loadModel ('keep' 16-bit matrices for frozen models; default 'f32' when training)
  const mode: WeightsMode = o.weights ?? (o.training ? 'f32' : 'keep');
  const keep = (shape: readonly number[]) => keepsHalf(mode, arch.family, shape);
  // the budget (plan.ts) is checked once the names and shapes are, before anything is decoded
  const check = (dt: Record<string, number>) => {
    const half = mode === 'keep' && arch.family !== 'gpt2' && fileDType(dt) !== 'F32';
    checkModelFits(be, arch, { training: !!o.training, lora: o.lora, seq: o.seq ?? 16, weightBytes: half ? 2 : 4, what: `model ${label}` });
  };
  let params: Map<string, Tensor>, dtypes: Record<string, number>, unused: string[];
  if (arch.family === 'llama') {
    // stream: each tensor is decoded, uploaded and dropped
    const byHF = new Map(paramSpecs(arch).map((s) => [llamaName(s.name, arch), s]));
    params = new Map();
    try {
      ({ dtypes, unused } = streamTensorsFromFiles(files, config, label, keep, (hfName, data) => {
        const s = byHF.get(hfName);
        if (s) params.set(s.name, data instanceof HalfArray ? be.fromArray(data.bits, s.shape, data.dtype, s.name) : be.fromArray(data, s.shape, 'f32', s.name));
      }, check));
    } catch (e) {
      for (const t of params.values()) be.dispose(t);
      throw e;
    }
  } else {
    const r = tensorsFromFiles(files, config, label, keep);
    check(r.dtypes);
    ({ dtypes, unused } = r);
    params = uploadParams(be, arch, fromHF(arch, r.tensors));
  }
  const model = new Transformer(be, arch, params);
  model.sourceDtype = fileDType(dtypes);
  return { model, config, arch, generation, dtypes, unused };
}

/**
 * The model as a new in-memory directory: config.json, model.safetensors (in `dtype`, by default
 * the dtype it was loaded with — model.sourceDtype, F32 for a fresh model; LoRA adapters merged
 * into their weights) and the carried files (tokenizer, ...) of `carryFrom`.
 */
export async function modelToFiles(model: Transformer, config: ModelConfig, carryFrom?: ModelFiles, dtype: WeightFileDType = model.sourceDtype ?? 'F32'): Promise<ModelFiles> {
  const host = model.lora.size ? await model.mergedParams() : await downloadParams(model.be, new Map([...model.params].filter(([n]) => !n.includes('.lora_'))));
  const hf = toHF(model.arch, host);
  const tensors = hfParamList(config).map((p) => {
    const data = hf.get(p.name);
    if (!data) throw new Error(`modelToFiles: parameter "${p.name}" of the config is not in the model`);
    return { name: p.name, shape: p.shape, data, dtype };
  });
  const bad = nonFiniteTensors(tensors.map((t) => [t.name, t.data] as [string, Float32Array]));
  if (bad.length) throw new Error(`modelToFiles: not written: non-finite (NaN/Inf) weights in ${bad.slice(0, 5).map((b) => `${b.name} (${b.count} of ${b.size})`).join(', ')}: training diverged; lower the learning rate`);
  const out: ModelFiles = new Map();
  if (carryFrom) for (const f of CARRIED_MODEL_FILES) { const b = carryFrom.get(f); if (b) out.set(f, b); }
  out.set('config.json', encoder.encode(JSON.stringify(configToJson(config, dtype === 'F16' ? 'float16' : dtype === 'BF16' ? 'bfloat16' : 'float32'), null, 2) + '\n'));
  out.set('model.safetensors', serializeSafetensors(tensors, {}, 'model.safetensors'));
  return out;
}
