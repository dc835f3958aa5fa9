// llama2.c's tokenizer.bin: reading (-> TokenizerSpec with run.c's encode semantics) and writing.
//
// Format (little-endian): u32 max_token_length, then per token id 0, 1, 2, ...: f32 score,
// u32 byte length, the bytes. The vocabulary size is whatever the file holds. Conventions of
// run.c: ids 0 <unk>, 1 <s> (stored as "\n<s>\n"), 2 </s> ("\n</s>\n"); SentencePiece's "▁" is
// stored as a plain space; byte tokens are the strings "<0x00>".."<0xFF>" at ids 3..258.
//
// Encode (run.c's encode()): a dummy-prefix " " before non-empty text, one symbol per UTF-8
// character (a character missing from the vocabulary becomes its bytes as ids byte+3), then
// repeatedly merge the adjacent pair whose concatenation is a vocabulary token with the
// highest score (leftmost on ties) — here as merge ranks: pairs (a, b) -> ab for every split of
// every token, ranked by score (equal scores share a rank; scores <= -1e10 never merge, as in
// run.c). addSpecial puts <s> first, as run.c's generate does.
// Decode follows the Hugging Face Llama decoder (ByteFallback, Fuse, Strip one leading space):
// the same text run.c prints after <s>, and the same as the equivalent tokenizer.json.
import { TokenizerFileError, Field, type Json } from './errors.js';
import { buildDecoder, fastDecodePlan } from './decoders.js';
import type { AddedToken } from './added-tokens.js';
import type { EngineTables } from './engine.js';
import { MODE_WHOLE } from './patterns.js';
import { Tokenizer, type TokenizerSpec } from './tokenizer.js';

export interface Llama2cToken {
  /** token bytes as run.c stores them (spaces, not "▁") */
  bytes: Uint8Array;
  score: number;
}

/** Parses the records of a tokenizer.bin. */
export function readLlama2cTokens(data: Uint8Array, file = 'tokenizer.bin'): { maxTokenLength: number; tokens: Llama2cToken[] } {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 4) throw new TokenizerFileError(file, 'header', `${data.byteLength} bytes is too short for a llama2.c tokenizer.bin — the file is empty or damaged`);
  const maxTokenLength = dv.getUint32(0, true);
  if (maxTokenLength === 0 || maxTokenLength > 1 << 16) {
    throw new TokenizerFileError(file, 'max_token_length', `${maxTokenLength} is not plausible — this is not a llama2.c tokenizer.bin (a tokenizer.json must end in .json)`);
  }
  const tokens: Llama2cToken[] = [];
  let p = 4;
  while (p < data.byteLength) {
    const id = tokens.length;
    if (p + 8 > data.byteLength) throw new TokenizerFileError(file, `token ${id}`, `record header cut off at byte ${p} of ${data.byteLength} — the file is truncated`);
    const score = dv.getFloat32(p, true);
    const len = dv.getUint32(p + 4, true);
    if (len > maxTokenLength) throw new TokenizerFileError(file, `token ${id}`, `length ${len} exceeds max_token_length ${maxTokenLength} — the file is damaged`);
    if (p + 8 + len > data.byteLength) throw new TokenizerFileError(file, `token ${id}`, `bytes cut off at byte ${data.byteLength} — the file is truncated`);
    tokens.push({ bytes: data.slice(p + 8, p + 8 + len), score });
    p += 8 + len;
  }
  if (tokens.length < 3 + 256) {
    throw new TokenizerFileError(file, 'vocabulary', `${tokens.length} tokens: a llama2.c vocabulary has <unk>, <s>, </s> and the 256 byte tokens first — the file is not a llama2.c tokenizer.bin`);
  }
  return { maxTokenLength, tokens };
}

/** Writes a tokenizer.bin. */
export function writeLlama2cTokens(tokens: Llama2cToken[]): Uint8Array {
  const maxLen = tokens.reduce((m, t) => Math.max(m, t.bytes.length), 1);
  const size = 4 + tokens.reduce((n, t) => n + 8 + t.bytes.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, maxLen, true);
  let p = 4;
  for (const t of tokens) {
    dv.setFloat32(p, t.score, true);
    dv.setUint32(p + 4, t.bytes.length, true);
    out.set(t.bytes, p + 8);
    p += 8 + t.bytes.length;
  }
  return out;
}

const lossy = new TextDecoder('utf-8', { fatal: false });
const SPECIAL_NAMES = ['<unk>', '<s>', '</s>'];
const DECODER: Json = { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };

