// Hugging Face tokenizer.json (+ tokenizer_config.json) -> TokenizerSpec.
// Supported: model BPE — byte-level (a ByteLevel pre-tokenizer: GPT-2, Llama 3, Qwen2) or over
// characters (SentencePiece-style: Llama 2, Mistral, TinyLlama; byte_fallback, unk_token,
// fuse_unk), merges as "a b" strings or [a, b] pairs, ignore_merges; the normalizers,
// pre-tokenizers, post-processors and decoders of normalizers.ts, pretokenizers.ts,
// post-processor.ts and decoders.ts; added tokens.
// Every problem is reported as `<file>: <field>: <what is wrong> — <what to do>`.
import { Field, TokenizerFileError, parseJsonFile, type Json } from './errors.js';
import { buildNormalizer } from './normalizers.js';
import { buildPreTokenizer } from './pretokenizers.js';
import { buildDecoder, fastDecodePlan } from './decoders.js';
import { buildSpecialWrap, configTokenContent } from './post-processor.js';
import { BYTE_TO_CHAR, tokenToBytes } from './byte-level.js';
import type { AddedToken } from './added-tokens.js';
import type { EngineTables } from './engine.js';
import { Tokenizer, type TokenizerSpec } from './tokenizer.js';

export interface HfLoadOptions {
  /** names used in error messages */
  file?: string;
  configFile?: string;
  /** false: run every split pattern as a JavaScript RegExp (tests compare both paths) */
  useScanner?: boolean;
  /** false: decode through the generic decoder chain, never the wasm table (tests) */
  fastDecode?: boolean;
}

const utf8 = new TextEncoder();

/** the largest id table a tokenizer may need (2²⁴ ids; the largest vocabularies hold ~2¹⁸) */
const MAX_ID_SPACE = 2 ** 24;

/** Concatenated byte strings indexed by id: token i is bytes[offsets[i] .. offsets[i+1]). */
class ByteTable {
  readonly offsets: Int32Array;
  private chunks: Uint8Array[] = [];
  private length = 0;
  /** the next id whose start offset is not set yet */
  private next = 0;
  constructor(private readonly size: number) {
    this.offsets = new Int32Array(size + 1);
  }
  /** Sets the bytes of ids in increasing order (ids skipped get empty strings). */
  put(id: number, bytes: Uint8Array | null): void {
    while (this.next <= id) this.offsets[this.next++] = this.length;
    if (bytes && bytes.length) {
      this.chunks.push(bytes);
      this.length += bytes.length;
    }
  }
  finish(): { offsets: Int32Array; bytes: Uint8Array } {
    while (this.next <= this.size) this.offsets[this.next++] = this.length;
    const bytes = new Uint8Array(this.length);
    let w = 0;
    for (const c of this.chunks) { bytes.set(c, w); w += c.length; }
    this.chunks = [];
    return { offsets: this.offsets, bytes };
  }
}

