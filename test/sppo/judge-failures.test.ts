// judgeFailureLimit: an HTTP judge (a real server on 127.0.0.1) that answers garbage for a share of
// the pairs. Past the limit the run stops with one JudgeError naming the judge, the counts and the
// limit, removes the judge units that hold failures, and a --resume against the repaired server
// asks those pairs again and finishes with no failures; under the limit the run finishes and
// summary.json counts exactly the pairs the server spoiled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SPPO } from '../../src/sppo/env/node-sppo.js';
import { JudgeError } from '../../src/judge/types.js';
import { completion, json, readPair, startServer } from '../judge/servers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const example = path.join(root, 'test/fixtures/tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-judgefail-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** FNV-1a of a pair, so that every retry of a spoiled pair is spoiled too */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A judge server: the pairs whose hash falls under `share` get "Maybe?" (neither A nor B). */
async function garbageServer(state: { share: number }) {
  const spoiled = new Set<string>(), asked = new Set<string>();
  const srv = await startServer((req, res) => {
    const p = readPair(req.body);
    const key = JSON.stringify([p.prompt, p.a, p.b]);
    asked.add(key);
    if ((hash(key) % 1000) / 1000 < state.share) {
      spoiled.add(key);
      json(res, 200, completion('Maybe? I cannot decide.'));
    } else json(res, 200, completion(p.a.length >= p.b.length ? 'A' : 'B'));
  });
  return { srv, spoiled, asked };
}

function cfg(out: string, url: string, extra: Record<string, unknown> = {}) {
  return {
    model: path.join(example, 'model'), prompts: path.join(example, 'prompts.jsonl'), out, backend: 'wasm' as const,
    judge: `${url}?model=test&retries=1&backoffMs=1&maxBackoffMs=2&logprobs=false`,
    iterations: 1, k: 3, eta: 10, optimizer: 'rmsprop' as const, lr: 0.001, lrSchedule: 'constant' as const, batchSize: 2,
    maxNewTokens: 8, temperature: 1, seed: 1, generateUnit: 2, trainUnit: 1, evalSize: 0, ...extra,
  };
}

const quiet = (s: SPPO) => { s.addEventListener('log', () => {}); return s; };

test('past judgeFailureLimit (default 1%): one clear JudgeError; --resume on the repaired server asks the failed pairs again', async () => {
  const state = { share: 0.3 };
  const { srv, spoiled } = await garbageServer(state);
  const out = path.join(tmp, 'over');
  try {
    let err: unknown;
    try { await quiet(new SPPO(cfg(out, srv.url))).run(); } catch (e) { err = e; }
    assert.instance(err, JudgeError, String(err));
    const msg = (err as Error).message;
    assert.ok(spoiled.size > 0, 'the server spoiled no pair: the test cannot fail');
    assert.match(msg, `judge ${srv.url} failed on `);
    assert.match(msg, /pairs in iteration 1 \(\d+\.\d%, over judgeFailureLimit 0\.01\) — last: answer "Maybe\? I cannot decide\." is neither A nor B after 2 tries/);
    assert.match(msg, 'fix the judge (its model, prompt or server) and --resume');
    assert.ok(!fs.existsSync(path.join(out, 'iter-1', 'judgments.jsonl')), 'no judgments file for a failed stage');
    const units = fs.existsSync(path.join(out, 'iter-1', 'judge')) ? fs.readdirSync(path.join(out, 'iter-1', 'judge')) : [];
    for (const u of units) {
      const rows = JSON.parse(fs.readFileSync(path.join(out, 'iter-1', 'judge', u), 'utf8'));
      for (const r of rows) assert.is(r.failedPairs, 0, `${u} holds failures: --resume would reuse them`);
    }
    // the server is repaired: the resumed run finishes, no pair fails
    state.share = 0;
    const summaries = await quiet(new SPPO(cfg(out, srv.url))).run();
    assert.is(summaries.length, 1);
    assert.is(summaries[0].judgeFailedPairs, 0);
    assert.is(summaries[0].judgePairs, 6 * 3 * 2, '6 prompts × 3 unordered pairs × both orders (identical responses are not asked)' );
  } finally { await srv.close(); }
});

test('under the limit: the run finishes and summary.json counts exactly the spoiled pairs', async () => {
  const state = { share: 0.15 };
  const { srv, spoiled, asked } = await garbageServer(state);
  const out = path.join(tmp, 'under');
  try {
    const summaries = await quiet(new SPPO(cfg(out, srv.url, { judgeFailureLimit: 0.9 }))).run();
    assert.ok(spoiled.size > 0, 'the server spoiled no pair: the test cannot fail');
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.is(doc.iterations[0].judgeFailedPairs, spoiled.size);
    assert.is(doc.iterations[0].judgePairs, asked.size);
    assert.is(summaries[0].judgeFailedPairs, spoiled.size);
    const rows = fs.readFileSync(path.join(out, 'iter-1', 'judgments.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.is(rows.reduce((n: number, r: { failedPairs: number }) => n + r.failedPairs, 0), spoiled.size);
  } finally { await srv.close(); }
});

test('judgeFailureLimit outside [0, 1] is refused before any work', () => {
  for (const v of [-0.1, 1.5, Number.NaN]) {
    assert.throws(() => new SPPO(cfg(path.join(tmp, 'bad'), 'http://127.0.0.1:9/v1', { judgeFailureLimit: v })), /"judgeFailureLimit" must be in \[0, 1\]/);
  }
  assert.ok(!fs.existsSync(path.join(tmp, 'bad')));
});

test.run();