/** Byte-string key for maps. */
function key(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export function llama2cSpec(data: Uint8Array, file = 'tokenizer.bin'): TokenizerSpec {
  const { tokens } = readLlama2cTokens(data, file);
  const size = tokens.length;

  // model bytes and lookup (first id wins for duplicates, like a sorted-vocab search would find one)
  const offsets = new Int32Array(size + 1);
  const total = tokens.reduce((n, t) => n + t.bytes.length, 0);
  const modelBytes = new Uint8Array(total);
  const byKey = new Map<string, number>();
  let w = 0;
  tokens.forEach((t, id) => {
    offsets[id] = w;
    modelBytes.set(t.bytes, w);
    w += t.bytes.length;
    const k = key(t.bytes);
    if (!byKey.has(k)) byKey.set(k, id);
  });
  offsets[size] = w;

  // merge pairs from every split of every token, ranked by score (descending, ties share a rank)
  const scores = [...new Set(tokens.map((t) => Math.fround(t.score)).filter((s) => s > -1e10))].sort((a, b) => b - a);
  const rankOf = new Map(scores.map((s, i) => [s, i]));
  const quads: number[] = [];
  tokens.forEach((t, id) => {
    const r = rankOf.get(Math.fround(t.score));
    if (r === undefined || t.bytes.length < 2) return;
    const k = key(t.bytes);
    if (byKey.get(k) !== id) return; // a duplicate string: run.c's lookup finds the first
    for (let s = 1; s < k.length; s++) {
      const a = byKey.get(k.slice(0, s)), b = byKey.get(k.slice(s));
      if (a !== undefined && b !== undefined) quads.push(a, b, id, r);
    }
  });

  const fallbackIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) fallbackIds[b] = b + 3;
  const idToToken = tokens.map((t, id) => (id < 3 ? SPECIAL_NAMES[id] : lossy.decode(t.bytes)));
  const byString = new Map<string, number>();
  idToToken.forEach((t, id) => { if (!byString.has(t)) byString.set(t, id); });
  const tokenToId = (t: string) => byString.get(t);
  const addedTokens: AddedToken[] = SPECIAL_NAMES.map((content, id) => ({ id, content, special: true, lstrip: false, rstrip: false, singleWord: false, normalized: false }));

  const decField = new Field(file, 'decoder', DECODER);
  const fast = fastDecodePlan(decField)!;
  const decOffsets = new Int32Array(size + 1);
  const decChunks: Uint8Array[] = [];
  const decodeFlags = new Uint8Array(size);
  let dw = 0;
  for (let id = 0; id < size; id++) {
    decOffsets[id] = dw;
    const { bytes, byte } = id < 3 ? fast.tokenBytes(SPECIAL_NAMES[id]) : fast.tokenBytes(idToToken[id]);
    // keep the raw bytes of ordinary tokens (the lossy string would alter invalid ones)
    const raw = id < 3 || byte ? bytes : tokens[id].bytes;
    decChunks.push(raw);
    dw += raw.length;
    decodeFlags[id] = (byte ? 1 : 0) | (id < 3 ? 2 : 0);
  }
  decOffsets[size] = dw;
  const decodeBytes = new Uint8Array(dw);
  let o = 0;
  for (const c of decChunks) { decodeBytes.set(c, o); o += c.length; }

  const tables: EngineTables = {
    size, modelOffsets: offsets, modelBytes, merges: Int32Array.from(quads), byteIds: new Int32Array(256).fill(-1), fallbackIds,
    byteLevel: false, ignoreMerges: false, byteFallback: true, fuseUnk: false, unkId: -1,
    decodeOffsets: decOffsets, decodeBytes, decodeFlags,
  };
  return {
    source: file,
    tables,
    idToToken,
    tokenToId,
    normalizer: (s) => (s.length ? ' ' + s : s),
    pre: { stages: [], scan: { mode: MODE_WHOLE, maxDigits: 0 }, byteLevel: false },
    addedTokens,
    wrap: { prefix: [1], suffix: [] },
    decoder: buildDecoder(decField),
    fastDecode: fast,
    bosId: 1,
    eosId: 2,
    config: {},
  };
}

export async function tokenizerFromLlama2c(data: Uint8Array, file = 'tokenizer.bin'): Promise<Tokenizer> {
  return Tokenizer.create(llama2cSpec(data, file));
}

export function tokenizerFromLlama2cSync(data: Uint8Array, file = 'tokenizer.bin'): Tokenizer {
  return Tokenizer.createSync(llama2cSpec(data, file));
}
