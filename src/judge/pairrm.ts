// PairRM (llm-blender) as a judge: a DeBERTa-v3 pairwise ranker that reads the prompt and both
// responses in one sequence. The directory is PairRM-hf's layout (llm-blender/PairRM-hf):
//   config.json        architectures ["DebertaV2PairRM"], model_type "deberta-v2", the DeBERTa-v3
//                      keys (src/model/deberta.ts), n_tasks, source_prefix_id, cand1_prefix_id,
//                      cand2_prefix_id (the ids of <|source|>, <|candidate1|>, <|candidate2|>)
//   model.safetensors  pretrained_model.* (the encoder) and head_layer.1.{weight (C, 2C), bias},
//                      head_layer.4.{weight (n_tasks, C), bias}  (F32, BF16 or F16; read as f32)
//   spm.model          the SentencePiece Unigram tokenizer (DeBERTa-v3's), [CLS] and [SEP] among
//                      its pieces; the <|...|> prefixes are added tokens whose ids config.json gives
// llm-blender/PairRM's own layout (a ranker config.json + pytorch_model.bin) is refused with a
// message saying to use the -hf layout (no pickle reader here).
//
// Input of (x, a, b), as PairRM-hf's tokenize_pair (the defaults of llm-blender's PairRM ranker
// config, source_maxlength 1224 and candidate_maxlength 412):
//   src = [CLS] <|source|> spm(x) [SEP]        at most sourceMaxLength tokens (right-truncated)
//   c   = (sourceMaxLength + 2·candidateMaxLength − |src|) // 2
//   ids = src + [CLS] <|candidate1|> spm(a) [SEP] + [CLS] <|candidate2|> spm(b) [SEP]  (each ≤ c)
//   Texts are NOT scanned for special-token strings ("[SEP]" in a response stays text).
// Score (DebertaV2PairRM.forward): h = the encoder's last hidden states; with
//   head(v) = W4·tanh(W1·v + b1) + b4  (dropout off),
//   z(x, a, b) = mean over tasks of head([h_src; h_cand1]) − head([h_src; h_cand2]).
// P(a ≻ b) = σ(z(x, a, b) − z(x, b, a)): llm-blender's compare in its default mode
// "[A,B]+[B,A]" (rank → get_scores_from_cmps over both orders; for two candidates the score
// difference is exactly z(a,b) − z(b,a)) turned into a probability as SPPO's compute_prob does
// (σ of the score difference). Both orders are computed inside compare, so P(a ≻ b) =
// 1 − P(b ≻ a) exactly: the judge declares orderSensitive false. (SPPO ranks K responses at once
// and takes σ(s_i − s_j) of scores averaged over all K; per pair this judge is that with K = 2.)
// The encoder runs on the backend; the small head runs on the host in float64 over the three
// gathered hidden rows of each sequence.
// Fine-tuning (load with {training: true}; `sppo train-judge --init pairrm --model DIR`):
// params()/zeroGrad()/accumulate() as the learned pairwise judge has them, so trainPairwise
// (pairwise-train.ts) drives it — BCE of z against p on (x, chosen, rejected) and against 1 − p
// swapped; the head's gradient on the host (float64), the encoder's on the device
// (DebertaEncoder.backward); save() writes the same PairRM-hf layout.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Tensor } from '../kernels/backend.js';
import { DebertaEncoder, parseDebertaConfig, type DebertaConfig } from '../model/deberta.js';
import { serializeSafetensors } from '../model/safetensors.js';
import { parseSpmModel } from '../tokenizer/spm-model.js';
import { UnigramTokenizer } from '../tokenizer/unigram.js';
import { byLength, judgeBackend, modelJudgeOptions, readConfigJson, Serial } from './model-common.js';
import { numberOption, type RawOptions } from './options.js';
import { JudgeError, throwIfAborted, type CompareOptions, type Judge, type Pair } from './types.js';
import { checkPairs, sigmoid } from './validate.js';

