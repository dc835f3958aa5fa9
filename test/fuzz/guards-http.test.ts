// Issue 18, defect 7: an HTTP judge answer whose logprobs overflow or underflow e^lp (−710,
// −1000, or any finite value, seeded) gives a probability in [0, 1] — never NaN — through the
// parser and through a real server on 127.0.0.1; a logprob above 0 (710, 1000: not a
// log-probability) is an invalid answer, asked again, never a NaN.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { httpJudge } from '../../src/judge/http.js';
import { parseCompletion } from '../../src/judge/http-protocol.js';
import { json, startServer } from '../judge/servers.js';
import { rng, SEED } from '../judge/util.js';

const raw = (top: [string, number][]) => ({
  choices: [{ index: 0, message: { role: 'assistant', content: top[0][0] }, logprobs: { content: [{ token: top[0][0], logprob: top[0][1], top_logprobs: top.map(([token, logprob]) => ({ token, logprob })) }] } }],
});
const sigma = (x: number) => 1 / (1 + Math.exp(-x));

const s = suite('guards: HTTP judge logprobs never overflow to NaN');

s('parser: 710 and 1000, equal huge, one side only; seeded random finite logprobs', () => {
  const p = (top: [string, number][]) => { const r = parseCompletion(raw(top)); assert.is(r.kind, 'ok'); return (r as { p: number }).p; };
  for (const [a, b] of [[1000, 710], [710, 1000], [710, -1]]) assert.is(parseCompletion(raw([['A', a], ['B', b]])).kind, 'invalid', `logprobs ${a}, ${b}`);
  assert.ok(Math.abs(p([['A', -710], ['B', -1000]]) - 1) < 1e-12);
  assert.ok(Math.abs(p([['A', -1000], ['B', -710]])) < 1e-12);
  assert.is(p([['A', -1000], ['B', -1000]]), 0.5);
  assert.is(p([['B', -1000]]), 0);
  assert.ok(Math.abs(p([['A', -709], ['B', -710]]) - sigma(1)) < 1e-12);
  const r = rng(SEED ^ 0x18);
  for (let i = 0; i < 500; i++) {
    const a = -r.next() * 10 ** r.int(0, 308), b = -r.next() * 10 ** r.int(0, 308);
    const got = p([['A', a], [' B', b]]);
    assert.ok(got >= 0 && got <= 1, `logprobs ${a}, ${b}: P = ${got} (seed ${SEED})`);
    const want = sigma(a - b);
    assert.ok(Math.abs(got - want) < 1e-9 || !Number.isFinite(a - b), `logprobs ${a}, ${b}: P = ${got}, σ(a − b) = ${want} (seed ${SEED})`);
  }
});

s('a real server answering logprobs −710 / −1000: finite probabilities, no failed run', async () => {
  const srv = await startServer((_req, res, n) => json(res, 200, raw(n % 2 ? [['A', -710], ['B', -1000]] : [['B', -1000], ['A', -1000]])));
  try {
    const got = await httpJudge(srv.url, { model: 'm', retries: 1, backoffMs: 5, maxBackoffMs: 10, timeoutMs: 2000 }).compare([{ prompt: 'q', a: 'x', b: 'y' }, { prompt: 'q', a: 'y', b: 'x' }]);
    for (const v of got) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `P = ${v}`);
    assert.equal([...got].sort(), [0.5, 1]);
  } finally { await srv.close(); }
});

s.run();
