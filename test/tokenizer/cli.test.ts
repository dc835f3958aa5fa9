// `sppo tokenize` end to end, as a subprocess: JSON strings in, one JSON id array per line out
// (nothing else on stdout), --special, --add-special, --decode, llama2.c files, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { encode as gptEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { writeGpt2Tokenizer } from '../../tools/tokenizer/gpt2-tokenizer-json.js';
import { writeLlama2Tokenizer } from '../../tools/tokenizer/llama2-tokenizer.js';
import { loadTokenizer } from '../../src/tokenizer/node.js';
import { CASES, someFortunes } from './corpus.js';
import { ROOT, lenmlDir, rejectsMatching, tempDir } from './helpers.js';
import { Readable, Writable } from 'node:stream';
import { runTokenize } from '../../src/cli/tokenize.js';

const dir = tempDir('tokcli');
const gpt2 = writeGpt2Tokenizer(path.join(dir, 'gpt2'));
const llama2 = writeLlama2Tokenizer(path.join(dir, 'llama2'));
const mistral = path.join(lenmlDir('llama2'), 'tokenizer.json');

function sppo(args: string[], input: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'tokenize', ...args], { input, encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
const lines = (out: string) => out.split('\n').slice(0, -1);

test('encode: one JSON id array per input line, in order, nothing else on stdout', () => {
  const texts = [...CASES.filter((s) => !/[\ufeff\u0085]/.test(s)), ...someFortunes(200_000)];
  const r = sppo(['--tokenizer', gpt2], texts.map((s) => JSON.stringify(s)).join('\n') + '\n');
  assert.is(r.status, 0, r.stderr);
  const out = lines(r.stdout);
  assert.is(out.length, texts.length);
  out.forEach((l, i) => assert.is(l, JSON.stringify(gptEncode(texts[i], { disallowedSpecial: new Set() })), `line ${i + 1}`));
  assert.is(out[texts.indexOf('')], '[]');
});

/** runTokenize in this process (the option matrix; the subprocess runs above and below cover
 *  the real command line). */
async function inProcess(args: { tokenizer: string; decode?: boolean; special?: boolean; addSpecial?: boolean; skipSpecial?: boolean }, input: string): Promise<string[]> {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } });
  await runTokenize(args, Readable.from([input]), sink);
  return lines(out);
}

test('--special parses special-token literals; --add-special adds BOS from tokenizer_config.json', async () => {
  const input = ['"a<|endoftext|>b"', '"<s>hi"', '""'].join('\n');
  assert.equal((await inProcess({ tokenizer: gpt2, special: true }, input))[0], '[64,50256,65]');
  const tok = await loadTokenizer(mistral);
  const plain = await inProcess({ tokenizer: mistral }, input);
  const both = await inProcess({ tokenizer: mistral, special: true, addSpecial: true }, input);
  assert.is(plain[1], JSON.stringify(tok.encode('<s>hi')));
  assert.is(both[1], JSON.stringify([1, 1, ...tok.encode('hi')]));
  assert.is(both[2], '[1]');
  assert.equal(await inProcess({ tokenizer: llama2.json, decode: true, skipSpecial: true }, '[1, 15043]\n'), ['"Hello"']);
  assert.equal(await inProcess({ tokenizer: llama2.bin, addSpecial: true }, '"Hi"\n'), await inProcess({ tokenizer: llama2.json, addSpecial: true }, '"Hi"\n'));
});

test('--decode goes back (subprocess); a llama2.c tokenizer.bin works the same way', () => {
  const texts = ['Hello, world!', '', '日本語 \u{1F44D}', '  two  spaces ', 'line\nbreak'];
  const enc = sppo(['--tokenizer', llama2.bin, '--add-special'], texts.map((s) => JSON.stringify(s)).join('\n'));
  assert.is(enc.status, 0, enc.stderr);
  assert.ok(lines(enc.stdout).every((l) => l.startsWith('[1')));
  const dec = sppo(['--tokenizer', llama2.bin, '--decode', '--skip-special'], enc.stdout);
  assert.is(dec.status, 0, dec.stderr);
  assert.equal(lines(dec.stdout).map((l) => JSON.parse(l)), texts);
});

test('bad input: an error on stderr naming the line, exit 1, earlier lines still answered', () => {
  let r = sppo(['--tokenizer', gpt2], '"ok"\n42\n"never"\n');
  assert.is(r.status, 1);
  assert.equal(lines(r.stdout), ['[482]']);
  assert.match(r.stderr, /stdin line 2: expected a JSON string, got 42/);
  r = sppo(['--tokenizer', gpt2], 'not json\n');
  assert.match(r.stderr, /stdin line 1: not JSON — each line must be a JSON string, e\.g\. "Hello world"/);
  r = sppo(['--tokenizer', path.join(dir, 'nope.json')], '"x"\n');
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /nope\.json: cannot read it \(no such file\)/);
});

test('bad input in process: non-JSON, non-string and unknown ids name the line', async () => {
  await rejectsMatching(() => inProcess({ tokenizer: gpt2 }, 'not json\n'), /stdin line 1: not JSON — each line must be a JSON string, e\.g\. "Hello world"/);
  await rejectsMatching(() => inProcess({ tokenizer: gpt2, decode: true }, '[1, 2]\n[99999999]\n'), /stdin line 2: token id 99999999 at position 0 is not in the vocabulary/);
  await rejectsMatching(() => inProcess({ tokenizer: gpt2, decode: true }, '"text"\n'), /stdin line 1: expected a JSON array of integer token ids, got "text"/);
});

test.run();