export const PAIRRM_ARCH = 'DebertaV2PairRM';
/** config.json key save() records training in */
export const PAIRRM_TRAINING_KEY = 'sppo_training';
/** files save() copies from the source directory */
const PAIRRM_CARRIED = ['spm.model', 'tokenizer_config.json', 'added_tokens.json', 'special_tokens_map.json', 'tokenizer.json', 'ranker_config.json'];
/** the most the attention backward's P and dS of one training batch may take */
const MAX_SCORES_BYTES = 2 ** 30;
const sigmoidOf = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusOf = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const PREFIX = 'pretrained_model.';
/** llm-blender's PairRM ranker config: source_maxlength, candidate_maxlength */
export const PAIRRM_SOURCE_MAX = 1224, PAIRRM_CANDIDATE_MAX = 412;

/** whether a config.json object is PairRM's (PairRM-hf) */
export function isPairRMConfig(json: Record<string, unknown> | null): boolean {
  const archs = Array.isArray(json?.architectures) ? (json!.architectures as unknown[]).map(String) : [];
  return archs.includes(PAIRRM_ARCH);
}

/** llm-blender/PairRM's own ranker config.json (ranker_type pairranker) */
export function isBlenderRankerConfig(json: Record<string, unknown> | null): boolean {
  return !!json && json.ranker_type === 'pairranker';
}

export interface PairRMOptions {
  sourceMaxLength?: number; candidateMaxLength?: number;
  /** load to fine-tune: f32 weights, gradients, params()/zeroGrad()/accumulate()/save() */
  training?: boolean;
}

export class PairRM {
  private constructor(
    readonly be: Backend,
    readonly cfg: DebertaConfig,
    readonly encoder: DebertaEncoder,
    readonly tok: UnigramTokenizer,
    readonly ids: { cls: number; sep: number; source: number; cand1: number; cand2: number },
    /** head_layer.1 (C, 2C), b1 (C), head_layer.4 (T, C), b4 (T) in float64 */
    private readonly head: { w1: Float64Array; b1: Float64Array; w4: Float64Array; b4: Float64Array; tasks: number },
    readonly sourceMax: number,
    readonly candidateMax: number,
    /** the config.json object as read (save() writes it back) and the directory */
    private readonly json: Record<string, unknown>,
    private readonly dir: string,
    /** training: the head on the device (the optimizer updates it; the host copy follows) */
    private readonly headParams: Map<string, Tensor> | null,
    /** what training recorded, written into config.json by save() */
    public training: Record<string, unknown> = {},
  ) {}

