// Llama 2: a tokenizer.json and a llama2.c tokenizer.bin built from the vocabulary and merges
// llama-tokenizer-js embeds (tools/tokenizer/llama2-tokenizer.ts), checked against
// llama-tokenizer-js and against each other; plus llama2.c file errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import llamaTokenizer from 'llama-tokenizer-js';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { readLlama2cTokens, tokenizerFromLlama2c, writeLlama2cTokens } from '../../src/tokenizer/index.js';
import { writeLlama2Tokenizer } from '../../tools/tokenizer/llama2-tokenizer.js';
import { CASES, corpus } from './corpus.js';
import { assertSameIds, assertSameText, checkStream, tempDir, throwsMatching } from './helpers.js';

const dir = tempDir('llama2');
const files = writeLlama2Tokenizer(dir);
const json = await loadTokenizer(files.json);
const bin = await loadTokenizer(files.bin);
const texts = corpus(150_000, 51);

test('tokenizer.json: identical ids to llama-tokenizer-js (BOS and the dummy-prefix space)', () => {
  const nonEmpty = texts.filter((s) => s.length > 0);
  assertSameIds('llama-tokenizer-js', nonEmpty, (s) => json.encodeIds(s, { addSpecial: true }), (s) => llamaTokenizer.encode(s, true, true));
  assert.equal(json.encode('', { addSpecial: true }), [1]); // (llama-tokenizer-js gives [] for "")
});

test('tokenizer.json: decode agrees with llama-tokenizer-js and round-trips', () => {
  const plain = texts.filter((s) => s.length > 0 && !s.includes('\u2581'));
  assertSameText('decode', plain, (s) => json.decode(json.encodeIds(s, { addSpecial: true }), { skipSpecial: true }), (s) => llamaTokenizer.decode(llamaTokenizer.encode(s, true, true), true, true));
  assertSameText('round trip', plain, (s) => json.decode(json.encodeIds(s)), (s) => s);
});

test('tokenizer.bin (run.c semantics: merges by score) gives the ids of the tokenizer.json', () => {
  // a literal "▁" in the text is the one difference: the .bin vocabulary spells it as a space, so
  // run.c falls back to its three byte tokens (tested below)
  const comparable = texts.filter((s) => !s.includes('\u2581'));
  assertSameIds('bin vs json', comparable, (s) => bin.encodeIds(s, { addSpecial: true }), (s) => json.encodeIds(s, { addSpecial: true }));
  assertSameIds('bin vs llama-tokenizer-js', comparable.filter((s) => s.length), (s) => bin.encodeIds(s, { addSpecial: true }), (s) => llamaTokenizer.encode(s, true, true));
  assert.equal(bin.encode('\u2581'), [bin.tokenToId(' ')!, 0xe2 + 3, 0x96 + 3, 0x81 + 3]);
});

test('tokenizer.bin: decode equals the tokenizer.json decode; specials; streaming', () => {
  assertSameText('decode', texts, (s) => bin.decode(json.encodeIds(s, { addSpecial: true, special: true })), (s) => json.decode(json.encodeIds(s, { addSpecial: true, special: true })));
  assert.is(bin.bosTokenId, 1);
  assert.is(bin.eosTokenId, 2);
  assert.is(bin.idToToken(1), '<s>');
  assert.equal(bin.encode('<s>x', { special: true }), [1, ...bin.encode('x')]);
  assert.not.ok(bin.encode('<s>x').includes(1));
  for (const s of CASES) checkStream(JSON.stringify(s).slice(0, 30), (x) => bin.decode(x), bin.decodeStream(), bin.encode(s, { addSpecial: true }));
});

test('tokenizer.bin: write -> read keeps every token and score', () => {
  const data = fs.readFileSync(files.bin);
  const { tokens, maxTokenLength } = readLlama2cTokens(new Uint8Array(data));
  assert.is(tokens.length, 32000);
  assert.is(new TextDecoder().decode(tokens[1].bytes), '\n<s>\n');
  assert.is(new TextDecoder().decode(tokens[3].bytes), '<0x00>');
  assert.ok(maxTokenLength >= 16);
  assert.equal(writeLlama2cTokens(tokens), new Uint8Array(data));
});

test('tokenizer.bin: damaged files get an error naming the file and the record', async () => {
  const data = new Uint8Array(fs.readFileSync(files.bin));
  throwsMatching(() => readLlama2cTokens(data.subarray(0, data.length - 3), 'tok.bin'), /^tok\.bin: token 31999: bytes cut off .* truncated/);
  throwsMatching(() => readLlama2cTokens(data.subarray(0, 2), 'tok.bin'), /^tok\.bin: header: 2 bytes is too short/);
  throwsMatching(() => readLlama2cTokens(new Uint8Array([0, 0, 0, 0]), 'tok.bin'), /max_token_length: 0 is not plausible/);
  throwsMatching(() => readLlama2cTokens(writeLlama2cTokens([{ bytes: new Uint8Array([65]), score: 0 }]), 'tok.bin'), /vocabulary: 1 tokens/);
  const garbage = path.join(dir, 'garbage.bin');
  fs.writeFileSync(garbage, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  await tokenizerFromLlama2c(new Uint8Array(fs.readFileSync(garbage)), garbage).then(
    () => assert.unreachable('expected an error'),
    (e: Error) => assert.match(e.message, /garbage\.bin: max_token_length: \d+ is not plausible/),
  );
});

test.run();
