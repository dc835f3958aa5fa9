// The tokenizer: text -> ids -> text. Built by the loaders (hf-json.ts for tokenizer.json,
// llama2c.ts for llama2.c's tokenizer.bin) from a TokenizerSpec; runtime-agnostic (no node:).
//
// encode(text):
//   1. added tokens are cut out (special ones only with {special: true}), the text between them
//      normalized (added-tokens.ts);
//   2. each text segment goes through the JavaScript pre-tokenizer stages, then the wasm engine
//      scans the pieces with the final split pattern and runs BPE on each word (cache per word);
//   3. with {addSpecial: true}, BOS/EOS as the config says (post-processor.ts).
// decode(ids): the decoder chain, through the wasm decode table when the chain has a fast plan
//   (decoders.ts), else the generic chain over token strings.
import { BpeEngine, type EngineTables } from './engine.js';
import { AddedVocabulary, type AddedToken } from './added-tokens.js';
import type { Normalizer } from './normalizers.js';
import type { PreTokenizerPlan } from './pretokenizers.js';
import type { ScanMode } from './patterns.js';
import { applyStrips, type FastDecodePlan } from './decoders.js';
import type { SpecialWrap } from './post-processor.js';
import { DecodeStream } from './stream.js';

export interface EncodeOptions {
  /** match special-token literals in the text as special tokens (default false: plain text) */
  special?: boolean;
  /** add BOS/EOS as the tokenizer's config says (default false) */
  addSpecial?: boolean;
}

export interface DecodeOptions {
  /** leave out special tokens (default false) */
  skipSpecial?: boolean;
  /** transformers' clean_up_tokenization_spaces: " ." -> ".", " n't" -> "n't", ... (default
   *  false: decoding stays lossless, as the tokenizers library does) */
  cleanUpSpaces?: boolean;
}

