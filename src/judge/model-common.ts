// Shared pieces of the model-directory judges (reward-model.ts, pairwise-model.ts):
//  - which kind of model directory a judge spec names (by config.json "architectures");
//  - the options they take (backend, batchSize, maxLength) from code or the spec's query;
//  - loading a transformer TRUNK (no LM head) plus extra head tensors from a directory;
//  - packing token sequences into a right-padded batch with each sequence's last row;
//  - a one-at-a-time lock (the trunk's activations are shared by every call).
// Node only (reads files).
import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../kernels/backend.js';
import { type Arch } from '../model/arch.js';
import { parseConfig, type ModelConfig } from '../model/config.js';
import { archFromConfig, fromHF } from '../model/hf-names.js';
import { uploadParams } from '../model/init.js';
import { fileDType, keepsHalf } from '../model/weights-mode.js';
import { checkAllUsed } from '../model/io-strict.js';
import { loadTensors } from '../model/io-files.js';
import { hfParamList, type ParamSpec } from '../model/io-params.js';
import { checkFits, estimateMemory } from '../model/memory.js';
import type { Batch } from '../model/transformer.js';
import { Transformer } from '../model/transformer.js';
import { checkKnown, numberOption, queryOptions, type RawOptions } from './options.js';
import { JudgeError } from './types.js';
import { preview } from './validate.js';

/** HF sequence-classification architectures → the causal-LM architecture of the same trunk */
export const SEQ_CLS_TO_CAUSAL: Record<string, string> = {
  LlamaForSequenceClassification: 'LlamaForCausalLM',
  MistralForSequenceClassification: 'MistralForCausalLM',
  Qwen2ForSequenceClassification: 'Qwen2ForCausalLM',
  GPT2ForSequenceClassification: 'GPT2LMHeadModel',
};
/** the architecture name `sppo train-judge` writes */
export const PAIRWISE_ARCH = 'SppoPairwiseJudge';

export type ModelDirKind = 'reward' | 'pairwise' | 'pairrm' | 'model';

/** a spec "DIR" or "DIR?opt=v&..." resolved against cwd; the query is split off when the full text is not a path */
export function splitDirSpec(spec: string, cwd: string): { dir: string; query: string } {
  const full = path.resolve(cwd, spec);
  const q = spec.indexOf('?');
  if (q < 0 || fs.existsSync(full)) return { dir: full, query: '' };
  return { dir: path.resolve(cwd, spec.slice(0, q)), query: spec.slice(q + 1) };
}

/** reads DIR/config.json as a plain object, or null when there is none (never throws) */
export function readConfigJson(dir: string): Record<string, unknown> | null {
  try {
    if (!fs.statSync(dir).isDirectory()) return null;
    const v = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** what a directory holds: a reward model, a pairwise judge, PairRM (or another DeBERTa), another
 *  model, or nothing we read */
export function modelDirKind(dir: string): ModelDirKind | null {
  if (!fs.existsSync(path.join(dir, 'config.json'))) return null;
  const cfg = readConfigJson(dir);
  const archs = Array.isArray(cfg?.architectures) ? (cfg!.architectures as unknown[]).map(String) : [];
  if (archs.includes(PAIRWISE_ARCH)) return 'pairwise';
  // PairRM (PairRM-hf's DebertaV2PairRM, or llm-blender's own ranker config, refused with a hint)
  // and any other DeBERTa-v2/v3 directory: pairrm.ts says what it needs
  if (archs.includes('DebertaV2PairRM') || cfg?.ranker_type === 'pairranker' || cfg?.model_type === 'deberta-v2') return 'pairrm';
  if (archs.some((a) => /ForSequenceClassification$/.test(a))) return 'reward';
  return 'model';
}

/** options every model judge takes: backend (a Backend, or webgpu | wasm | auto — default auto;
 *  one given is not destroyed by close()), batchSize (sequences per forward pass, default 16),
 *  maxLength (longest sequence in tokens, default the model's context, at most 512) */
export const MODEL_JUDGE_KEYS = ['backend', 'batchSize', 'maxLength'];

/** options from code and the spec's query, checked; `extra` are the kind's own keys */
export function modelJudgeOptions(name: string, query: string, o: RawOptions, extra: string[] = []): RawOptions & { batchSize: number; maxLength?: number } {
  const { cwd: _cwd, log: _log, ...fromCode } = o;
  const fromQuery = query ? queryOptions(query, name) : {};
  for (const [k, v] of Object.entries(fromQuery)) {
    const c = fromCode[k];
    if (c !== undefined && String(c) !== String(v) && typeof c !== 'object') {
      throw new JudgeError(name, `gets option ${k}=${preview(v)} from its spec but ${k}=${preview(c)} from the options: give it once`);
    }
  }
  const all: RawOptions = { ...fromQuery, ...fromCode };
  checkKnown(all, [...MODEL_JUDGE_KEYS, ...extra], name);
  const b = all.backend;
  if (b !== undefined && !(typeof b === 'object' && b !== null) && !['webgpu', 'wasm', 'auto'].includes(String(b))) {
    throw new JudgeError(name, `option backend=${preview(b)} is invalid: give webgpu, wasm or auto (or a Backend object from code)`);
  }
  return {
    ...all,
    batchSize: numberOption(all, 'batchSize', 16, { integer: true, min: 1 }, name),
    maxLength: all.maxLength === undefined ? undefined : numberOption(all, 'maxLength', 0, { integer: true, min: 8 }, name),
  };
}

/** the backend to run on: the one given, or a new one (owned: close() destroys it) */
export async function judgeBackend(b: unknown): Promise<{ be: Backend; owned: boolean }> {
  if (b && typeof b === 'object') return { be: b as Backend, owned: false };
  const { createBackend } = await import('../kernels/index.js');
  return { be: await createBackend((b as 'webgpu' | 'wasm' | 'auto' | undefined) ?? 'auto'), owned: true };
}

/**
 * Parses a config.json object whose "architectures" name a head this package adds (a
 * ForSequenceClassification or SppoPairwiseJudge): the trunk is read as the causal LM of the
 * same family (model_type decides; the architectures list is swapped only for parsing).
 */
export function parseTrunkConfig(json: Record<string, unknown>, file: string): ModelConfig {
  const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]).map(String) : [];
  const causal = archs.map((a) => SEQ_CLS_TO_CAUSAL[a]).filter(Boolean);
  return parseConfig({ ...json, architectures: causal.length ? causal : [] }, file);
}

