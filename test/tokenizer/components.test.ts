// Normalizers, pre-tokenizers, added-token options, post-processors and decoders, on the GPT-2
// and Mistral vocabularies rewired with other components: against @huggingface/tokenizers where
// it follows the Rust crate, else against expectations written from the Rust crate's semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { buildPreTokenizer, splitWith } from '../../src/tokenizer/pretokenizers.js';
import { Field } from '../../src/tokenizer/errors.js';
import { gpt2TokenizerJson } from '../../tools/tokenizer/gpt2-tokenizer-json.js';
import { CASES, randomStrings, rng, someFortunes } from './corpus.js';
import { assertSameIds, assertSameText, lenmlDir, readJson } from './helpers.js';

const gpt2 = gpt2TokenizerJson().tokenizer;
const byteLevelTail = { type: 'ByteLevel', add_prefix_space: false, use_regex: false };
// @huggingface/tokenizers runs some steps with JavaScript's \s and \d (ASCII digits): keep the
// comparisons to texts where those agree with the Rust crate's Unicode classes
const comparable = [...CASES, ...someFortunes(40_000), ...randomStrings(61, 400, 30)].filter((s) => !/[\ufeff\u0085]/.test(s));

async function both(json: Record<string, unknown>): Promise<[Awaited<ReturnType<typeof tokenizerFromJSON>>, HfTokenizer]> {
  return [await tokenizerFromJSON(json), new HfTokenizer(json as never, {} as never)];
}

test('normalizers: Sequence[NFD, Lowercase, StripAccents, Replace(Regex), Strip] match the reference', async () => {
  const [ours, ref] = await both({
    ...gpt2,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }, { type: 'Replace', pattern: { Regex: '\\s{2,}' }, content: ' ' }, { type: 'Strip', strip_left: true, strip_right: true }] },
  });
  assertSameIds('normalizers', comparable, (s) => ours.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
  assert.equal(ours.encode('  Crème   BRÛLÉE '), ours.encode('creme brulee'));
});

test('pre-tokenizers: WhitespaceSplit, Digits, Split(String, Isolated), Split(Regex, Removed, invert) match the reference', async () => {
  const asciiDigits = comparable.filter((s) => !/[^\P{N}0-9]/u.test(s));
  const configs = [
    { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }, byteLevelTail] },
    { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: false }, { type: 'Split', pattern: { String: 'e' }, behavior: 'Isolated', invert: false }, byteLevelTail] },
    { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '\\p{L}+' }, behavior: 'Removed', invert: true }, byteLevelTail] },
    { type: 'ByteLevel', add_prefix_space: true, use_regex: true },
    { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: true, use_regex: true }] },
  ];
  for (const pre of configs) {
    const [ours, ref] = await both({ ...gpt2, pre_tokenizer: pre });
    assertSameIds(JSON.stringify(pre).slice(0, 80), asciiDigits, (s) => ours.encodeIds(s, { special: true }), (s) => ref.encode(s, { add_special_tokens: false }).ids);
  }
});

const pieces = (pre: object, s: string) => buildPreTokenizer(new Field('t.json', 'pre_tokenizer', pre as never), false).stages.reduce((p, st) => st(p, true), [s]);

