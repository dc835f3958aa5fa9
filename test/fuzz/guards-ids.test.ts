// Issue 18, defects 5 (positions) and 6: ids are validated as integers in range, with file and
// line, wherever they are read — `sppo sft` no longer trains on ["a"], 1.7, null or 1e999 taken as
// 0 or 1; `sppo logprobs` names the line (not a flattened position) of an id outside the
// vocabulary and of 2³¹ (not −2147483648), and refuses a sequence past max_position_embeddings
// by its line, before any weights are read. Seeded: which line is bad, and where in it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenIds } from '../../src/model/ids.js';
import { Rng, SEED } from '../kernels/harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tiny = path.join(root, 'test/fixtures/tiny/model'); // vocab 258, 128 positions
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-guards-ids-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 300_000 });
const rng = new Rng((SEED ^ 0x1d5) >>> 0);

/** JSONL of good lines with one bad value at a seeded line and index; the raw text keeps 1e999 */
function data(name: string, bad: string, field: 'prompt_ids' | 'response_ids'): { file: string; line: number; index: number } {
  const n = rng.int(2, 6), line = rng.int(1, n + 1), len = rng.int(1, 5), index = rng.int(0, len);
  const rows: string[] = [];
  for (let l = 1; l <= n; l++) {
    const ids = (k: number) => Array.from({ length: k }, () => String(rng.int(0, 256)));
    const p = ['256', ...ids(2)], r = ids(len);
    if (l === line) (field === 'prompt_ids' ? p : r)[field === 'prompt_ids' ? Math.min(index, p.length - 1) : index] = bad;
    rows.push(`{"prompt_ids": [${p.join(', ')}], "response_ids": [${r.join(', ')}]}`);
  }
  const file = path.join(tmp, `${name}.jsonl`);
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return { file, line, index: field === 'prompt_ids' ? Math.min(index, 2) : index };
}

const s = suite('guards: ids are integers in range, named by file and line');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

s('tokenIds: no coercion, the field and index named', () => {
  for (const bad of ['a', 1.7, null, Infinity, -1, 2 ** 31, true, [1], {}]) {
    assert.throws(() => tokenIds([1, bad], 'response_ids', 'd.jsonl line 4', 258), (e: Error) => /^d\.jsonl line 4: "response_ids"\[1\] is .*, not a token id: each id must be an integer in \[0, 257\]/.test(e.message));
  }
  assert.throws(() => tokenIds('1,2', 'prompt_ids', 'f line 1'), /"prompt_ids" must be a list of token ids, got "1,2"/);
  assert.equal(tokenIds([0, 257], 'x', 'w', 258), [0, 257]);
});

s('sppo sft: ["a"], 1.7, null, 1e999, 258, 2³¹ are refused with file, line and index', () => {
  for (const [i, bad] of ['"a"', '1.7', 'null', '1e999', '258', '2147483648'].entries()) {
    const field = i % 2 ? 'prompt_ids' : 'response_ids';
    const d = data(`sft-${i}`, bad, field);
    const out = path.join(tmp, `sft-out-${i}`);
    const r = sppo(['sft', '--model', tiny, '--data', d.file, '--out', out, '--epochs', '1', '--backend', 'wasm']);
    assert.is.not(r.status, 0, `${bad}: trained anyway (seed ${SEED})`);
    assert.match(r.stderr, new RegExp(`${d.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line ${d.line}: "${field}"\\[${d.index}\\] is .*not a token id`), `${bad} (seed ${SEED}): ${r.stderr}`);
    assert.not.ok(fs.existsSync(out));
  }
});

s('sppo logprobs: an id past the vocabulary or 2³¹ names its line; a sequence past 128 positions is refused by line', () => {
  for (const [i, bad] of ['300', '2147483648'].entries()) {
    const d = data(`lp-${i}`, bad, 'response_ids');
    const r = sppo(['logprobs', '--model', tiny, '--data', d.file, '--backend', 'wasm']);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, new RegExp(`line ${d.line}: "response_ids"\\[${d.index}\\] is ${bad}, not a token id: each id must be an integer in \\[0, 257\\]`), `${bad} (seed ${SEED}): ${r.stderr}`);
    assert.not.match(r.stderr, /-2147483648|at position/, r.stderr);
    assert.is(r.stdout, '', 'nothing printed for earlier lines');
  }
  const file = path.join(tmp, 'long.jsonl');
  const long = rng.int(129, 5000);
  fs.writeFileSync(file, `{"prompt_ids": [256, 1], "response_ids": [2]}\n{"prompt_ids": [256], "response_ids": [${Array.from({ length: long - 1 }, () => 7).join(',')}]}\n`);
  const r = sppo(['logprobs', '--model', tiny, '--data', file, '--backend', 'wasm']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, new RegExp(`line 2: ${long} tokens, past the model's 128 positions \\(max_position_embeddings\\)`));
});

s.run();