  /** loads a PairRM-hf directory; every problem is one Error naming the file and the fix */
  static load(be: Backend, dir: string, o: PairRMOptions = {}): PairRM {
    const file = path.join(dir, 'config.json');
    const json = readConfigJson(dir);
    if (!json) throw new Error(`${file}: missing or not a JSON object`);
    if (isBlenderRankerConfig(json)) {
      throw new Error(`${dir} is llm-blender/PairRM in llm-blender's own layout (a ranker config.json with pytorch_model.bin): ` +
        `use the Hugging Face layout of the same weights, llm-blender/PairRM-hf (config.json architectures ["${PAIRRM_ARCH}"], model.safetensors, spm.model)`);
    }
    if (!isPairRMConfig(json)) throw new Error(`${file}: architectures ${JSON.stringify(json.architectures ?? null)} do not include "${PAIRRM_ARCH}"`);
    const cfg = parseDebertaConfig(json, file);
    const idOf = (k: string): number => {
      const v = json[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= cfg.vocabSize) throw new Error(`${file}: "${k}" must be a token id below vocab_size ${cfg.vocabSize} (got ${JSON.stringify(v)}): PairRM's config.json names its prefix tokens`);
      return v;
    };
    const source = idOf('source_prefix_id'), cand1 = idOf('cand1_prefix_id'), cand2 = idOf('cand2_prefix_id');
    const tasks = json.n_tasks === undefined ? 1 : (json.n_tasks as number);
    if (!Number.isInteger(tasks) || tasks < 1) throw new Error(`${file}: "n_tasks" must be a positive integer`);
    // the tokenizer
    const spmFile = path.join(dir, 'spm.model');
    if (!fs.existsSync(spmFile)) {
      throw new Error(`${dir}: no spm.model: a PairRM directory needs DeBERTa-v3's SentencePiece model (spm.model, from llm-blender/PairRM-hf or microsoft/deberta-v3-large)`);
    }
    const tok = new UnigramTokenizer(parseSpmModel(fs.readFileSync(spmFile), spmFile), spmFile);
    const cls = tok.pieceId('[CLS]'), sep = tok.pieceId('[SEP]');
    if (cls === undefined || sep === undefined) throw new Error(`${spmFile}: no [CLS] or [SEP] piece: not DeBERTa-v3's SentencePiece model`);
    if (typeof json.sep_token_id === 'number' && json.sep_token_id !== sep) throw new Error(`${file}: sep_token_id ${json.sep_token_id} is not the [SEP] of ${spmFile} (${sep}): the tokenizer belongs to another model`);
    if (tok.vocabSize > cfg.vocabSize) throw new Error(`${spmFile} has ${tok.vocabSize} pieces but vocab_size is ${cfg.vocabSize}: the tokenizer belongs to another model`);
    // the weights
    const C = cfg.hidden;
    const headSpecs = [
      { name: 'head_layer.1.weight', shape: [C, 2 * C] }, { name: 'head_layer.1.bias', shape: [C] },
      { name: 'head_layer.4.weight', shape: [tasks, C] }, { name: 'head_layer.4.bias', shape: [tasks] },
    ];
    const hasSafetensors = fs.existsSync(path.join(dir, 'model.safetensors')) || fs.existsSync(path.join(dir, 'model.safetensors.index.json'));
    if (!hasSafetensors) {
      const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin'));
      throw new Error(`${dir}: no model.safetensors${bin ? ' (only pytorch_model.bin, a pickle this package does not read)' : ''}: convert the weights to safetensors (e.g. safetensors.torch.save_file(torch.load("pytorch_model.bin"), "model.safetensors"))`);
    }
    const { encoder, extra } = DebertaEncoder.load(be, cfg, dir, PREFIX, headSpecs, { training: o.training });
    const f64 = (n: string) => Float64Array.from(extra.get(n)!);
    const head = { w1: f64('head_layer.1.weight'), b1: f64('head_layer.1.bias'), w4: f64('head_layer.4.weight'), b4: f64('head_layer.4.bias'), tasks };
    const headParams = o.training ? new Map(headSpecs.map((sp) => [sp.name, be.fromArray(extra.get(sp.name)!, sp.shape, 'f32', sp.name)] as [string, Tensor])) : null;
    const meta = json[PAIRRM_TRAINING_KEY];
    return new PairRM(be, cfg, encoder, tok, { cls, sep, source, cand1, cand2 }, head,
      o.sourceMaxLength ?? PAIRRM_SOURCE_MAX, o.candidateMaxLength ?? PAIRRM_CANDIDATE_MAX, json, dir, headParams,
      meta && typeof meta === 'object' ? meta as Record<string, unknown> : {});
  }

  /** [CLS] prefix spm(text) [SEP], at most maxLength tokens (the text's tokens cut at the right) */
  private part(prefix: number, text: string, maxLength: number): number[] {
    const toks = [prefix, ...this.tok.encode(text)].slice(0, Math.max(0, maxLength - 2));
    return [this.ids.cls, ...toks, this.ids.sep];
  }

  /** the token sequence of (x, a, b): PairRM-hf's tokenize_pair (see the file comment) */
  encode(x: string, a: string, b: string): number[] {
    const src = this.part(this.ids.source, x, this.sourceMax);
    const c = Math.floor((this.sourceMax + 2 * this.candidateMax - src.length) / 2);
    return [...src, ...this.part(this.ids.cand1, a, c), ...this.part(this.ids.cand2, b, c)];
  }