test('pre-tokenizers as the Rust crate cuts (its own test strings)', () => {
  // Punctuation isolates every punctuation character (the reference groups runs of them)
  assert.equal(pieces({ type: 'Punctuation' }, 'Hey friend!     How are you?!?'), ['Hey friend', '!', '     How are you', '?', '!', '?']);
  assert.equal(pieces({ type: 'Digits', individual_digits: true }, 'Hey 123 friend!'), ['Hey ', '1', '2', '3', ' friend!']);
  assert.equal(pieces({ type: 'Digits', individual_digits: false }, 'Hey 123 friend!'), ['Hey ', '123', ' friend!']);
  assert.equal(pieces({ type: 'Digits', individual_digits: false }, 'x٣٤y'), ['x', '٣٤', 'y']); // char::is_numeric: any \p{N}
  assert.equal(pieces({ type: 'Whitespace' }, 'Hey man!'), ['Hey', 'man', '!']);
  assert.equal(pieces({ type: 'Whitespace' }, 'How are you doing?'), ['How', 'are', 'you', 'doing', '?']);
  assert.equal(pieces({ type: 'Whitespace' }, 'héllo, wörld'), ['héllo', ',', 'wörld']);
  assert.equal(pieces({ type: 'WhitespaceSplit' }, 'Hey man!  \u0085x'), ['Hey', 'man!', 'x']);
  assert.equal(pieces({ type: 'BertPreTokenizer' }, 'Hey friend!     How are you?!?'), ['Hey', 'friend', '!', 'How', 'are', 'you', '?', '!', '?']);
  assert.equal(pieces({ type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithNext', invert: false }, 'The-final--countdown'), ['The', '-final', '-', '-countdown']);
  // (the reference keeps the delimiters with a String pattern and Removed)
  assert.equal(pieces({ type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false }, ' a  b '), ['a', 'b']);
  assert.equal(pieces({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, 'Hey   friend!'), ['▁Hey', '▁', '▁', '▁friend!']);
  assert.equal(pieces({ type: 'ByteLevel', add_prefix_space: true, use_regex: true }, 'Hello my friend'), [' Hello', ' my', ' friend']);
});

test('split behaviors follow the Rust crate: "The-final--countdown" split on "-"', () => {
  const s = 'The-final--countdown';
  const spans: number[] = [];
  for (let i = s.indexOf('-'); i >= 0; i = s.indexOf('-', i + 1)) spans.push(i, i + 1);
  assert.equal(splitWith(s, spans, 'Removed', false), ['The', 'final', 'countdown']);
  assert.equal(splitWith(s, spans, 'Isolated', false), ['The', '-', 'final', '-', '-', 'countdown']);
  assert.equal(splitWith(s, spans, 'MergedWithPrevious', false), ['The-', 'final-', '-', 'countdown']);
  assert.equal(splitWith(s, spans, 'MergedWithNext', false), ['The', '-final', '-', '-countdown']);
  assert.equal(splitWith(s, spans, 'Contiguous', false), ['The', '-', 'final', '--', 'countdown']);
  assert.equal(splitWith(s, spans, 'Removed', true), ['-', '-', '-']);
  assert.equal(splitWith(s, spans, 'Isolated', true), ['The', '-', 'final', '-', '-', 'countdown']);
});

test('added tokens: lstrip / rstrip swallow whitespace, normalized tokens match normalized text, single_word', async () => {
  const added = (content: string, id: number, o: Record<string, boolean>) => ({ id, content, special: false, lstrip: false, rstrip: false, single_word: false, normalized: false, ...o });
  const json = {
    ...gpt2,
    normalizer: { type: 'Lowercase' },
    added_tokens: [
      ...(gpt2.added_tokens as object[]),
      added('<mask>', 50257, { lstrip: true, rstrip: true }),
      added('<Norm>', 50258, { normalized: true }),
      added('cat', 50259, { single_word: true }),
    ],
  };
  const [ours, ref] = await both(json);
  for (const s of ['a <mask> b', 'a<mask>b', 'x \t<mask>\n y', '<mask>', ' <mask> ', 'A <NORM> b <norm>']) {
    assert.equal(ours.encode(s), ref.encode(s, { add_special_tokens: false }).ids, JSON.stringify(s));
  }
  assert.equal(ours.encode('a <mask> b'), [...ours.encode('a'), 50257, ...ours.encode('b')]);
  assert.ok(ours.encode('<NORM>').includes(50258));
  // single_word: only when not touching a word character (the reference ignores single_word)
  assert.ok(ours.encode('a cat b').includes(50259));
  assert.ok(ours.encode('cat').includes(50259));
  assert.not.ok(ours.encode('concatenate').includes(50259));
  assert.not.ok(ours.encode('cats').includes(50259));
});

test('post-processors: Bert / Roberta / TemplateProcessing with EOS / Sequence', async () => {
  const make = async (post: object, config: object = {}) => tokenizerFromJSON({ ...gpt2, post_processor: post }, config);
  const hi = (await make({ type: 'ByteLevel' })).encode('hi');
  assert.equal((await make({ type: 'BertProcessing', cls: ['<|endoftext|>', 50256], sep: ['!', 0] })).encode('hi', { addSpecial: true }), [50256, ...hi, 0]);
  assert.equal((await make({ type: 'RobertaProcessing', cls: ['<|endoftext|>', 50256], sep: ['!', 0] })).encode('hi', { addSpecial: true }), [50256, ...hi, 0]);
  const tpl = { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }], special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [50256], tokens: ['<|endoftext|>'] } } };
  assert.equal((await make(tpl)).encode('hi', { addSpecial: true }), [...hi, 50256]);
  assert.equal((await make({ type: 'Sequence', processors: [{ type: 'ByteLevel' }, tpl] })).encode('hi', { addSpecial: true }), [...hi, 50256]);
  assert.equal((await make(tpl)).encode('hi'), hi);
  // tokenizer_config.json flags take precedence over the template
  assert.equal((await make(tpl, { add_bos_token: true, bos_token: '<|endoftext|>', add_eos_token: false })).encode('hi', { addSpecial: true }), [50256, ...hi]);
});

