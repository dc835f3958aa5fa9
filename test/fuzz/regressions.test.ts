// The defects the fuzz suite found, pinned as plain tests (each failed before its fix):
//   tokenizer.json components nested 20000 deep    raw RangeError (stack overflow)    → TokenizerFileError
//   an added-token or vocab id of 1e9 / 2^31 − 2   out of memory (id tables)           → TokenizerFileError
//   a chat template calling range(1e9)             out of memory                       → ChatTemplateError
//   a chat template with nested range loops        runs for hours                      → ChatTemplateError
//   an HTTP judge logprob of 710 / 1000            P = NaN                              → invalid (retried)
//   an HTTP judge logprob of −1000 for A and B     hard answer (exp underflow)          → P from the ratio
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { tokenizerFromJSONSync, TokenizerFileError } from '../../src/tokenizer/index.js';
import { ChatTemplate, ChatTemplateError } from '../../src/tokenizer/chat.js';
import { parseCompletion } from '../../src/judge/http-protocol.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const tinyText = fs.readFileSync(path.join(root, 'test/fixtures/tiny/model/tokenizer.json'), 'utf8');
const tiny = () => JSON.parse(tinyText);

function throwsClear(f: () => unknown, cls: new (...a: never[]) => Error, msg: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, cls, `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, msg);
    return;
  }
  assert.unreachable('no error');
}

test('tokenizer.json: a pre-tokenizer, normalizer or decoder nested 20000 deep is one TokenizerFileError', () => {
  for (const [key, seq, list, leaf] of [
    ['pre_tokenizer', 'Sequence', 'pretokenizers', '{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}'],
    ['normalizer', 'Sequence', 'normalizers', '{"type":"NFC"}'],
    ['decoder', 'Sequence', 'decoders', '{"type":"ByteLevel"}'],
  ]) {
    const d = 20000;
    const nested = `{"type":"${seq}","${list}":[`.repeat(d) + leaf + ']}'.repeat(d);
    const text = JSON.stringify({ ...tiny(), [key]: null }).replace(`"${key}":null`, `"${key}":${nested}`);
    throwsClear(() => tokenizerFromJSONSync(text, null, { file: 'deep/tokenizer.json' }), TokenizerFileError, /^deep\/tokenizer\.json: .*nested more than 32 levels deep/);
  }
  // two levels, as real files have, still load
  const ok = { ...tiny(), pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Sequence', pretokenizers: [{ type: 'ByteLevel', add_prefix_space: false, use_regex: true }] }] } };
  assert.ok(tokenizerFromJSONSync(ok).encode('hello').length > 0);
});

test('tokenizer.json: ids that would make id tables of 1e9 entries are one TokenizerFileError (no allocation)', () => {
  const a = tiny();
  a.added_tokens[0].id = 1e9;
  throwsClear(() => tokenizerFromJSONSync(a, null, { file: 'ids/tokenizer.json' }), TokenizerFileError, /^ids\/tokenizer\.json: added_tokens\[0\]\.id: the largest token id is 1000000000, but the file holds only \d+ tokens/);
  const v = tiny();
  v.model.vocab.zz = 2 ** 31 - 2;
  throwsClear(() => tokenizerFromJSONSync(v, null, { file: 'ids/tokenizer.json' }), TokenizerFileError, /^ids\/tokenizer\.json: model\.vocab: the largest token id is 2147483646/);
  // sparse but plausible (added tokens past the vocabulary, as Qwen has) still loads
  const q = tiny();
  q.added_tokens[1].id = 60_000;
  assert.is(tokenizerFromJSONSync(q).vocabSize, 60_001);
});

test('chat template: range(1e9), nested range loops, loops over built-up lists and range step 0 are one ChatTemplateError naming the template', () => {
  const msgs = [{ role: 'user', content: 'hi' }];
  for (const t of ['{% for i in range(1000000000) %}{% endfor %}', '{{ range(100000000) | length }}',
    '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', '{{ range(1, 10, 0) }}',
    '{% set ns = namespace(l=[1]) %}{% for i in range(20) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{% for x in ns.l %}{% endfor %}']) {
    throwsClear(() => new ChatTemplate({ chat_template: t }).render(msgs), ChatTemplateError, /^chat template "default" (asked for range|called range\(\) with step 0|runs more than 100000 for-loop iterations)/);
  }
  assert.is(new ChatTemplate({ chat_template: '{% for i in range(3) %}{{ i }}{% endfor %}{{ range(2, 0, -1) | join(",") }}' }).render(msgs), '0122,1');
});

const body = (top: [string, number][]) => ({ choices: [{ message: { content: '' }, logprobs: { content: [{ token: top[0][0], logprob: top[0][1], top_logprobs: top.map(([token, logprob]) => ({ token, logprob })) }] } }] });

test('HTTP judge bodies: a logprob above 0 is invalid (asked again), very negative logprobs keep their ratio', () => {
  for (const lp of [710, 1000, 1e308]) {
    const p = parseCompletion(body([['A', lp], ['B', -1]]));
    assert.is(p.kind, 'invalid', `logprob ${lp}`);
  }
  const p = parseCompletion(body([['A', -1000], ['B', -1001]]));
  assert.is(p.kind, 'ok');
  assert.ok(p.kind === 'ok' && Math.abs(p.p - 1 / (1 + Math.exp(-1))) < 1e-12, JSON.stringify(p));
  const q = parseCompletion(body([['A', Math.log(0.6)], [' B', Math.log(0.2)], ['Sure', -0.1]]));
  assert.ok(q.kind === 'ok' && Math.abs(q.p - 0.75) < 1e-12, JSON.stringify(q));
});

test.run();
