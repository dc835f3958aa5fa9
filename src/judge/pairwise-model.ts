// A learned pairwise preference model in the PairRM manner: a small cross-encoder that reads
// the prompt and BOTH responses in one sequence (pairwise-format.ts) and outputs
//   f(x, a, b) = σ(z),  z = w · h_last + b
// where h_last (C) is the trunk's final normed hidden state at the sequence's last token and
// w (1, C), b (1) the score head (score-head.ts). Parameters: the transformer trunk (no LM
// head) + the head; the trunk stays on the backend.
//
// Training (pairwise-train.ts) minimises binary cross-entropy against P(chosen ≻ rejected),
// each pair also presented swapped with label 1 − p. Inference averages both orders,
//   P(a ≻ b) = ½ (f(x, a, b) + 1 − f(x, b, a)),
// so P(a ≻ b) = 1 − P(b ≻ a) exactly and the judge is not order-sensitive.
//
// Backward of one batch of M sequences with logits z_i and labels y_i, loss = scale·Σ_i BCE:
//   dz_i = scale·(σ(z_i) − y_i)  (host: M numbers)  → head.backward → dhidden (N, C), non-zero
//   only at each sequence's last row → Transformer.backwardHidden.
//
// Directory written by save() (Hugging Face shaped):
//   config.json        the trunk's config (model_type llama/qwen2/mistral/gpt2, tie_word_embeddings
//                      true: there is no LM head) with architectures ["SppoPairwiseJudge"] and
//                      "sppo_judge": {"kind": "pairwise", "version": 1, "format": {markers},
//                      "max_length": N, "training": {...}}
//   model.safetensors  the trunk in HF names (model.* / transformer.*) + score.weight (1, C) and
//                      score.bias (1), F32
//   tokenizer.json, tokenizer_config.json, ... carried from where the tokenizer came from
import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Tensor } from '../kernels/backend.js';
import { configToJson, type ModelConfig } from '../model/config.js';
import { toHF } from '../model/hf-names.js';
import { downloadParams, initParams, uploadParams } from '../model/init.js';
import { CARRIED_FILES, writeModelDir } from '../model/modeldir.js';
import { Transformer } from '../model/transformer.js';
import { loadTokenizerSync, resolveTokenizerPath } from '../tokenizer/node.js';
import type { Tokenizer } from '../tokenizer/index.js';
import {
  byLength, defaultMaxLength, judgeBackend, loadTrunk, modelJudgeOptions, packRows, PAIRWISE_ARCH,
  parseTrunkConfig, readConfigJson, Serial, trunkArch, trunkParamList,
} from './model-common.js';
import type { RawOptions } from './options.js';
import { checkPairwiseFormat, DEFAULT_PAIRWISE_FORMAT, PairEncoder, type PairwiseFormat } from './pairwise-format.js';
import { ScoreHead } from './score-head.js';
import { JudgeError, throwIfAborted, type CompareOptions, type Judge, type Pair } from './types.js';
import { checkPairs, sigmoid } from './validate.js';

/** config.json key of the judge's own settings */
export const PAIRWISE_META_KEY = 'sppo_judge';

export interface PairwiseMeta {
  kind: 'pairwise';
  version: 1;
  format: PairwiseFormat;
  max_length: number;
  /** what training recorded (pairs, epochs, loss, ...) */
  training?: Record<string, unknown>;
}

/** log(1 + e^x), stable */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** binary cross-entropy of logit z against soft label y: −y log σ(z) − (1 − y) log σ(−z) */
export function bceWithLogit(z: number, y: number): number {
  return softplus(z) - y * z;
}

export interface PairwiseModelOptions {
  /** longest sequence (default: the model's context, at most 512) */
  maxLength?: number;
  /** markers (new models only; a loaded judge keeps its own) */
  format?: PairwiseFormat;
  /** sequences per training forward pass, for the memory check (default 16) */
  batch?: number;
}

export class PairwiseModel {
  readonly encoder: PairEncoder;

