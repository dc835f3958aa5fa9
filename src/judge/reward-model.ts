// A reward-model directory as a judge: a Hugging Face Llama / Mistral / Qwen2 / GPT-2
// `...ForSequenceClassification` checkpoint with num_labels 1, run on our engine.
//
//   config.json       architectures ["LlamaForSequenceClassification"] (or Mistral/Qwen2/GPT2),
//                     model_type, sizes; pad_token_id (pooling, below); id2label with ONE label
//   model.safetensors the trunk under "model.*" ("transformer.*" for GPT-2), no lm_head, and
//                     the head "score.weight" (1, hidden), no bias
//   tokenizer.json (+ tokenizer_config.json, whose chat_template is used when present)
//
// Reward r(x, y) = score.weight · h_last, h_last = the final normed hidden state (N, C) row of
// the LAST non-padding token of the sequence, as transformers' *ForSequenceClassification
// pools: the rightmost token whose id is not config.pad_token_id (every token when there is no
// pad_token_id). Judge: Bradley–Terry, P(a ≻ b) = σ(r(x, a) − r(x, b)) (btJudge).
//
// Text of one (prompt, response):
//   - with a chat template (tokenizer_config.json chat_template; option chat=auto|true|false,
//     default auto): the template rendered over [user: prompt, assistant: response] without a
//     generation prompt, tokenized with special-token matching and no extra BOS (what
//     transformers' apply_chat_template(tokenize=True) gives);
//   - without one: the prompt and response TEXTS concatenated as they are (no separator: put one
//     at the end of the prompt if the model expects it), tokenized with the tokenizer's special
//     tokens (BOS / EOS as its post-processor adds them).
//   A sequence longer than maxLength keeps its LAST maxLength tokens (the response end is what
//   the reward reads), with the first token kept when it is the BOS.
// Scores are computed in batches of batchSize sequences, longest first, one batch at a time.
import path from 'node:path';
import type { Backend } from '../kernels/backend.js';
import { ChatTemplate } from '../tokenizer/chat.js';
import { loadTokenizerSync } from '../tokenizer/node.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { ModelConfig } from '../model/config.js';
import { btJudge } from './bt.js';
import {
  byLength, defaultMaxLength, judgeBackend, loadTrunk, modelJudgeOptions, packRows, parseTrunkConfig,
  readConfigJson, SEQ_CLS_TO_CAUSAL, Serial, type LoadedTrunk,
} from './model-common.js';
import type { RawOptions } from './options.js';
import { ScoreHead } from './score-head.js';
import { JudgeError, type Judge } from './types.js';

export interface RewardModel {
  dir: string;
  config: ModelConfig;
  backend: Backend;
  /** whether texts go through the chat template */
  chat: boolean;
  /** token ids of one (prompt, response), as scored */
  encode(prompt: string, response: string): number[];
  /** r(prompt, response) for each item, batched */
  score(items: { prompt: string; response: string }[]): Promise<number[]>;
  /** r for token sequences (already encoded) */
  scoreIds(seqs: number[][]): Promise<number[]>;
  close(): Promise<void>;
}

/** the number of labels config.json declares (id2label, else num_labels; HF's default is 2) */
function labelCount(json: Record<string, unknown>): number {
  if (json.id2label && typeof json.id2label === 'object') return Object.keys(json.id2label as object).length;
  if (typeof json.num_labels === 'number') return json.num_labels;
  return 2;
}