/** the trunk's architecture: the model's, with no LM head (marked tied: forwardHidden never uses one) */
export function trunkArch(cfg: ModelConfig, file: string): Arch {
  return { ...archFromConfig(cfg, file), tied: true };
}

/** the HF tensors of the trunk alone: the model's list without lm_head.weight */
export function trunkParamList(cfg: ModelConfig): ParamSpec[] {
  return hfParamList(cfg).filter((p) => p.name !== 'lm_head.weight');
}

export interface LoadedTrunk {
  trunk: Transformer;
  config: ModelConfig;
  arch: Arch;
  /** the extra tensors asked for (e.g. score.weight), by HF name */
  extra: Map<string, Float32Array>;
}

/** loads the trunk (and `extra` tensors) of the model in `dir` onto `be`. A judge (not
 *  training) keeps a BF16/F16 checkpoint's trunk matrices 16-bit on the device; the extra
 *  tensors (score heads) and everything of a judge being trained are f32. */
export function loadTrunk(be: Backend, dir: string, cfg: ModelConfig, extra: ParamSpec[], o: { batch: number; seq: number; training?: boolean }): LoadedTrunk {
  const file = path.join(dir, 'config.json');
  const arch = trunkArch(cfg, file);
  const mode = o.training ? 'f32' : 'keep';
  const extraNames = new Set(extra.map((s) => s.name));
  const { tensors, dtypes, unused, source } = loadTensors(dir, [...trunkParamList(cfg), ...extra], { keepHalf: (spec) => !extraNames.has(spec.name) && keepsHalf(mode, arch.family, spec.shape) });
  const half = mode === 'keep' && arch.family !== 'gpt2' && fileDType(dtypes) !== 'F32';
  checkFits(be, estimateMemory(arch, { batch: o.batch, seq: o.seq, training: !!o.training, paramBytes: half ? 2 : 4 }), dir);
  // a causal LM's head is not the judge's: it may stay unused; anything else must be used
  const rest = unused.filter((n) => n !== 'lm_head.weight');
  if (rest.length) checkAllUsed({ ...cfg, tieWordEmbeddings: false }, rest, () => new Float32Array(0), source, file);
  const ex = new Map<string, Float32Array>();
  for (const s of extra) {
    const t = tensors.get(s.name)!;
    if (!(t instanceof Float32Array)) throw new Error(`loadTrunk: ${s.name} was not read as f32`);
    ex.set(s.name, t); tensors.delete(s.name);
  }
  const trunk = new Transformer(be, arch, uploadParams(be, arch, fromHF(arch, tensors)));
  return { trunk, config: cfg, arch, extra: ex };
}

/** the default longest sequence: the model's context, at most 512 tokens */
export function defaultMaxLength(cfg: ModelConfig): number {
  return Math.min(cfg.maxPositions, 512);
}

export interface PackedRows {
  batch: Batch;
  /** (B) the hidden row of each sequence's last token: b·T + len − 1 (or `pool` picks) */
  last: Int32Array;
}

/**
 * Right-padded batch of whole sequences (no loss targets). T is the longest length rounded up to
 * a multiple of 8, so the trunk's workspace is reused across batches of similar lengths.
 * `pool(ids)` picks the index within each sequence the score is read at (default: the last).
 */
export function packRows(seqs: readonly (readonly number[])[], pool?: (ids: readonly number[]) => number): PackedRows {
  const B = seqs.length;
  if (B === 0) throw new Error('packRows: no sequences');
  let maxLen = 0;
  for (const s of seqs) {
    if (s.length === 0) throw new Error('packRows: an empty sequence');
    maxLen = Math.max(maxLen, s.length);
  }
  const T = Math.ceil(maxLen / 8) * 8;
  const N = B * T;
  const ids = new Int32Array(N).fill(-1), positions = new Int32Array(N), keyMask = new Int32Array(N);
  const targets = new Int32Array(N).fill(-1);
  const last = new Int32Array(B);
  seqs.forEach((s, b) => {
    for (let j = 0; j < s.length; j++) {
      ids[b * T + j] = s[j];
      positions[b * T + j] = j;
      keyMask[b * T + j] = 1;
    }
    const at = pool ? pool(s) : s.length - 1;
    if (!(at >= 0 && at < s.length)) throw new Error(`packRows: pooled index ${at} outside a sequence of ${s.length}`);
    last[b] = b * T + at;
  });
  return { batch: { B, T, ids, positions, keyMask, targets }, last };
}

/** runs async tasks one at a time, in call order */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const p = this.tail.then(f, f);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/** indices 0..n-1 ordered by `len` (longest first), so batches hold sequences of similar length */
export function byLength(lens: readonly number[]): number[] {
  return lens.map((_, i) => i).sort((a, b) => lens[b] - lens[a] || a - b);
}
