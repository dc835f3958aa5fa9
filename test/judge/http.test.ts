// The HTTP (OpenAI-compatible chat-completions) judge against real servers on 127.0.0.1:
// soft probabilities from logprobs, hard answers without them, a stalling server (timeout and
// bounded retries), garbage bodies, 429/503 then success, the Authorization header from the
// environment, and the API key never in errors, logs, info or describe.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import { httpJudge } from '../../src/judge/http.js';
import { hardAnswer, parseCompletion } from '../../src/judge/http-protocol.js';
import { loadJudge } from '../../src/judge/load.js';
import { judgeMatrix } from '../../src/judge/matrix.js';
import type { Pair } from '../../src/judge/types.js';
import { completion, json, readPair, startServer } from './servers.js';
import { logistic, randomText, rejects, rng, SEED } from './util.js';

console.log(`judge http seed ${SEED}`);
const r = rng();
const fast = { backoffMs: 5, maxBackoffMs: 20, timeoutMs: 2000, retries: 2, log: (_m: string) => {} };
const pairs = (n: number): Pair[] => Array.from({ length: n }, (_, i) => ({
  prompt: `question ${i}: ` + randomText(r, r.int(1, 20)), a: randomText(r, r.int(1, 30)), b: randomText(r, r.int(1, 30)),
}));
/** the test servers' own preference: shorter wins, σ((len_b − len_a)/5) */
const truth = (p: { a: string; b: string }) => logistic((p.b.length - p.a.length) / 5);
const delay = (ms: number) => new Promise((res) => setTimeout(res, ms));

const s = suite('http judge');

s('soft P(A) from logprobs; request shape; concurrency limit; progress; both orders in a matrix', async () => {
  const srv = await startServer(async (req, res) => {
    await delay(r.int(5, 25));
    const p = truth(readPair(req.body));
    // the answer mass is split across token spellings; a distractor takes the rest
    json(res, 200, completion(p >= 0.5 ? 'A' : 'B', [[' A', 0.6 * p], ['B', 0.6 * (1 - p)], ['A', 0.3 * p], ['Sure', 0.05], [' B', 0.3 * (1 - p)]]));
  });
  try {
    const j = await loadJudge(`${srv.url}?model=judge-7b`, { ...fast, concurrency: 2 });
    assert.is(j.orderSensitive, true);
    assert.is(j.name, srv.url);
    const ps = pairs(17);
    const progress: number[] = [];
    const got = await j.compare(ps, { onProgress: (d, t) => { assert.is(t, 17); progress.push(d); } });
    ps.forEach((p, i) => assert.ok(Math.abs(got[i] - truth(p)) < 1e-12, `pair ${i}: ${got[i]} vs ${truth(p)}`));
    assert.equal(progress, Array.from({ length: 17 }, (_, i) => i + 1));
    assert.ok(srv.maxInFlight <= 2 && srv.maxInFlight >= 1, `in flight ≤ concurrency: ${srv.maxInFlight}`);
    const b = srv.seen[0];
    assert.is(b.path, '/v1/chat/completions');
    assert.is(b.headers['content-type'], 'application/json');
    assert.is(b.body.model, 'judge-7b');
    assert.is(b.body.max_tokens, 1);
    assert.is(b.body.temperature, 0);
    assert.is(b.body.logprobs, true);
    assert.is(b.body.top_logprobs, 5);
    assert.equal(b.body.messages.map((m: any) => m.role), ['system', 'user']);
    assert.match(b.body.messages[0].content, /single letter: A or B/);
    // the matrix asks both orders of an order-sensitive judge and stays antisymmetric
    const responses = ['a', 'bbbbbbb', 'cc ccc', 'dddd dddd dddd'];
    const before = srv.seen.length;
    const M = await judgeMatrix(j, 'pick one', responses);
    assert.is(srv.seen.length - before, 12, 'K(K−1) requests');
    for (let i = 0; i < 4; i++) for (let k = i + 1; k < 4; k++) {
      assert.ok(Math.abs(M[i][k] - truth({ a: responses[i], b: responses[k] })) < 1e-12);
      assert.is(M[k][i], 1 - M[i][k]);
    }
  } finally { await srv.close(); }
});