export async function loadRewardModel(dir: string, options: RawOptions = {}, query = ''): Promise<RewardModel> {
  const name = dir;
  const o = modelJudgeOptions(name, query, options, ['chat']);
  const json = readConfigJson(dir);
  if (!json) throw new JudgeError(name, `has no readable config.json (${path.join(dir, 'config.json')}): point at a reward-model directory`);
  const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]).map(String) : [];
  const cls = archs.find((a) => /ForSequenceClassification$/.test(a));
  if (!cls) throw new JudgeError(name, `config.json names architectures ${JSON.stringify(archs)}, not a ...ForSequenceClassification reward model`);
  if (!SEQ_CLS_TO_CAUSAL[cls]) {
    throw new JudgeError(name, `is a ${cls}, which sppo cannot run: reward models must be one of ${Object.keys(SEQ_CLS_TO_CAUSAL).join(', ')}`);
  }
  const labels = labelCount(json);
  if (labels !== 1) {
    throw new JudgeError(name, `is a classifier with ${labels} labels (config.json id2label/num_labels), not a reward model: a reward model has num_labels 1 (one scalar score)`);
  }
  const file = path.join(dir, 'config.json');
  let config: ModelConfig;
  try { config = parseTrunkConfig(json, file); } catch (e) {
    throw new JudgeError(name, `has a config.json sppo cannot use: ${(e as Error).message}`, { cause: e });
  }
  let tok: Tokenizer;
  try { tok = loadTokenizerSync(dir); } catch (e) {
    throw new JudgeError(name, `has no usable tokenizer (${(e as Error).message}): copy the reward model's tokenizer.json and tokenizer_config.json into ${dir}`, { cause: e });
  }
  const chatOpt = o.chat === undefined ? 'auto' : String(o.chat);
  if (!['auto', 'true', 'false'].includes(chatOpt)) throw new JudgeError(name, `option chat=${chatOpt} is invalid: give auto, true or false`);
  const template = new ChatTemplate(tok.config as Record<string, unknown>);
  const chat = chatOpt === 'true' || (chatOpt === 'auto' && template.hasTemplate);
  const maxLength = o.maxLength ?? defaultMaxLength(config);
  const padId = config.padTokenId;

  const { be, owned } = await judgeBackend(o.backend);
  let loaded: LoadedTrunk;
  try {
    loaded = loadTrunk(be, dir, config, [{ name: 'score.weight', shape: [1, config.hiddenSize] }], { batch: o.batchSize, seq: maxLength });
  } catch (e) {
    if (owned) be.destroy();
    throw new JudgeError(name, `cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
  const { trunk } = loaded;
  const head = new ScoreHead(be, 1, config.hiddenSize, loaded.extra.get('score.weight')!, null);
  const serial = new Serial();
  let closed = false;

  const encode = (prompt: string, response: string): number[] => {
    let ids: number[];
    if (chat) {
      const text = template.render([{ role: 'user', content: prompt }, { role: 'assistant', content: response }], { addGenerationPrompt: false });
      ids = tok.encode(text, { special: true });
    } else {
      ids = tok.encode(prompt + response, { addSpecial: true });
    }
    if (ids.length === 0) ids = [padId ?? 0];
    if (ids.length > maxLength) {
      const keepBos = tok.bosTokenId !== null && ids[0] === tok.bosTokenId;
      ids = keepBos ? [ids[0], ...ids.slice(ids.length - maxLength + 1)] : ids.slice(ids.length - maxLength);
    }
    return ids;
  };
  // transformers: the rightmost token that is not the pad token (all of them when there is no pad id)
  const pool = (ids: readonly number[]): number => {
    if (padId === null) return ids.length - 1;
    for (let j = ids.length - 1; j >= 0; j--) if (ids[j] !== padId) return j;
    return 0;
  };

  const scoreIds = (seqs: number[][]): Promise<number[]> => serial.run(async () => {
    if (closed) throw new JudgeError(name, 'was closed: load it again');
    const out = new Array<number>(seqs.length);
    const order = byLength(seqs.map((s) => s.length));
    for (let i = 0; i < order.length; i += o.batchSize) {
      const idx = order.slice(i, i + o.batchSize);
      const { batch, last } = packRows(idx.map((k) => seqs[k]), pool);
      const hidden = trunk.forwardHidden(batch);
      const r = await be.read(head.forward(hidden, last));
      idx.forEach((k, j) => { out[k] = r[j]; });
    }
    return out;
  });

  return {
    dir, config, backend: be, chat, encode, scoreIds,
    score: (items) => scoreIds(items.map((it) => encode(it.prompt, it.response))),
    close: () => serial.run(async () => {
      if (closed) return;
      closed = true;
      trunk.dispose();
      for (const t of trunk.params.values()) be.dispose(t);
      head.dispose();
      if (owned) be.destroy();
    }),
  };
}

/**
 * The judge of a reward-model directory. Scores requested together (one compare() call) are
 * computed in shared batches: requests are collected until the event loop turns, then run.
 */
export async function rewardModelJudge(dir: string, options: RawOptions = {}, query = ''): Promise<Judge> {
  const rm = await loadRewardModel(dir, options, query);
  let pending: { ids: number[]; resolve: (r: number) => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const items = pending;
    pending = [];
    rm.scoreIds(items.map((x) => x.ids)).then(
      (rs) => items.forEach((x, i) => x.resolve(rs[i])),
      (e) => items.forEach((x) => x.reject(e)),
    );
  };
  const scorer = (prompt: string, response: string): Promise<number> => new Promise((resolve, reject) => {
    let ids: number[];
    try { ids = rm.encode(prompt, response); } catch (e) { reject(e); return; }
    if (pending.length === 0) setImmediate(flush);
    pending.push({ ids, resolve, reject });
  });
  return btJudge(dir, scorer, {
    describe: `Reward model ${path.basename(dir)} (${rm.config.modelType}): P(a ≻ b) = σ(r(a) − r(b)), r = score · h at the last token${rm.chat ? ' of the chat-templated conversation' : ' of prompt + response'}.`,
    info: { kind: 'reward-model', dir, modelType: rm.config.modelType, chat: rm.chat, backend: rm.backend.name },
    close: () => rm.close(),
  });
}