/** transformers' clean_up_tokenization. */
export function cleanUpTokenizationSpaces(text: string): string {
  return text.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

export interface TokenizerSpec {
  /** where it came from, for messages */
  source: string;
  tables: EngineTables;
  /** token string of each id ('' marks a gap) */
  idToToken: string[];
  /** token string -> id (added tokens first, then the model vocabulary) */
  tokenToId: (token: string) => number | undefined;
  normalizer: Normalizer | null;
  pre: PreTokenizerPlan;
  addedTokens: AddedToken[];
  wrap: SpecialWrap;
  decoder: (tokens: string[]) => string;
  fastDecode: FastDecodePlan | null;
  bosId: number | null;
  eosId: number | null;
  /** tokenizer_config.json (or {}), for chat templates and the like */
  config: Record<string, unknown>;
}

const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const EMPTY = new Int32Array(0);

export class Tokenizer {
  readonly source: string;
  /** number of token ids (model vocabulary and added tokens) */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** ids of the special added tokens */
  readonly specialIds: ReadonlySet<number>;
  readonly addedTokens: readonly AddedToken[];
  readonly config: Readonly<Record<string, unknown>>;
  private readonly added: AddedVocabulary | null;
  private readonly spec: TokenizerSpec;

  constructor(private readonly engine: BpeEngine, spec: TokenizerSpec) {
    this.spec = spec;
    this.source = spec.source;
    this.vocabSize = spec.tables.size;
    this.bosTokenId = spec.bosId;
    this.eosTokenId = spec.eosId;
    this.addedTokens = spec.addedTokens;
    this.config = spec.config;
    this.specialIds = new Set(spec.addedTokens.filter((t) => t.special).map((t) => t.id));
    this.added = spec.addedTokens.length ? new AddedVocabulary(spec.addedTokens, spec.normalizer) : null;
  }

  static async create(spec: TokenizerSpec): Promise<Tokenizer> {
    return new Tokenizer(await BpeEngine.create(spec.tables), spec);
  }
  static createSync(spec: TokenizerSpec): Tokenizer {
    return new Tokenizer(BpeEngine.createSync(spec.tables), spec);
  }

  /** Token ids of text as an Int32Array. */
  encodeIds(text: string, opts: EncodeOptions = {}): Int32Array {
    const ids = this.encodeView(text, opts);
    return ids.buffer === this.lastView ? ids.slice() : ids;
  }

  /** Token ids of text. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.encodeView(text, opts);
    const out: number[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = ids[i];
    return out;
  }

  /** wasm memory behind the last view encodeView returned (views die at the next call) */
  private lastView: ArrayBufferLike | null = null;

  /** The ids, possibly as a view into wasm memory (then lastView is its buffer). */
  private encodeView(text: string, opts: EncodeOptions): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`encode expects a string, got ${text === null ? 'null' : typeof text}`);
    this.lastView = null;
    const { pre, wrap, normalizer } = this.spec;
    const special = opts.special ?? false;
    const addSpecial = opts.addSpecial ?? false;
    const prefix = addSpecial ? wrap.prefix : [];
    const suffix = addSpecial ? wrap.suffix : [];
    const scanAdded = this.added !== null && this.added.needsScan(special);
    if (!scanAdded && pre.stages.length === 0) {
      // the common case: one wasm call
      const s = normalizer ? normalizer(text) : text;
      const ids = s.length ? this.engine.encode(s, pre.scan) : EMPTY;
      if (prefix.length === 0 && suffix.length === 0) {
        this.lastView = ids.buffer;
        return ids;
      }
      const out = new Int32Array(prefix.length + ids.length + suffix.length);
      out.set(prefix);
      out.set(ids, prefix.length);
      out.set(suffix, prefix.length + ids.length);
      return out;
    }
    const parts: (Int32Array | number)[] = [...prefix];
    const segments = scanAdded ? this.added!.segments(text, special) : [{ text: normalizer ? normalizer(text) : text, first: true }];
    let total = prefix.length + suffix.length;
    for (const seg of segments) {
      if (typeof seg === 'number') { parts.push(seg); total++; continue; }
      if (!seg.text.length) continue;
      let ids: Int32Array;
      if (pre.stages.length === 0) ids = this.engine.encode(seg.text, pre.scan).slice();
      else {
        let pieces = [seg.text];
        for (const st of pre.stages) pieces = st(pieces, seg.first);
        ids = this.engine.encodePieces(pieces, pre.scan).slice();
      }
      parts.push(ids);
      total += ids.length;
    }
    parts.push(...suffix);
    const out = new Int32Array(total);
    let w = 0;
    for (const p of parts) {
      if (typeof p === 'number') out[w++] = p;
      else { out.set(p, w); w += p.length; }
    }
    return out;
  }

  /** Text of token ids. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const text = this.decodeRaw(ids, opts.skipSpecial ?? false);
    return opts.cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
  }

  private decodeRaw(ids: ArrayLike<number>, skip: boolean): string {
    const fast = this.spec.fastDecode;
    if (fast) {
      const bytes = this.engine.decodeBytes(ids, (skip ? 1 : 0) | (fast.runs ? 2 : 0));
      return applyStrips(lossy.decode(bytes), fast.strips);
    }
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = Number.isInteger(id) ? this.spec.idToToken[id] : undefined;
      if (t === undefined || (t === '' && this.spec.tokenToId('') === undefined)) {
        throw new RangeError(`token id ${String(id)} at position ${i} is not in the vocabulary (ids run from 0 to ${this.vocabSize - 1})`);
      }
      if (skip && this.specialIds.has(id)) continue;
      tokens.push(t);
    }
    return this.spec.decoder(tokens);
  }

  /** A decoder that takes ids one at a time and returns only complete text. */
  decodeStream(opts: DecodeOptions = {}): DecodeStream {
    return new DecodeStream((ids) => this.decode(ids, opts));
  }

  tokenToId(token: string): number | undefined {
    return this.spec.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    const t = this.spec.idToToken[id];
    return t === '' && this.spec.tokenToId('') === undefined ? undefined : t;
  }

  /** Forget the per-word cache (it refills as text is encoded). */
  clearCache(): void {
    this.engine.clearCache();
  }

  /** Test hook: the pieces a wasm scanner (default: this tokenizer's) cuts text into. */
  scanPieces(text: string, scan: ScanMode = this.spec.pre.scan): string[] {
    return this.engine.scanPieces(text, scan);
  }

  /** Test hook: words of up to n symbols use the quadratic merge loop, longer ones the heap. */
  setSmallWordLimit(n: number): void {
    this.engine.setSmallLimit(n, this.spec.tables);
    this.engine.clearCache();
  }
}