s('no logprobs: the hard answer gives 1 / 0; an unparseable answer is retried, then 0.5 with a warning', async () => {
  const srv = await startServer((req, res) => {
    const p = readPair(req.body);
    if (p.prompt === 'unclear') return json(res, 200, completion('I cannot decide between them.'));
    if (p.prompt === 'null content') return json(res, 200, completion(null));
    json(res, 200, completion(truth(p) > 0.5 ? 'Response A' : 'B.'));
  });
  try {
    const logs: string[] = [];
    const j = httpJudge(srv.url, { ...fast, model: 'm', logprobs: false, log: (m) => logs.push(m) });
    const ps = pairs(5).filter((p) => p.a.length !== p.b.length);
    const got = await j.compare(ps);
    ps.forEach((p, i) => assert.is(got[i], truth(p) > 0.5 ? 1 : 0));
    assert.is(srv.seen[0].body.logprobs, undefined, 'logprobs not asked when disabled');
    assert.is(srv.seen[0].body.top_logprobs, undefined);
    const before = srv.seen.length;
    assert.equal(await j.compare([{ prompt: 'unclear', a: 'x', b: 'y' }, { prompt: 'null content', a: 'x', b: 'y' }]), [0.5, 0.5]);
    assert.is(srv.seen.length - before, 6, '3 tries for each unparseable pair');
    assert.is(logs.length, 2);
    assert.match(logs[0], /neither A nor B after 3 tries/);
    assert.match(logs[0], /0\.5/);
  } finally { await srv.close(); }
});

s('a stalling server: each try times out, retries are bounded, each retry is logged, the error says what to do', async () => {
  let opened = 0;
  const srv = await startServer(() => { opened++; /* never answers */ });
  try {
    const logs: string[] = [];
    const j = httpJudge(srv.url, { model: 'm', timeoutMs: 120, retries: 2, backoffMs: 5, maxBackoffMs: 10, log: (m) => logs.push(m) });
    const t0 = Date.now();
    const e = await rejects(j.compare(pairs(1)), new RegExp(`^judge ${srv.url.replace(/[/.]/g, '\\$&')} timed out after 3 tries \\(timeout 120 ms\\): raise judge\\.timeoutMs or check the server$`));
    const ms = Date.now() - t0;
    assert.is(opened, 3, 'three tries');
    assert.is(logs.length, 2, 'one line per retry');
    logs.forEach((l, i) => assert.match(l, new RegExp(`try ${i + 1} of 3 timed out after 120 ms; retrying in 0\\.0 s$`)));
    assert.ok(ms >= 3 * 120 && ms < 3000, `bounded time: ${ms} ms`);
    assert.is(e.name, 'JudgeError');
  } finally { await srv.close(); }
});

s('garbage bodies (invalid JSON, wrong shape) are retried, then a clear error', async () => {
  const srv = await startServer((req, res, n) => {
    if (readPair(req.body).prompt === 'html') return json(res, 200, '<html>502 proxy says hello</html>');
    json(res, 200, n % 2 ? { foo: 1 } : { choices: [] });
  });
  try {
    const j = httpJudge(srv.url + '/', { ...fast, model: 'm' });
    await rejects(j.compare([{ prompt: 'html', a: 'x', b: 'y' }]), /gave invalid responses after 3 tries/, /not JSON: "<html>502 proxy says hello<\/html>"/, /OpenAI-compatible/, /\/v1\/chat\/completions/);
    assert.is(srv.seen.length, 3);
    await rejects(j.compare([{ prompt: 'shape', a: 'x', b: 'y' }]), /invalid responses after 3 tries/, /no choices\[0\]/);
    assert.is(srv.seen.length, 6);
  } finally { await srv.close(); }
});

s('429 and 503 are retried (Retry-After honoured, capped) and then succeed', async () => {
  const srv = await startServer((req, res, n) => {
    if (n === 1) return json(res, 429, { error: { message: 'rate limited' } }, { 'retry-after': '0' });
    if (n === 2) return json(res, 503, { error: { message: 'loading model' } }, { 'retry-after': '3600' });
    json(res, 200, completion('A', [['A', 0.2], ['B', 0.6]]));
  });
  try {
    const j = httpJudge(srv.url, { ...fast, model: 'm' });
    const t0 = Date.now();
    const [p] = await j.compare([{ prompt: 'x', a: 'y', b: 'z' }]);
    assert.ok(Math.abs(p - 0.25) < 1e-12, `P(A) = 0.2 / 0.8: ${p}`);
    assert.is(srv.seen.length, 3);
    assert.ok(Date.now() - t0 < 1500, 'Retry-After capped by maxBackoffMs');
    // a server that keeps answering 500 fails after the retries with the status in the message
    const bad = await startServer((req, res) => json(res, 500, { error: { message: 'out of memory' } }));
    try {
      await rejects(httpJudge(bad.url, { ...fast, model: 'm' }).compare(pairs(3)), /answered HTTP 500 after 3 tries/, /out of memory/);
    } finally { await bad.close(); }
  } finally { await srv.close(); }
});