/** Parses tokenizer.json (text or parsed JSON) and tokenizer_config.json into a spec. */
export function hfSpec(json: string | object, config: string | object | null = null, opts: HfLoadOptions = {}): TokenizerSpec {
  const file = opts.file ?? 'tokenizer.json';
  const configFile = opts.configFile ?? 'tokenizer_config.json';
  const rootValue = typeof json === 'string' ? parseJsonFile(json, file) : (json as Json);
  const configValue = typeof config === 'string' ? parseJsonFile(config, configFile) : (config as Json | null);
  const root = new Field(file, '', rootValue);
  root.object();
  const cfg = new Field(configFile, '', configValue ?? {});
  cfg.object();

  // ---- model ----
  const model = root.get('model');
  if (!model.present) model.fail('missing — a tokenizer.json needs a "model" section (a BPE vocabulary and merges); is this really a tokenizer.json?');
  model.object();
  const mtype = model.get('type');
  if (mtype.present && mtype.string() !== 'BPE') mtype.fail(`model type "${mtype.string()}" is not supported — only BPE models (GPT-2, Llama, Mistral, Qwen...) are`);
  const vocabField = model.get('vocab');
  const vocabObj = vocabField.object();
  const vocab = new Map<string, number>();
  let size = 0;
  const keys = Object.keys(vocabObj); // (faster than Object.entries on 100k+ keys)
  for (let k = 0; k < keys.length; k++) {
    const tok = keys[k], id = vocabObj[tok];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7ffffffe) vocabField.get(tok).fail('expected a non-negative integer id');
    vocab.set(tok, id as number);
    if ((id as number) >= size) size = (id as number) + 1;
  }

  for (const name of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const v = model.get(name);
    if (v.present && v.string() !== '') v.fail(`"${v.string()}" is not supported — only BPE models without word prefixes/suffixes are`);
  }
  const dropout = model.get('dropout');
  if (dropout.present && dropout.number() > 0) dropout.fail('BPE dropout is a training-time option — set it to null to tokenize deterministically');

  // ---- added tokens ----
  const addedTokens: AddedToken[] = [];
  const addedField = root.get('added_tokens');
  if (addedField.present) {
    for (const a of addedField.items()) {
      const special = a.get('special').bool(false);
      const t: AddedToken = {
        id: a.get('id').int(),
        content: a.get('content').string(),
        special,
        lstrip: a.get('lstrip').bool(false),
        rstrip: a.get('rstrip').bool(false),
        singleWord: a.get('single_word').bool(false),
        normalized: a.get('normalized').bool(!special),
      };
      addedTokens.push(t);
      size = Math.max(size, t.id + 1);
    }
  }

  // the id tables below are as long as the largest id: refuse ids that would make them mostly
  // holes (a damaged or hostile file claiming id 2^31 would otherwise exhaust the memory)
  const entries = vocab.size + addedTokens.length;
  if (size > Math.min(MAX_ID_SPACE, 4 * entries + 65_536)) {
    const big = addedTokens.find((t) => t.id + 1 === size);
    (big ? addedField.at(addedTokens.indexOf(big)).get('id') : vocabField).fail(
      `the largest token id is ${size - 1}, but the file holds only ${entries} tokens — the id tables would be ${size} entries long and mostly empty (at most 4 × the tokens + 65536, and ${MAX_ID_SPACE}); the ids are damaged (use the tokenizer.json the model was published with)`);
  }

  // ---- pipeline ----
  const normalizer = buildNormalizer(root.get('normalizer'));
  const pre = buildPreTokenizer(root.get('pre_tokenizer'), opts.useScanner ?? true);
  const byteLevel = pre.byteLevel;

  // ---- id tables ----
  const idToToken: string[] = new Array(size).fill('');
  const present = new Uint8Array(size);
  for (const [tok, id] of vocab) { idToToken[id] = tok; present[id] = 1; }
  const modelTokens = idToToken.slice();
  const addedByContent = new Map<string, number>();
  for (const t of addedTokens) {
    idToToken[t.id] = t.content;
    present[t.id] = 1;
    if (!addedByContent.has(t.content)) addedByContent.set(t.content, t.id);
  }
  const tokenToId = (token: string): number | undefined => addedByContent.get(token) ?? vocab.get(token);

  const model_ = new ByteTable(size);
  for (let id = 0; id < size; id++) {
    const tok = modelTokens[id];
    if (!tok) continue;
    model_.put(id, byteLevel ? tokenToBytes(tok) : utf8.encode(tok));
  }
  const modelTable = model_.finish();

  const byteIds = new Int32Array(256).fill(-1);
  const fallbackIds = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) {
    byteIds[b] = vocab.get(BYTE_TO_CHAR[b]) ?? -1;
    fallbackIds[b] = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
  }

  // ---- merges ----
  const mergesField = model.get('merges');
  const mergeItems = mergesField.present ? mergesField.array() : [];
  const merges = new Int32Array(mergeItems.length * 4);
  const notInVocab = (i: number, tok: string): never =>
    mergesField.at(i).fail(`token ${JSON.stringify(tok)} is not in model.vocab — the merges and the vocabulary come from different tokenizers; use the tokenizer.json the model was trained with`);
  for (let i = 0; i < mergeItems.length; i++) {
    const m = mergeItems[i];
    let a: string, b: string;
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp < 0 || m.indexOf(' ', sp + 1) >= 0) mergesField.at(i).fail(`expected "left right" (two tokens separated by one space), got ${JSON.stringify(m)}`);
      a = m.slice(0, sp);
      b = m.slice(sp + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      a = m[0];
      b = m[1];
    } else {
      return mergesField.at(i).fail('expected "left right" or ["left", "right"]');
    }
    const left = vocab.get(a), right = vocab.get(b);
    if (left === undefined) notInVocab(i, a);
    if (right === undefined) notInVocab(i, b);
    merges[4 * i] = left!;
    merges[4 * i + 1] = right!;
    merges[4 * i + 2] = -1; // the engine looks up left+right (fast, on bytes)
    merges[4 * i + 3] = i;
  }
  /** The engine found merge i's result missing: say which token, in the file's terms. */
  const onMergeError = (i: number): never => {
    const m = mergeItems[i];
    const [a, b] = typeof m === 'string' ? [m.slice(0, m.indexOf(' ')), m.slice(m.indexOf(' ') + 1)] : (m as string[]);
    if (!vocab.has(a + b)) return notInVocab(i, a + b);
    return mergesField.at(i).fail(`${JSON.stringify(a)} or ${JSON.stringify(b)} holds characters outside the byte-level alphabet — this vocabulary does not fit its ByteLevel pre-tokenizer`);
  };

  // ---- unk / flags ----
  const unkField = model.get('unk_token');
  let unkId = -1;
  if (unkField.present) {
    const u = vocab.get(unkField.string());
    if (u === undefined) unkField.fail(`"${unkField.string()}" is not in model.vocab — add it to the vocabulary or set unk_token to null`);
    unkId = u!;
  }

  // ---- decoding ----
  const decField = root.get('decoder');
  const decoder = buildDecoder(decField);
  const fast = opts.fastDecode === false ? null : fastDecodePlan(decField);
  const dec = new ByteTable(size);
  const decodeFlags = new Uint8Array(size);
  const specialIds = new Set(addedTokens.filter((t) => t.special).map((t) => t.id));
  for (let id = 0; id < size; id++) {
    if (!present[id]) { decodeFlags[id] = 4; dec.put(id, null); continue; }
    if (specialIds.has(id)) decodeFlags[id] |= 2;
    if (fast) {
      const { bytes, byte } = fast.tokenBytes(idToToken[id]);
      if (byte) decodeFlags[id] |= 1;
      dec.put(id, bytes);
    }
  }
  const decTable = dec.finish();

  const tables: EngineTables = {
    size,
    modelOffsets: modelTable.offsets,
    modelBytes: modelTable.bytes,
    merges,
    byteIds,
    fallbackIds,
    byteLevel,
    ignoreMerges: model.get('ignore_merges').bool(false),
    byteFallback: model.get('byte_fallback').bool(false),
    fuseUnk: model.get('fuse_unk').bool(false),
    unkId,
    decodeOffsets: decTable.offsets,
    decodeBytes: decTable.bytes,
    decodeFlags,
    onMergeError,
  };

  // ---- specials ----
  const idOf = tokenToId;
  const wrap = buildSpecialWrap(root.get('post_processor'), cfg, idOf);
  const specialId = (name: string): number | null => {
    const content = configTokenContent(cfg.get(name));
    return content === null ? null : (idOf(content) ?? null);
  };

  return {
    source: file,
    tables,
    idToToken,
    tokenToId,
    normalizer,
    pre,
    addedTokens,
    wrap,
    decoder,
    fastDecode: fast,
    bosId: specialId('bos_token'),
    eosId: specialId('eos_token'),
    config: (configValue ?? {}) as Record<string, unknown>,
  };
}

/** A Tokenizer from tokenizer.json (+ tokenizer_config.json) contents. */
export async function tokenizerFromJSON(json: string | object, config: string | object | null = null, opts: HfLoadOptions = {}): Promise<Tokenizer> {
  return Tokenizer.create(hfSpec(json, config, opts));
}

/** Synchronous variant (Node, Deno, workers). */
export function tokenizerFromJSONSync(json: string | object, config: string | object | null = null, opts: HfLoadOptions = {}): Tokenizer {
  return Tokenizer.createSync(hfSpec(json, config, opts));
}

export { TokenizerFileError };