  /** pads B sequences into one batch: ids (−1 at padding), key mask, the rows of the three
   *  prefix tokens of each (b·T + position), T rounded up to a multiple of 8 */
  private pack(seqs: readonly (readonly number[])[]): { ids: Int32Array; mask: Int32Array; rows: Int32Array; B: number; T: number } {
    const B = seqs.length;
    const T = Math.ceil(Math.max(...seqs.map((s) => s.length)) / 8) * 8;
    const ids = new Int32Array(B * T).fill(-1), mask = new Int32Array(B * T);
    const rows = new Int32Array(3 * B);
    seqs.forEach((s, b) => {
      for (let t = 0; t < s.length; t++) { ids[b * T + t] = s[t]; mask[b * T + t] = 1; }
      const at = [this.ids.source, this.ids.cand1, this.ids.cand2].map((p) => s.indexOf(p));
      if (at.some((j) => j < 0)) throw new Error('PairRM: a sequence lacks one of the <|source|>, <|candidate1|>, <|candidate2|> tokens');
      at.forEach((j, r) => { rows[3 * b + r] = b * T + j; });
    });
    return { ids, mask, rows, B, T };
  }

  /** the encoder's hidden rows at the three prefix tokens of each sequence (3B, C) on the host;
   *  in training mode h stays the caller's (the saved forward), else it is disposed */
  private async prefixRows(h: Tensor, rows: Int32Array): Promise<Float32Array> {
    const tRows = this.be.fromArray(rows, [rows.length], 'i32');
    const g = this.be.tensor([rows.length, this.cfg.hidden]);
    this.be.embedding(g, h, tRows); // gathers rows of h
    try { return (await this.be.read(g)) as Float32Array; } finally { this.be.dispose(tRows); this.be.dispose(g); }
  }

  /** training: the host copy of the head from the device (after optimizer updates) */
  private async syncHead(): Promise<void> {
    if (!this.headParams) return;
    const rd = async (n: string) => Float64Array.from(await this.be.read(this.headParams!.get(n)!));
    this.head.w1 = await rd('head_layer.1.weight'); this.head.b1 = await rd('head_layer.1.bias');
    this.head.w4 = await rd('head_layer.4.weight'); this.head.b4 = await rd('head_layer.4.bias');
  }