  private constructor(
    readonly be: Backend,
    readonly trunk: Transformer,
    readonly head: ScoreHead,
    /** the trunk's config (no LM head) */
    readonly config: ModelConfig,
    readonly tok: Tokenizer,
    readonly format: PairwiseFormat,
    readonly maxLength: number,
    /** file name in a saved directory → the file it is copied from */
    private readonly tokenizerFiles: Map<string, string>,
    public training: Record<string, unknown> = {},
  ) {
    if (tok.vocabSize > config.vocabSize) {
      throw new Error(`pairwise judge: the tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${config.vocabSize}: use the tokenizer that belongs to the model`);
    }
    this.encoder = new PairEncoder(tok, format, maxLength);
  }

  /** a fresh model: random trunk (seeded, as `sppo sft --init`), zero head (P = ½ for every pair) */
  static fresh(be: Backend, config: ModelConfig, tokenizerPath: string, o: PairwiseModelOptions & { seed?: number } = {}): PairwiseModel {
    const tokFile = resolveTokenizerPath(tokenizerPath);
    const tok = loadTokenizerSync(tokFile);
    const arch = trunkArch(config, 'config');
    const trunk = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, o.seed ?? 0)));
    const head = new ScoreHead(be, 1, config.hiddenSize, new Float32Array(config.hiddenSize), new Float32Array(1));
    const files = new Map<string, string>([[tokFile.endsWith('.json') ? 'tokenizer.json' : 'tokenizer.bin', tokFile]]);
    const tc = path.join(path.dirname(tokFile), 'tokenizer_config.json');
    if (fs.existsSync(tc)) files.set('tokenizer_config.json', tc);
    return new PairwiseModel(be, trunk, head, { ...config, tieWordEmbeddings: true }, tok,
      checkPairwiseFormat(o.format ?? DEFAULT_PAIRWISE_FORMAT, 'format'), o.maxLength ?? defaultMaxLength(config), files);
  }

  /**
   * From a model directory: a pairwise judge written by save() (trunk and head, to judge or to
   * train further), or a causal LM (its trunk; a zero head; the LM head is dropped).
   */
  static load(be: Backend, dir: string, o: PairwiseModelOptions = {}): PairwiseModel {
    const file = path.join(dir, 'config.json');
    const json = readConfigJson(dir);
    if (!json) throw new Error(`${dir}: no readable config.json: point at a model directory`);
    const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]).map(String) : [];
    const isJudge = archs.includes(PAIRWISE_ARCH);
    if (!isJudge && archs.some((a) => /ForSequenceClassification$/.test(a))) {
      throw new Error(`${dir} is a reward model (${archs.join(', ')}), not a pairwise judge or a causal LM: use it as a judge directly, or start from a causal LM`);
    }
    const config = parseTrunkConfig(json, file);
    let format = o.format ?? DEFAULT_PAIRWISE_FORMAT, maxLength = o.maxLength, training: Record<string, unknown> = {};
    if (isJudge) {
      const meta = json[PAIRWISE_META_KEY] as Partial<PairwiseMeta> | undefined;
      if (!meta || meta.kind !== 'pairwise' || meta.version !== 1) {
        throw new Error(`${file}: "${PAIRWISE_META_KEY}" is missing or not {"kind": "pairwise", "version": 1, ...}: write the judge again with sppo train-judge`);
      }
      format = checkPairwiseFormat(meta.format, `${file} ${PAIRWISE_META_KEY}.format`);
      if (!(Number.isInteger(meta.max_length) && meta.max_length! > 0)) throw new Error(`${file}: ${PAIRWISE_META_KEY}.max_length must be a positive integer`);
      maxLength ??= meta.max_length;
      training = meta.training ?? {};
    }
    maxLength ??= defaultMaxLength(config);
    const C = config.hiddenSize;
    const extra = isJudge ? [{ name: 'score.weight', shape: [1, C] }, { name: 'score.bias', shape: [1] }] : [];
    const { trunk, extra: ex } = loadTrunk(be, dir, config, extra, { batch: o.batch ?? 16, seq: maxLength, training: !isJudge });
    const head = new ScoreHead(be, 1, C, ex.get('score.weight') ?? new Float32Array(C), ex.get('score.bias') ?? new Float32Array(1));
    const files = new Map<string, string>();
    for (const f of CARRIED_FILES) if (f !== 'generation_config.json' && fs.existsSync(path.join(dir, f))) files.set(f, path.join(dir, f));
    let tok: Tokenizer;
    try { tok = loadTokenizerSync(dir); } catch (e) {
      trunk.dispose(); head.dispose();
      throw new Error(`${dir}: no usable tokenizer (${(e as Error).message}): the directory needs its tokenizer.json`);
    }
    return new PairwiseModel(be, trunk, head, { ...config, tieWordEmbeddings: true }, tok, format, maxLength, files, training);
  }

  /** every trainable parameter: the trunk's (internal names) and score.w, score.b */
  params(): Map<string, Tensor> {
    return new Map([...this.trunk.params, ...this.head.params()]);
  }

  /** zeroes (allocating once) every gradient; returns them by the params() names */
  zeroGrad(): Map<string, Tensor> {
    this.trunk.zeroGrad();
    return new Map([...this.trunk.grads!, ...this.head.zeroGrad()]);
  }

  /** the token sequence of (prompt, a, b) */
  encode(prompt: string, a: string, b: string): number[] {
    return this.encoder.encode(prompt, a, b);
  }

  /** logits z of token sequences, batchSize at a time (longest first) */
  async logits(seqs: readonly (readonly number[])[], batchSize = 16): Promise<Float32Array> {
    const out = new Float32Array(seqs.length);
    const order = byLength(seqs.map((s) => s.length));
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const { batch, last } = packRows(idx.map((k) => seqs[k]));
      const z = await this.be.read(this.head.forward(this.trunk.forwardHidden(batch), last));
      idx.forEach((k, j) => { out[k] = z[j]; });
    }
    return out;
  }

  /** P(a ≻ b | prompt) for each pair, both orders averaged */
  async prefer(pairs: readonly Pair[], o: { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<number[]> {
    const perCall = Math.max(1, Math.floor((o.batchSize ?? 16) / 2));
    const seqs = pairs.map((p) => [this.encode(p.prompt, p.a, p.b), this.encode(p.prompt, p.b, p.a)] as const);
    const order = byLength(seqs.map((s) => s[0].length));
    const out = new Array<number>(pairs.length);
    let done = 0;
    for (let i = 0; i < order.length; i += perCall) {
      throwIfAborted(o.signal);
      const idx = order.slice(i, i + perCall);
      const z = await this.logits(idx.flatMap((k) => [seqs[k][0], seqs[k][1]]), 2 * perCall);
      idx.forEach((k, j) => { out[k] = 0.5 * (sigmoid(z[2 * j]) + 1 - sigmoid(z[2 * j + 1])); });
      done += idx.length;
      o.onProgress?.(done, pairs.length);
    }
    return out;
  }

  /**
   * Forward + backward of one batch of labelled sequences; gradients ACCUMULATE (call
   * zeroGrad() first). loss = scale · Σ BCE(z_i, y_i) (default scale 1/M: the mean).
   * Returns the loss and the logits (before the update); a non-finite logit gives loss NaN and
   * no gradient.
   */
  async accumulate(examples: readonly { ids: readonly number[]; label: number }[], scale = 1 / examples.length): Promise<{ loss: number; logits: Float32Array }> {
    const { batch, last } = packRows(examples.map((e) => e.ids));
    const scores = this.head.forward(this.trunk.forwardHidden(batch), last);
    const z = (await this.be.read(scores)) as Float32Array;
    const dz = new Float32Array(z.length);
    let loss = 0;
    for (let i = 0; i < z.length; i++) {
      const y = examples[i].label;
      // a non-finite logit: the loss says so and no gradient is made (the loop's guard stops the step)
      if (!Number.isFinite(z[i])) return { loss: NaN, logits: z };
      loss += scale * bceWithLogit(z[i], y);
      dz[i] = scale * (sigmoid(z[i]) - y);
    }
    this.trunk.backwardHidden(this.head.backward(dz));
    return { loss, logits: z };
  }

  /** the config.json object save() writes */
  configJson(): Record<string, unknown> {
    const meta: PairwiseMeta = { kind: 'pairwise', version: 1, format: this.format, max_length: this.maxLength, training: this.training };
    const json = configToJson(this.config, 'float32');
    return { ...json, architectures: [PAIRWISE_ARCH], [PAIRWISE_META_KEY]: meta };
  }

  /**
   * Writes the judge directory (see the file comment), replacing `dir` if it exists. Built in a
   * sibling DIR.tmp-xxxx and renamed into place: a reader sees the old judge or the new one.
   */
  async save(dir: string): Promise<void> {
    const C = this.config.hiddenSize;
    const hf = toHF(this.trunk.arch, await downloadParams(this.be, this.trunk.params));
    const { w, b } = await this.head.download();
    hf.set('score.weight', w);
    hf.set('score.bias', b!);
    const params = [...trunkParamList(this.config), { name: 'score.weight', shape: [1, C] }, { name: 'score.bias', shape: [1] }];
    const abs = path.resolve(dir);
    const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const tmp = `${abs}.tmp-${tag}`;
    if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new Error(`pairwise judge: ${dir} exists and is not a directory: choose another --out`);
    try {
      writeModelDir(tmp, { config: this.config, tensors: hf, params, metadata: { format: 'pt' } });
      fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(this.configJson(), null, 2) + '\n');
      for (const [name, src] of this.tokenizerFiles) fs.copyFileSync(src, path.join(tmp, name));
      if (fs.existsSync(abs)) {
        const old = `${abs}.old-${tag}`;
        fs.renameSync(abs, old);
        fs.renameSync(tmp, abs);
        fs.rmSync(old, { recursive: true, force: true });
      } else {
        fs.renameSync(tmp, abs);
      }
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    // later saves carry the tokenizer from here (the sources may have been replaced)
    for (const name of [...this.tokenizerFiles.keys()]) this.tokenizerFiles.set(name, path.join(abs, name));
  }

  dispose(): void {
    this.trunk.dispose();
    for (const t of this.trunk.params.values()) this.be.dispose(t);
    this.head.dispose();
  }
}

/** The judge of a directory written by `sppo train-judge`. */
export async function pairwiseJudge(dir: string, options: RawOptions = {}, query = ''): Promise<Judge> {
  const o = modelJudgeOptions(dir, query, options);
  const { be, owned } = await judgeBackend(o.backend);
  let m: PairwiseModel;
  try { m = PairwiseModel.load(be, dir, { maxLength: o.maxLength, batch: o.batchSize }); } catch (e) {
    if (owned) be.destroy();
    throw new JudgeError(dir, `cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
  const serial = new Serial();
  let closed = false;
  return {
    name: dir,
    describe: `Learned pairwise judge ${path.basename(dir)}: a ${m.config.modelType} cross-encoder reads prompt, a and b in one sequence; P(a ≻ b) = ½(f(a,b) + 1 − f(b,a)).`,
    orderSensitive: false,
    info: { kind: 'pairwise-model', dir, modelType: m.config.modelType, maxLength: m.maxLength, backend: be.name },
    compare(pairs: Pair[], co: CompareOptions = {}): Promise<number[]> {
      checkPairs(pairs, dir);
      throwIfAborted(co.signal);
      return serial.run(async () => {
        if (closed) throw new JudgeError(dir, 'was closed: load it again');
        return m.prefer(pairs, { batchSize: o.batchSize, signal: co.signal, onProgress: co.onProgress });
      });
    },
    close: () => serial.run(async () => {
      if (closed) return;
      closed = true;
      m.dispose();
      if (owned) be.destroy();
    }),
  };
}