s('not retried: 404 (wrong base URL) and 400 fail at once with the cause', async () => {
  const srv = await startServer((req, res) => {
    if (req.path !== '/v1/chat/completions') return json(res, 404, { error: 'no route' });
    json(res, 400, { error: { message: "unknown parameter 'top_logprobs'" } });
  });
  try {
    await rejects(httpJudge(srv.url.replace(/\/v1$/, '/v2'), { ...fast, model: 'm' }).compare(pairs(1)), /HTTP 404/, /give the API base URL/);
    assert.is(srv.seen.length, 1);
    await rejects(httpJudge(srv.url, { ...fast, model: 'm' }).compare(pairs(1)), /HTTP 400/, /unknown parameter 'top_logprobs'/, /judge\.logprobs=false/);
    assert.is(srv.seen.length, 2);
  } finally { await srv.close(); }
});

s('unreachable server: network errors are retried, then a clear error', async () => {
  const srv = await startServer(() => {});
  const url = srv.url;
  await srv.close(); // the port is now closed
  await rejects(httpJudge(url, { ...fast, model: 'm', retries: 1 }).compare(pairs(1)), /could not be reached after 2 tries/, /ECONNREFUSED/, /check that the server is running/);
});

s('a socket closed in the middle of the body: retried, logged, then named as such (not "could not be reached")', async () => {
  const srv = await startServer((_s, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
    res.write('{"choices": [');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  try {
    const logs: string[] = [];
    await rejects(httpJudge(srv.url, { ...fast, model: 'm', retries: 1, log: (m) => logs.push(m) }).compare(pairs(1)),
      /closed the connection in the middle of its response after 2 tries \(HTTP 200 headers arrived/, /check its logs/);
    assert.is(logs.length, 1);
    assert.match(logs[0], /try 1 of 2 closed the connection mid-response/);
  } finally { await srv.close(); }
});

s('the caller can abort: in-flight requests stop and compare rejects at once', async () => {
  const srv = await startServer(() => {});
  try {
    const j = httpJudge(srv.url, { ...fast, model: 'm', timeoutMs: 60000 });
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 50);
    await rejects(j.compare(pairs(5), { signal: ac.signal }), /abort/i);
    assert.ok(Date.now() - t0 < 1000, 'stopped promptly');
    await j.close?.();
    await rejects(j.compare(pairs(1)), /closed/);
  } finally { await srv.close(); }
});

s('Authorization carries the key from the named environment variable; no variable, no header', async () => {
  const key = 'sk-test-' + randomText(r, 24, 'abcdefghijklmnopqrstuvwxyz0123456789');
  const srv = await startServer((req, res) => json(res, 200, completion('A', [['A', 0.9], ['B', 0.1]])));
  try {
    process.env.SPPO_TEST_JUDGE_KEY = key;
    const j = await loadJudge(`${srv.url}?model=m&apiKeyEnv=SPPO_TEST_JUDGE_KEY`, fast);
    await j.compare(pairs(1));
    assert.is(srv.seen[0].headers.authorization, `Bearer ${key}`);
    await httpJudge(srv.url, { ...fast, model: 'm', env: { OPENAI_API_KEY: key + 'x' } }).compare(pairs(1));
    assert.is(srv.seen[1].headers.authorization, `Bearer ${key}x`, 'default variable OPENAI_API_KEY');
    await httpJudge(srv.url, { ...fast, model: 'm', env: {} }).compare(pairs(1));
    assert.is(srv.seen[2].headers.authorization, undefined);
  } finally {
    delete process.env.SPPO_TEST_JUDGE_KEY;
    await srv.close();
  }
});

s('the API key is never written: not in errors (even when the server echoes it), logs, info, describe', async () => {
  const key = 'sk-secret-' + randomText(r, 32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  // padded so that a message clipped to ~120 or ~200 characters would cut the key in half
  const echo = (req: { headers: Record<string, unknown> }, pad = 0) => `${'.'.repeat(pad)}your header was ${String(req.headers.authorization)}`;
  const srv = await startServer((req, res) => {
    const what = readPair(req.body).prompt;
    if (what === '401') return json(res, 401, { error: { message: echo(req) } });
    if (what === '500') return json(res, 500, { error: { message: echo(req) } });
    if (what === 'shape') return json(res, 200, { error: { message: echo(req) } });
    if (what === 'odd') return json(res, 200, completion(echo(req, 80)));
    if (what === 'html') return json(res, 200, '<html>' + echo(req, 74));
    if (what === '503') return json(res, 503, echo(req, 160));
    json(res, 200, completion('B'));
  });
  const logs: string[] = [];
  const origError = console.error;
  console.error = (...a: unknown[]) => { logs.push(a.map(String).join(' ')); };
  try {
    const env = { MY_JUDGE_KEY: key };
    const j = httpJudge(srv.url, { ...fast, log: undefined, model: 'm', apiKeyEnv: 'MY_JUDGE_KEY', env }); // the default log: stderr
    const texts: string[] = [];
    for (const what of ['401', '500', 'shape', 'html', '503']) {
      const e = await rejects(j.compare([{ prompt: what, a: 'x', b: 'y' }]), /./);
      texts.push(e.message, String(e.stack), inspect(e, { depth: 10 }));
      if (what === '401') assert.match(e.message, /HTTP 401/), assert.match(e.message, /MY_JUDGE_KEY/), assert.match(e.message, /\[redacted\]/);
    }
    assert.equal(await j.compare([{ prompt: 'odd', a: 'x', b: 'y' }]), [0.5]);
    assert.ok(logs.length >= 1, 'the warning went to stderr');
    texts.push(...logs, JSON.stringify(j), inspect(j, { depth: 10 }), String(j.describe), JSON.stringify(j.info));
    assert.equal(j.info?.apiKeyEnv, 'MY_JUDGE_KEY');
    for (const t of texts) assert.not.ok(t.includes(key.slice(0, 13)), `key (or its start) leaked into: ${t.slice(0, 300)}`);
    assert.ok(srv.seen.every((x) => x.headers.authorization === `Bearer ${key}`), 'yet it was sent');
  } finally {
    console.error = origError;
    await srv.close();
  }
});

s('URL specs: base normalised; model from the query or the options; conflicts and typos are errors', async () => {
  const srv = await startServer((req, res) => json(res, 200, completion('A')));
  try {
    const a = await loadJudge(`${srv.url}/chat/completions?model=q&timeoutMs=1500&retries=0`);
    assert.is(a.name, srv.url);
    assert.equal({ model: a.info?.model, timeoutMs: a.info?.timeoutMs, retries: a.info?.retries }, { model: 'q', timeoutMs: 1500, retries: 0 });
    assert.equal(await a.compare(pairs(1)), [1]);
    assert.is(srv.seen[0].path, '/v1/chat/completions');
    const b = await loadJudge(srv.url + '/', { model: 'from-options' });
    assert.is(b.info?.model, 'from-options');
    await rejects(loadJudge(srv.url), /needs a model name/, /\?model=NAME/);
    await rejects(loadJudge(`${srv.url}?model=a`, { model: 'b' }), /model="a".*model="b"/, /give it once/);
    await rejects(loadJudge(`${srv.url}?model=a&timeout=5`), /no URL option "timeout"/, /timeoutMs/);
    await rejects(loadJudge(`${srv.url}?model=a`, { timeout: 5 }), /no option "timeout"/);
    await rejects(loadJudge(`${srv.url}?model=a&retries=-1`), /retries="-1"/, /≥ 0/);
    await rejects(loadJudge('http://user:pw@127.0.0.1:1/v1?model=a'), /credentials in its URL/);
  } finally { await srv.close(); }
});

s.run();

const parse = suite('http protocol parsing');
parse('answer tokens and texts: what counts as A or B', () => {
  for (const [t, want] of [['A', 'A'], ['B.', 'B'], ['Response A', 'A'], ['answer: B', 'B'], ['**A**', 'A'], ['(B)', 'B'], ['  A because it is shorter', 'A'],
    ['Both', null], ['a', null], ['Absolutely', null], ['', null], ['C', null], ['I pick B', null]] as const) {
    assert.is(hardAnswer(t), want, JSON.stringify(t));
  }
  const lp = (x: number) => Math.log(x);
  const chat = (top: [string, number][]) => ({ choices: [{ message: { content: 'A' }, logprobs: { content: [{ token: top[0][0], logprob: lp(top[0][1]), top_logprobs: top.map(([token, p]) => ({ token, logprob: lp(p) })) }] } }] });
  const near = (got: unknown, want: number) => { const g = got as { kind: string; p: number }; assert.is(g.kind, 'ok'); assert.ok(Math.abs(g.p - want) < 1e-12, `${g.p} vs ${want}`); };
  near(parseCompletion(chat([['A', 0.5], ['a', 0.3], ['B', 0.1]])), 0.5 / 0.6); // lowercase "a" is not the answer
  near(parseCompletion(chat([['B', 0.7], ['The', 0.2]])), 0); // only B among the top logprobs
  near(parseCompletion({ choices: [{ message: { content: 'B' }, logprobs: { top_logprobs: [{ A: lp(0.2), ' B': lp(0.6) }] } }] }), 0.25); // legacy layout
  near(parseCompletion({ choices: [{ message: { content: 'B' }, logprobs: { content: [{ token: 'B', logprob: lp(0.9), top_logprobs: [] }] } }] }), 0);
  near(parseCompletion({ choices: [{ message: { content: 'B' }, logprobs: null }] }), 0); // no logprobs: hard answer
  assert.is(parseCompletion({ choices: [{ message: { content: 'Tie' } }] }).kind, 'unparseable');
  assert.is(parseCompletion({ choices: [{ text: 'A' }] }).kind, 'invalid');
  assert.is(parseCompletion([1, 2]).kind, 'invalid');
});
parse.run();
