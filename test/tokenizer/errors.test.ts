// Bad tokenizer files: each gets one error that names the file and the field, says what is wrong
// and what to do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { hfSpec, tokenizerFromJSON, TokenizerFileError } from '../../src/tokenizer/index.js';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { rejectsMatching, tempDir, throwsMatching } from './helpers.js';

/** A small valid byte-level tokenizer.json to break in different ways. */
function good(): Record<string, any> {
  return {
    version: '1.0',
    added_tokens: [{ id: 5, content: '<eos>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false }],
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: false, use_regex: true }] },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, c: 3, abc: 4 }, merges: ['a b', 'ab c'] },
  };
}

const spec = (j: unknown, config: unknown = null) => hfSpec(j as object, config as object | null, { file: 'tok.json', configFile: 'tok_config.json' });

test('the good file loads', () => {
  const s = spec(good());
  assert.is(s.tables.size, 6);
});

test('invalid JSON names the file', () => {
  const msg = throwsMatching(() => hfSpec('{"model": ', null, { file: 'tok.json' }), /^tok\.json: not valid JSON \(/, /damaged or is not a tokenizer file/);
  assert.instance((() => { try { hfSpec('nope', null, { file: 'x' }); } catch (e) { return e; } })(), TokenizerFileError);
  assert.ok(msg.length < 300);
  throwsMatching(() => hfSpec(good(), '{oops', { configFile: 'cfg.json' }), /^cfg\.json: not valid JSON/);
});

test('missing or unsupported model section', () => {
  const j = good();
  delete j.model;
  throwsMatching(() => spec(j), /^tok\.json: model: missing — a tokenizer\.json needs a "model" section/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, type: 'Unigram' } }), /^tok\.json: model\.type: model type "Unigram" is not supported — only BPE models/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, vocab: { a: 'zero' } } }), /^tok\.json: model\.vocab\.a: expected a non-negative integer id/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, vocab: [] } }), /^tok\.json: model\.vocab: expected an object, got an array/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, unk_token: '<unk>' } }), /^tok\.json: model\.unk_token: "<unk>" is not in model\.vocab — add it to the vocabulary or set unk_token to null/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, dropout: 0.1 } }), /model\.dropout: BPE dropout is a training-time option/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, continuing_subword_prefix: '##' } }), /model\.continuing_subword_prefix: "##" is not supported/);
});

test('merges that name unknown tokens, or are malformed', async () => {
  throwsMatching(() => spec({ ...good(), model: { ...good().model, merges: ['a b', 'zz c'] } }), /^tok\.json: model\.merges\[1\]: token "zz" is not in model\.vocab — the merges and the vocabulary come from different tokenizers/);
  // the merged token is looked up when the engine is built
  await rejectsMatching(() => tokenizerFromJSON({ ...good(), model: { ...good().model, merges: ['a b', 'a c'] } }, null, { file: 'tok.json' }), /^tok\.json: model\.merges\[1\]: token "ac" is not in model\.vocab/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, merges: ['a b c'] } }), /model\.merges\[0\]: expected "left right" \(two tokens separated by one space\)/);
  throwsMatching(() => spec({ ...good(), model: { ...good().model, merges: [['a', 'b'], 7] } }), /model\.merges\[1\]: expected "left right" or \["left", "right"\]/);
  assert.is(spec({ ...good(), model: { ...good().model, merges: [['a', 'b'], ['ab', 'c']] } }).tables.merges.length, 8);
});

test('unknown component types name the path inside the file and list the supported ones', () => {
  const j = good();
  j.pre_tokenizer.pretokenizers[0] = { type: 'Frobnicate' };
  throwsMatching(() => spec(j), /^tok\.json: pre_tokenizer\.pretokenizers\[0\]\.type: unknown pre-tokenizer type "Frobnicate" — supported: Split, ByteLevel, Metaspace/);
  throwsMatching(() => spec({ ...good(), normalizer: { type: 'Precompiled' } }), /^tok\.json: normalizer\.type: unknown normalizer type "Precompiled" — supported: NFC/);
  throwsMatching(() => spec({ ...good(), decoder: { type: 'Sequence', decoders: [{ type: 'CTC' }] } }), /^tok\.json: decoder\.decoders\[0\]\.type: unknown decoder type "CTC"/);
  throwsMatching(() => spec({ ...good(), post_processor: { type: 'Magic' } }), /^tok\.json: post_processor\.type: unknown post-processor type "Magic"/);
  throwsMatching(() => spec({ ...good(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(?>x)' }, behavior: 'Isolated' } }), /^tok\.json: pre_tokenizer\.pattern\.Regex: an atomic group .* is not supported/);
  throwsMatching(() => spec({ ...good(), pre_tokenizer: { type: 'Split', pattern: { String: 'x' }, behavior: 'Sideways' } }), /pre_tokenizer\.behavior: unknown split behavior "Sideways" — supported: Removed, Isolated/);
  throwsMatching(() => spec({ ...good(), pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'ByteLevel' }, { type: 'Digits' }] } }), /pre_tokenizer: a ByteLevel pre-tokenizer must be the last one/);
  throwsMatching(() => spec({ ...good(), pre_tokenizer: { type: 'Metaspace', prepend_scheme: 'sometimes' } }), /pre_tokenizer\.prepend_scheme: unknown prepend_scheme "sometimes"/);
});

test('tokenizer_config.json: a BOS flag with no usable token names the config file', () => {
  throwsMatching(() => spec(good(), { add_bos_token: true }), /^tok_config\.json: bos_token: missing — add_bos_token is true, so bos_token must name a token/);
  throwsMatching(() => spec(good(), { add_bos_token: true, bos_token: '<nope>' }), /^tok_config\.json: bos_token: "<nope>" is not a token of tokenizer\.json/);
  assert.equal(spec(good(), { add_eos_token: true, eos_token: { content: '<eos>' } }).wrap, { prefix: [], suffix: [5] });
  throwsMatching(() => spec({ ...good(), post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], special_tokens: {} } }), /post_processor\.single\[0\]\.SpecialToken\.id: "<bos>" is not in post_processor\.special_tokens/);
});

test('loading from paths names the path (and reads tokenizer_config.json from beside it)', async () => {
  const dir = tempDir('tokerr');
  const bad = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(bad, JSON.stringify({ ...good(), model: { ...good().model, merges: ['q b'] } }));
  await rejectsMatching(() => loadTokenizer(bad), new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: model\\.merges\\[0\\]: token "q"`));
  fs.writeFileSync(bad, JSON.stringify(good()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"add_bos_token": tru');
  await rejectsMatching(() => loadTokenizer(bad), /tokenizer_config\.json: not valid JSON/);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"add_eos_token": true, "eos_token": "<eos>"}');
  const t = await loadTokenizer(dir);
  assert.equal(t.encode('ab', { addSpecial: true }), [2, 5]);
  await rejectsMatching(() => loadTokenizer(path.join(dir, 'missing.json')), /missing\.json: cannot read it \(no such file\)/);
  const empty = tempDir('tokempty');
  await rejectsMatching(() => loadTokenizer(empty), /holds neither tokenizer\.json nor tokenizer\.bin/);
});

test.run();