  /** z(x, a, b) of token sequences (each holding the three prefix tokens), batchSize at a time */
  async logits(seqs: readonly (readonly number[])[], batchSize = 8): Promise<Float64Array> {
    await this.syncHead();
    const out = new Float64Array(seqs.length);
    const order = byLength(seqs.map((s) => s.length));
    const C = this.cfg.hidden;
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const { ids, mask, rows, B, T } = this.pack(idx.map((k) => seqs[k]));
      const h = this.encoder.forward(ids, mask, B, T);
      let hv: Float32Array;
      try { hv = await this.prefixRows(h, rows); } finally { this.be.dispose(h); this.encoder.dropSaved(); }
      idx.forEach((k, b) => {
        const src = hv.subarray(3 * b * C, (3 * b + 1) * C);
        out[k] = this.headForward(src, hv.subarray((3 * b + 1) * C, (3 * b + 2) * C)).score - this.headForward(src, hv.subarray((3 * b + 2) * C, (3 * b + 3) * C)).score;
      });
    }
    return out;
  }

  /** head([src; cand]) in float64: z = tanh(W1·[src; cand] + b1), score = mean over tasks of W4·z + b4 */
  private headForward(src: Float32Array, cand: Float32Array): { z: Float64Array; score: number } {
    const { w1, b1, w4, b4, tasks } = this.head;
    const C = this.cfg.hidden;
    const z = new Float64Array(C);
    for (let r = 0; r < C; r++) {
      let s = b1[r];
      const o = r * 2 * C;
      for (let c = 0; c < C; c++) s += w1[o + c] * src[c];
      for (let c = 0; c < C; c++) s += w1[o + C + c] * cand[c];
      z[r] = Math.tanh(s);
    }
    let sum = 0;
    for (let t = 0; t < tasks; t++) {
      let s = b4[t];
      for (let c = 0; c < C; c++) s += w4[t * C + c] * z[c];
      sum += s;
    }
    return { z, score: sum / tasks };
  }

  /**
   * head backward for one side (d = ∂loss/∂score of head([src; cand])): accumulates dW1, db1,
   * dW4, db4 (host float64) and returns d[src; cand] (2C)
   */
  private headBackward(src: Float32Array, cand: Float32Array, z: Float64Array, d: number, acc: { w1: Float64Array; b1: Float64Array; w4: Float64Array; b4: Float64Array }): Float64Array {
    const { w1, w4, tasks } = this.head;
    const C = this.cfg.hidden;
    const dt = d / tasks;
    const du = new Float64Array(C);
    for (let t = 0; t < tasks; t++) {
      acc.b4[t] += dt;
      for (let c = 0; c < C; c++) { acc.w4[t * C + c] += dt * z[c]; du[c] += dt * w4[t * C + c]; }
    }
    for (let c = 0; c < C; c++) du[c] *= 1 - z[c] * z[c];
    const din = new Float64Array(2 * C);
    for (let r = 0; r < C; r++) {
      const g = du[r];
      if (g === 0) continue;
      acc.b1[r] += g;
      const o = r * 2 * C;
      for (let c = 0; c < C; c++) { acc.w1[o + c] += g * src[c]; din[c] += g * w1[o + c]; }
      for (let c = 0; c < C; c++) { acc.w1[o + C + c] += g * cand[c]; din[C + c] += g * w1[o + C + c]; }
    }
    return din;
  }

  // ---- fine-tuning (load with {training: true}) ---------------------------------------------

  /** every trainable parameter by its HF name: the encoder's and head_layer.{1,4}.* */
  params(): Map<string, Tensor> {
    if (!this.headParams) throw new Error('PairRM: params() needs a model loaded for training');
    return new Map([...this.encoder.params, ...this.headParams]);
  }

  private headGrads: Map<string, Tensor> | null = null;

  /** zeroes (allocating once) every gradient; returns them by the params() names */
  zeroGrad(): Map<string, Tensor> {
    if (!this.headParams) throw new Error('PairRM: zeroGrad() needs a model loaded for training');
    const enc = this.encoder.zeroGrad();
    if (!this.headGrads) this.headGrads = new Map([...this.headParams].map(([n, t]) => [n, this.be.tensor(t.shape, 'f32', `grad:${n}`)] as [string, Tensor]));
    for (const g of this.headGrads.values()) this.be.fill(g, 0);
    return new Map([...enc, ...this.headGrads]);
  }

  /**
   * Forward + backward of one batch of labelled sequences (the pairwise judge's contract, so
   * trainPairwise drives it): z = mean over tasks of head([h_src; h_cand1]) − head([h_src; h_cand2]),
   * loss = scale·Σ BCE(z_i, y_i) — for y = 1 on (chosen, rejected) and y = 0 swapped, llm-blender's
   * "instructgpt" loss −log σ(left − right) of both orders. Gradients ACCUMULATE (zeroGrad()
   * first); a non-finite logit gives loss NaN and no gradient.
   */
  async accumulate(examples: readonly { ids: readonly number[]; label: number }[], scale = 1 / examples.length): Promise<{ loss: number; logits: Float32Array }> {
    if (!this.headParams || !this.headGrads) throw new Error('PairRM: accumulate() needs a model loaded for training and zeroGrad() first');
    await this.syncHead();
    const C = this.cfg.hidden;
    const { ids, mask, rows, B, T } = this.pack(examples.map((e) => e.ids));
    // the attention backward holds P and dS (B, heads, T, T) f32 for one layer at a time
    const scoresBytes = 2 * 4 * B * this.cfg.heads * T * T;
    if (scoresBytes > MAX_SCORES_BYTES) {
      throw new Error(`PairRM fine-tuning: ${B} sequences of ${T} tokens need ${(scoresBytes / 2 ** 30).toFixed(1)} GiB for the attention backward's scores ` +
        `(over ${MAX_SCORES_BYTES / 2 ** 30} GiB): use a smaller --batch-size or shorter prompts and responses`);
    }
    const h = this.encoder.forward(ids, mask, B, T);
    let hv: Float32Array;
    try { hv = await this.prefixRows(h, rows); } finally { this.be.dispose(h); }
    const zs = new Float32Array(B);
    const acc = { w1: new Float64Array(this.head.w1.length), b1: new Float64Array(C), w4: new Float64Array(this.head.w4.length), b4: new Float64Array(this.head.tasks) };
    const dH = new Float32Array(B * T * C);
    let loss = 0;
    const sides: { src: Float32Array; c1: Float32Array; c2: Float32Array; l: { z: Float64Array; score: number }; r: { z: Float64Array; score: number } }[] = [];
    for (let b = 0; b < B; b++) {
      const src = hv.subarray(3 * b * C, (3 * b + 1) * C), c1 = hv.subarray((3 * b + 1) * C, (3 * b + 2) * C), c2 = hv.subarray((3 * b + 2) * C, (3 * b + 3) * C);
      const l = this.headForward(src, c1), r = this.headForward(src, c2);
      const z = l.score - r.score;
      zs[b] = z;
      if (!Number.isFinite(z)) { this.encoder.dropSaved(); return { loss: NaN, logits: zs }; }
      sides.push({ src, c1, c2, l, r });
    }
    for (let b = 0; b < B; b++) {
      const { src, c1, c2, l, r } = sides[b];
      const z = zs[b], y = examples[b].label;
      loss += scale * (softplusOf(z) - y * z);
      const dz = scale * (sigmoidOf(z) - y);
      const dl = this.headBackward(src, c1, l.z, dz, acc), dr = this.headBackward(src, c2, r.z, -dz, acc);
      const put = (row: number, v: Float64Array, off: number) => { for (let c = 0; c < C; c++) dH[row * C + c] += v[off + c]; };
      put(rows[3 * b], dl, 0); put(rows[3 * b], dr, 0);
      put(rows[3 * b + 1], dl, C); put(rows[3 * b + 2], dr, C);
    }
    const tdH = this.be.fromArray(dH, [B * T, C]);
    try { this.encoder.backward(tdH); } finally { this.be.dispose(tdH); this.encoder.dropSaved(); }
    for (const [name, host] of [['head_layer.1.weight', acc.w1], ['head_layer.1.bias', acc.b1], ['head_layer.4.weight', acc.w4], ['head_layer.4.bias', acc.b4]] as const) {
      const g = this.headGrads.get(name)!;
      const cur = (await this.be.read(g)) as Float32Array;
      const next = new Float32Array(cur.length);
      for (let i = 0; i < cur.length; i++) next[i] = cur[i] + host[i];
      this.be.write(g, next);
    }
    return { loss, logits: zs };
  }

  /**
   * Writes a PairRM-hf directory (config.json as read, with "sppo_training"; model.safetensors
   * F32 under the same names; the tokenizer files carried), replacing `dir`: built in a sibling
   * DIR.tmp-xxxx and renamed into place.
   */
  async save(dir: string): Promise<void> {
    const params = this.headParams ? this.params() : null;
    if (!params) throw new Error('PairRM: save() needs a model loaded for training');
    const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
    for (const [name, t] of params) tensors.push({ name, shape: [...t.shape], data: (await this.be.read(t)) as Float32Array });
    const abs = path.resolve(dir);
    const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const tmp = `${abs}.tmp-${tag}`;
    if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new Error(`PairRM: ${dir} exists and is not a directory: choose another --out`);
    try {
      fs.mkdirSync(tmp, { recursive: true });
      fs.writeFileSync(path.join(tmp, 'model.safetensors'), serializeSafetensors(tensors));
      const json = { ...this.json, torch_dtype: 'float32', [PAIRRM_TRAINING_KEY]: this.training };
      fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(json, null, 2) + '\n');
      for (const f of PAIRRM_CARRIED) if (fs.existsSync(path.join(this.dir, f))) fs.copyFileSync(path.join(this.dir, f), path.join(tmp, f));
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
  }

  /** P(a ≻ b | prompt) = σ(z(x, a, b) − z(x, b, a)) for each pair */
  async prefer(pairs: readonly Pair[], o: { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<number[]> {
    const perCall = Math.max(1, Math.floor((o.batchSize ?? 8) / 2));
    const out = new Array<number>(pairs.length);
    let done = 0;
    for (let i = 0; i < pairs.length; i += perCall) {
      throwIfAborted(o.signal);
      const chunk = pairs.slice(i, i + perCall);
      const seqs = chunk.flatMap((p) => [this.encode(p.prompt, p.a, p.b), this.encode(p.prompt, p.b, p.a)]);
      const z = await this.logits(seqs, 2 * perCall);
      chunk.forEach((_, j) => { out[i + j] = sigmoid(z[2 * j] - z[2 * j + 1]); });
      done += chunk.length;
      o.onProgress?.(done, pairs.length);
    }
    return out;
  }

  /** the pairwise judge's name for what logits() gives (trainPairwise's evaluation uses prefer) */
  get maxLength(): number { return this.sourceMax + 2 * this.candidateMax; }

  dispose(): void {
    this.encoder.dispose();
    for (const m of [this.headParams, this.headGrads]) if (m) for (const t of m.values()) this.be.dispose(t);
  }
}

/** the options a PairRM judge takes beyond backend and batchSize */
export const PAIRRM_KEYS = ['sourceMaxLength', 'candidateMaxLength'];

/** The judge of a PairRM directory (PairRM-hf layout). */
export async function pairRMJudge(dir: string, options: RawOptions = {}, query = ''): Promise<Judge> {
  const o = modelJudgeOptions(dir, query, options, PAIRRM_KEYS);
  if (o.maxLength !== undefined) throw new JudgeError(dir, 'is a PairRM judge: it takes sourceMaxLength and candidateMaxLength (default 1224 and 412, as llm-blender), not maxLength');
  const sourceMaxLength = numberOption(o, 'sourceMaxLength', PAIRRM_SOURCE_MAX, { integer: true, min: 4 }, dir);
  const candidateMaxLength = numberOption(o, 'candidateMaxLength', PAIRRM_CANDIDATE_MAX, { integer: true, min: 4 }, dir);
  const batchSize = o.batchSize;
  const { be, owned } = await judgeBackend(o.backend);
  let m: PairRM;
  try { m = PairRM.load(be, dir, { sourceMaxLength, candidateMaxLength }); } catch (e) {
    if (owned) be.destroy();
    throw new JudgeError(dir, `cannot be loaded as PairRM: ${(e as Error).message}`, { cause: e });
  }
  const serial = new Serial();
  let closed = false;
  return {
    name: dir,
    describe: `PairRM ${path.basename(dir)}: a DeBERTa-v3 pairwise ranker reads "<|source|> x <|candidate1|> a <|candidate2|> b"; P(a ≻ b) = σ(z(a,b) − z(b,a)), both orders, as llm-blender's compare.`,
    orderSensitive: false,
    info: { kind: 'pairrm', dir, layers: m.cfg.layers, hidden: m.cfg.hidden, sourceMaxLength, candidateMaxLength, backend: be.name },
    compare(pairs: Pair[], co: CompareOptions = {}): Promise<number[]> {
      checkPairs(pairs, dir);
      throwIfAborted(co.signal);
      return serial.run(async () => {
        if (closed) throw new JudgeError(dir, 'was closed: load it again');
        return m.prefer(pairs, { batchSize, signal: co.signal, onProgress: co.onProgress });
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
