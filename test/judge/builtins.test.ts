// Built-in judges and the Bradley–Terry wrapper, each against an independent float64
// reference on fresh random inputs: length / longer, sentiment, cyclic3, arith, btJudge.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { btJudge } from '../../src/judge/bt.js';
import { builtinJudges } from '../../src/judge/builtins.js';
import { loadJudge } from '../../src/judge/load.js';
import { sentimentScore } from '../../src/judge/lexicon.js';
import type { Judge, Pair } from '../../src/judge/types.js';
import { logistic, randomText, rejects, rng, SEED } from './util.js';

console.log(`judge builtins seed ${SEED}`);
const r = rng();
const close = (got: number, want: number, what: string, tol = 1e-12) => {
  assert.ok(Number.isFinite(got) && Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want} (seed ${SEED})`);
};
/** every answer must be P and its mirror 1 − P for an order-insensitive judge */
async function checkMirror(j: Judge, pairs: Pair[]): Promise<number[]> {
  const fwd = await j.compare(pairs);
  const rev = await j.compare(pairs.map((p) => ({ prompt: p.prompt, a: p.b, b: p.a })));
  assert.is(fwd.length, pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    assert.ok(fwd[i] >= 0 && fwd[i] <= 1, `in [0,1]: ${fwd[i]}`);
    close(fwd[i] + rev[i], 1, `mirror of pair ${i}`, 1e-12);
  }
  return fwd;
}

const length = suite('builtin:length / builtin:longer');
length('σ((len_b − len_a)/scale) on random texts of awkward lengths, and the longer mirror', async () => {
  const lens = [0, 1, 3, 17, 63, 65];
  const pairs: Pair[] = [];
  for (const la of lens) for (const lb of lens) pairs.push({ prompt: randomText(r, 5), a: randomText(r, la), b: randomText(r, lb) });
  for (const scale of [10, 3]) {
    const shorter = await loadJudge(scale === 10 ? 'builtin:length' : `builtin:length?scale=${scale}`);
    const longer = await loadJudge('builtin:longer', { scale });
    assert.is(shorter.orderSensitive, false);
    const ps = await checkMirror(shorter, pairs);
    const pl = await longer.compare(pairs);
    pairs.forEach((p, i) => {
      close(ps[i], logistic((p.b.length - p.a.length) / scale), `length pair ${i}`);
      close(pl[i], logistic((p.a.length - p.b.length) / scale), `longer pair ${i}`);
    });
  }
});
length('counts characters (code points), not UTF-16 units', async () => {
  const j = await loadJudge('builtin:length');
  const [p] = await j.compare([{ prompt: '', a: '😀😀', b: 'ab' }]);
  close(p, 0.5, 'two emoji vs two letters');
});
length('bad options are clear errors', async () => {
  await rejects(loadJudge('builtin:length?scale=0'), /builtin:length/, /scale="0"/, /> 0/);
  await rejects(loadJudge('builtin:length', { scale: 'big' }), /scale="big"/);
  await rejects(loadJudge('builtin:length?scael=3'), /no option "scael"/, /scale/);
  await rejects(loadJudge('builtin:length?scale=3', { scale: 4 }), /scale="3".*scale=4/, /give it once/);
});
length.run();

const senti = suite('builtin:sentiment');
senti('happier text wins; P = σ((s_a − s_b)/2) with the lexicon score', async () => {
  const j = await loadJudge('builtin:sentiment');
  const texts = ['I love this, it is wonderful!', 'This is terrible and I hate it.', 'The weather is a table.',
    'Not good at all.', 'We had a great, happy day with friends.', 'never bad', 'sad', ''];
  const pairs: Pair[] = [];
  for (const a of texts) for (const b of texts) pairs.push({ prompt: 'Tell me about your day.', a, b });
  const ps = await checkMirror(j, pairs);
  pairs.forEach((p, i) => close(ps[i], logistic((sentimentScore(p.a) - sentimentScore(p.b)) / 2), `pair ${i}`));
  // hand-checked scores (valences written in the lexicon): love 3 + wonderful 4; terrible −4, hate −3
  assert.is(sentimentScore(texts[0]), 7);
  assert.is(sentimentScore(texts[1]), -7);
  assert.is(sentimentScore(texts[2]), 0);
  assert.is(sentimentScore(texts[3]), -2, 'negation flips good (+2)');
  assert.is(sentimentScore(texts[5]), 2, 'negation flips bad (−2)');
  assert.is(sentimentScore('She loved it; happier than ever'), 3 + 2, 'inflections fold to their stems');
  const [happyWins] = await j.compare([{ prompt: 'x', a: texts[4], b: texts[1] }]);
  assert.ok(happyWins > 0.99, `happy beats hateful strongly: ${happyWins}`);
});
senti.run();

const cyc = suite('builtin:cyclic3');
cyc('rock–paper–scissors by first character code point mod 3, non-uniform strengths', async () => {
  const j = await loadJudge('builtin:cyclic3');
  // independent reference: class from the first non-space character's code point
  const cls = (s: string) => { const t = s.trimStart(); return t ? t.codePointAt(0)! % 3 : -1; };
  const beats = [[0.5, 0.9, 0.4], [0.1, 0.5, 0.7], [0.6, 0.3, 0.5]]; // beats[i][j] = P(class i ≻ class j)
  const pairs: Pair[] = [];
  for (let n = 0; n < 63; n++) pairs.push({ prompt: randomText(r, 3), a: (n % 7 === 0 ? '  ' : '') + randomText(r, r.int(0, 5), 'abcdefXYZ'), b: randomText(r, r.int(0, 5), 'abcdefXYZ') });
  const ps = await checkMirror(j, pairs);
  pairs.forEach((p, i) => {
    const ca = cls(p.a), cb = cls(p.b);
    close(ps[i], ca < 0 || cb < 0 ? 0.5 : beats[ca][cb], `pair ${i} (${JSON.stringify(p.a)} vs ${JSON.stringify(p.b)})`);
  });
  // intransitive: c (99 → 0) beats a (97 → 1) beats b (98 → 2) beats c
  const [ca, ab, bc] = await j.compare([{ prompt: '', a: 'c', b: 'a' }, { prompt: '', a: 'a', b: 'b' }, { prompt: '', a: 'b', b: 'c' }]);
  assert.ok(ca > 0.5 && ab > 0.5 && bc > 0.5, `a cycle: ${ca} ${ab} ${bc}`);
  close(ca, 0.9, 'P(0≻1)'); close(ab, 0.7, 'P(1≻2)'); close(bc, 0.6, 'P(2≻0)');
});
cyc('configurable strengths and class mapping', async () => {
  const j = await loadJudge('builtin:cyclic3?strengths=0.8,0.75,0.55&classes=rR,pP,sS');
  const p = await j.compare([
    { prompt: '', a: 'rock', b: 'paper' }, { prompt: '', a: 'Paper', b: 'scissors' }, { prompt: '', a: 'scissors', b: 'Rock' },
    { prompt: '', a: 'paper', b: 'rock' }, { prompt: '', a: 'rock', b: 'rock' }, { prompt: '', a: 'lizard', b: 'rock' },
  ]);
  [0.8, 0.75, 0.55, 0.2, 0.5, 0.5].forEach((w, i) => close(p[i], w, `case ${i}`));
  const k = await loadJudge('builtin:cyclic3', { strengths: [1, 1, 1], classes: ['x', 'y', 'z'] });
  assert.equal(await k.compare([{ prompt: '', a: 'x', b: 'y' }, { prompt: '', a: 'x', b: 'z' }]), [1, 0]);
  await rejects(loadJudge('builtin:cyclic3?strengths=0.9,0.7'), /strengths/, /3 numbers/);
  await rejects(loadJudge('builtin:cyclic3', { strengths: [0.9, 1.2, 0.5] }), /strengths/, /≤ 1/);
  await rejects(loadJudge('builtin:cyclic3?classes=ab,cd'), /classes/, /3 strings/);
});
cyc.run();

const arith = suite('builtin:arith');
arith('right number beats wrong (0.95); among equals shorter wins (0.6); exact big products', async () => {
  const j = await loadJudge('builtin:arith');
  const pairs: Pair[] = [];
  const want: number[] = [];
  for (let n = 0; n < 40; n++) {
    const x = r.int(-50, 1000), y = r.int(0, 1000), op = ['+', '*', '-'][n % 3];
    const ans = op === '+' ? x + y : op === '*' ? x * y : x - y;
    const prompt = `Q: ${x}${op}${y}=`;
    const right = [`${ans}`, ` ${ans} is the answer`, `${ans}.`][r.int(0, 3)];
    const wrong = [`${ans + 1}`, `${ans}0`, `about ${ans}`, `${ans}.5`, ''][r.int(0, 5)];
    const a = n % 2 ? right : wrong, b = n % 2 ? wrong : right;
    pairs.push({ prompt, a, b });
    want.push(n % 2 ? 0.95 : 0.05);
    // both right: the shorter wins
    const r2 = `${ans} because I checked twice`;
    pairs.push({ prompt, a: right, b: r2 });
    want.push(right.length < r2.length ? 0.6 : right.length > r2.length ? 0.4 : 0.5);
  }
  const got = await checkMirror(j, pairs);
  want.forEach((w, i) => close(got[i], w, `pair ${i}: ${JSON.stringify(pairs[i])}`));
  const big = '123456789*987654321=';
  const [p] = await j.compare([{ prompt: big, a: '121932631112635269', b: '121932631112635270' }]);
  close(p, 0.95, 'BigInt product');
  const [q] = await j.compare([{ prompt: 'first 1+1= then 12+7=', a: '19', b: '2' }]);
  close(q, 0.95, 'the last expression in the prompt counts');
});
arith('margins are options; a prompt without arithmetic is a clear error', async () => {
  const j = await loadJudge('builtin:arith?correctMargin=0.3&lengthMargin=0');
  assert.equal(await j.compare([{ prompt: '2+2=', a: '4', b: '5' }, { prompt: '2+2=', a: '4', b: '4 yes' }]), [0.8, 0.5]);
  await rejects(j.compare([{ prompt: 'hello there', a: '1', b: '2' }]), /builtin:arith/, /no arithmetic expression/, /"hello there"/);
  await rejects(loadJudge('builtin:arith?correctMargin=0.7'), /correctMargin/, /≤ 0.5/);
});
arith('arith-strict: correctness alone, hard, length ignored', async () => {
  const j = await loadJudge('builtin:arith-strict');
  assert.equal(await j.compare([
    { prompt: '23+58=', a: '81', b: '80' },
    { prompt: '23+58=', a: '79', b: '81 (since 23+58=81)' },
    { prompt: '23+58=', a: '81', b: '81 because I checked' },
    { prompt: '23+58=', a: '7', b: '8' },
  ]), [1, 0, 0.5, 0.5]);
  await rejects(j.compare([{ prompt: 'no maths', a: '1', b: '2' }]), /arith-strict/, /no arithmetic expression/);
});
arith.run();

const bt = suite('btJudge');
bt('σ(r_a − r_b), scores cached per (prompt, response) within a call, async scorers awaited', async () => {
  const calls = new Map<string, number>();
  const score = async (prompt: string, resp: string) => {
    const k = prompt + '|' + resp;
    calls.set(k, (calls.get(k) ?? 0) + 1);
    await new Promise((res) => setTimeout(res, r.int(0, 3)));
    return (resp.length * 0.37 - prompt.length * 0.1) % 5;
  };
  const j = btJudge('test-bt', score);
  const responses = ['x', 'yy', 'zzz', 'a b c d'];
  const pairs: Pair[] = [];
  for (const prompt of ['p', 'prompt two']) for (const a of responses) for (const b of responses) pairs.push({ prompt, a, b });
  const progress: number[] = [];
  const got = await j.compare(pairs, { onProgress: (d, t) => { assert.is(t, pairs.length); progress.push(d); } });
  pairs.forEach((p, i) => {
    const ra = (p.a.length * 0.37 - p.prompt.length * 0.1) % 5, rb = (p.b.length * 0.37 - p.prompt.length * 0.1) % 5;
    close(got[i], logistic(ra - rb), `pair ${i}`, 1e-12);
  });
  assert.is(calls.size, 8, 'one score per distinct (prompt, response)');
  for (const [k, n] of calls) assert.is(n, 1, `scored ${k} once`);
  assert.equal(progress, pairs.map((_, i) => i + 1));
});
bt('a scorer that returns NaN or a string is an error naming the judge', async () => {
  await rejects(btJudge('nan-scorer', () => NaN).compare([{ prompt: 'p', a: 'x', b: 'y' }]), /judge nan-scorer/, /not a finite number/);
  await rejects(btJudge('str-scorer', () => '3' as unknown as number).compare([{ prompt: 'p', a: 'x', b: 'y' }]), /str-scorer/, /"3"/);
});
bt('large score gaps give 0 / 1, never NaN', async () => {
  const j = btJudge('huge', (_p, s) => (s === 'a' ? 1e6 : -1e6));
  assert.equal(await j.compare([{ prompt: '', a: 'a', b: 'b' }, { prompt: '', a: 'b', b: 'a' }]), [1, 0]);
});
bt('an aborted signal rejects', async () => {
  const ac = new AbortController();
  ac.abort();
  await rejects(btJudge('t', () => 0).compare([{ prompt: '', a: 'a', b: 'b' }], { signal: ac.signal }), /abort/i);
});
bt('every registered builtin has a describe line and builds a judge with a describe field', async () => {
  const names = builtinJudges().map((b) => b.name);
  for (const n of ['arith', 'cyclic3', 'length', 'longer', 'sentiment']) assert.ok(names.includes(n), n);
  for (const b of builtinJudges()) {
    assert.ok(b.describe.length > 10, b.name);
    const j = await loadJudge(`builtin:${b.name}`);
    assert.is(j.name, `builtin:${b.name}`);
    assert.ok((j.describe ?? '').length > 10, `${b.name} describe`);
  }
});
bt.run();