test('decoders: the generic chain equals the wasm fast path on arbitrary id sequences', async () => {
  const mistral = readJson(path.join(lenmlDir('llama2'), 'tokenizer.json'));
  for (const [name, json, size] of [['gpt2', gpt2, 50257], ['mistral', mistral, 32000]] as const) {
    const fast = await tokenizerFromJSON(json), slow = await tokenizerFromJSON(json, null, { fastDecode: false });
    const next = rng(71);
    const seqs = Array.from({ length: 400 }, () => Array.from({ length: 1 + Math.floor(next() * 10) }, () => (next() < 0.3 ? Math.floor(next() * 260) : Math.floor(next() * size))));
    for (const ids of seqs) {
      assert.is(fast.decode(ids), slow.decode(ids), `${name} ${JSON.stringify(ids)}`);
      assert.is(fast.decode(ids, { skipSpecial: true }), slow.decode(ids, { skipSpecial: true }), `${name} skip ${JSON.stringify(ids)}`);
    }
    assertSameText(`${name} text`, CASES, (s) => slow.decode(fast.encodeIds(s)), (s) => fast.decode(fast.encodeIds(s)));
  }
});

test('decoders: Strip, Replace, BPEDecoder, Metaspace and no decoder, as the Rust crate runs them', async () => {
  const vocab = { '▁▁': 0, '▁a': 1, 'b': 2, 'c</w>': 3, 'xx': 4, '<0x41>': 5 };
  const make = (decoder: object | null) => tokenizerFromJSON({ model: { type: 'BPE', vocab, merges: [] }, decoder });
  assert.is((await make({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' })).decode([0, 1, 2]), ' ab'); // every ▁ of the first token goes
  assert.is((await make({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'never' })).decode([0, 1, 2]), '   ab');
  assert.is((await make({ type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: 'x' }, content: 'y' }, { type: 'Strip', content: 'y', start: 1, stop: 0 }] })).decode([4, 4]), 'yy');
  assert.is((await make({ type: 'BPEDecoder', suffix: '</w>' })).decode([3, 2, 3]), 'c bc');
  assert.is((await make(null)).decode([2, 4]), 'b xx');
  assert.is((await make({ type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] })).decode([5, 2]), 'Ab');
});

test.run();
