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
import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Tensor } from '../kernels/backend.js';
import { DebertaEncoder, parseDebertaConfig, type DebertaConfig } from '../model/deberta.js';
import { parseSpmModel } from '../tokenizer/spm-model.js';
import { UnigramTokenizer } from '../tokenizer/unigram.js';
import { byLength, judgeBackend, modelJudgeOptions, readConfigJson, Serial } from './model-common.js';
import { numberOption, type RawOptions } from './options.js';
import { JudgeError, throwIfAborted, type CompareOptions, type Judge, type Pair } from './types.js';
import { checkPairs, sigmoid } from './validate.js';

export const PAIRRM_ARCH = 'DebertaV2PairRM';
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

export interface PairRMOptions { sourceMaxLength?: number; candidateMaxLength?: number }

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
    const { encoder, extra } = DebertaEncoder.load(be, cfg, dir, PREFIX, headSpecs);
    const f64 = (n: string) => Float64Array.from(extra.get(n)!);
    const head = { w1: f64('head_layer.1.weight'), b1: f64('head_layer.1.bias'), w4: f64('head_layer.4.weight'), b4: f64('head_layer.4.bias'), tasks };
    return new PairRM(be, cfg, encoder, tok, { cls, sep, source, cand1, cand2 }, head,
      o.sourceMaxLength ?? PAIRRM_SOURCE_MAX, o.candidateMaxLength ?? PAIRRM_CANDIDATE_MAX);
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

  /** z(x, a, b) of token sequences (each holding the three prefix tokens), batchSize at a time */
  async logits(seqs: readonly (readonly number[])[], batchSize = 8): Promise<Float64Array> {
    const out = new Float64Array(seqs.length);
    const order = byLength(seqs.map((s) => s.length));
    const C = this.cfg.hidden;
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const B = idx.length;
      const T = Math.ceil(Math.max(...idx.map((k) => seqs[k].length)) / 8) * 8;
      const ids = new Int32Array(B * T).fill(-1), mask = new Int32Array(B * T);
      const rows = new Int32Array(3 * B);
      idx.forEach((k, b) => {
        const s = seqs[k];
        for (let t = 0; t < s.length; t++) { ids[b * T + t] = s[t]; mask[b * T + t] = 1; }
        const at = [this.ids.source, this.ids.cand1, this.ids.cand2].map((p) => s.indexOf(p));
        if (at.some((j) => j < 0)) throw new Error('PairRM: a sequence lacks one of the <|source|>, <|candidate1|>, <|candidate2|> tokens');
        at.forEach((j, r) => { rows[3 * b + r] = b * T + j; });
      });
      const h = this.encoder.forward(ids, mask, B, T);
      const tRows = this.be.fromArray(rows, [3 * B], 'i32');
      const g = this.be.tensor([3 * B, C]);
      this.be.embedding(g, h, tRows); // gathers the three prefix rows of each sequence
      let hv: Float32Array;
      try { hv = (await this.be.read(g)) as Float32Array; } finally { for (const t of [h, tRows, g] as Tensor[]) this.be.dispose(t); }
      idx.forEach((k, b) => {
        const src = hv.subarray(3 * b * C, (3 * b + 1) * C);
        out[k] = this.headScore(src, hv.subarray((3 * b + 1) * C, (3 * b + 2) * C)) - this.headScore(src, hv.subarray((3 * b + 2) * C, (3 * b + 3) * C));
      });
    }
    return out;
  }

  /** mean over tasks of head([src; cand]) in float64 */
  private headScore(src: Float32Array, cand: Float32Array): number {
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
    return sum / tasks;
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

  dispose(): void { this.encoder.dispose(); }
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
