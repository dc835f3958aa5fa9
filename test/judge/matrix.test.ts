// judgeMatrix / judgeMatrices: M[i][i] = 0.5, M[j][i] = 1 − M[i][j], one compare() call for
// all prompts, each unordered pair asked once (or both orders, averaged, for an order-biased
// judge), identical responses not asked, chunking, progress, and bad judge answers rejected.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeMatrices, judgeMatrix, winRates } from '../../src/judge/matrix.js';
import type { CompareOptions, Judge, Pair } from '../../src/judge/types.js';
import { logistic, randomText, rejects, rng, SEED } from './util.js';

console.log(`judge matrix seed ${SEED}`);
const r = rng();

/** a recording fake judge: the true preference σ(f(a) − f(b)) plus `bias` toward position A, clamped */
function fakeJudge(bias = 0, orderSensitive = bias !== 0): Judge & { calls: Pair[][] } {
  const calls: Pair[][] = [];
  return {
    name: 'fake',
    orderSensitive,
    calls,
    async compare(pairs: Pair[], o?: CompareOptions) {
      calls.push(pairs);
      const out = pairs.map((p) => Math.min(1, Math.max(0, truth(p) + bias)));
      o?.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}
const score = (s: string) => (s.length % 7) * 0.3 + (s.charCodeAt(0) || 0) * 0.01;
const truth = (p: Pair) => logistic((score(p.a) - score(p.b)) * (1 + p.prompt.length * 0.01)); // P(b ≻ a) = 1 − P(a ≻ b)

const s = suite('judgeMatrix');
s('diagonal 0.5, exact antisymmetry, each unordered pair asked once, in one call', async () => {
  for (const K of [1, 2, 3, 8]) {
    const responses = Array.from({ length: K }, (_, i) => `${i}:` + randomText(r, r.int(0, 17)));
    const prompt = randomText(r, 9);
    const j = fakeJudge();
    const M = await judgeMatrix(j, prompt, responses);
    assert.is(M.length, K);
    assert.is(j.calls.length, K > 1 ? 1 : 0, 'one compare call (none for K=1)');
    assert.is(j.calls.flat().length, (K * (K - 1)) / 2, 'each unordered pair once');
    for (let i = 0; i < K; i++) {
      assert.is(M[i].length, K);
      assert.is(M[i][i], 0.5, 'diagonal');
      for (let k = 0; k < K; k++) {
        if (i < k) {
          assert.is(M[k][i], 1 - M[i][k], `M[${k}][${i}] = 1 − M[${i}][${k}] exactly (upper triangle asked, lower mirrored)`);
          const want = truth({ prompt, a: responses[i], b: responses[k] });
          assert.ok(Math.abs(M[i][k] - want) < 1e-15, `M[${i}][${k}] = P(y_${i} ≻ y_${k})`);
        }
      }
    }
    assert.ok(winRates(M).every((w, i) => Math.abs(w - M[i].reduce((a, b) => a + b, 0) / K) < 1e-15));
  }
  assert.equal(await judgeMatrix(fakeJudge(), 'p', []), []);
});

s('both orders: an order-biased judge is asked (i,j) and (j,i) and its bias cancels', async () => {
  const responses = ['aaa', 'bb', 'c', 'dddddd', 'e e'];
  const K = responses.length;
  const biased = fakeJudge(0.2); // orderSensitive → both orders by default
  const M = await judgeMatrix(biased, 'prompt', responses);
  assert.is(biased.calls.length, 1);
  assert.is(biased.calls[0].length, K * (K - 1), 'both orders of every pair');
  const plain = await judgeMatrix(biased, 'prompt', responses, { bothOrders: false });
  assert.is(biased.calls[1].length, K * (K - 1) / 2, 'bothOrders:false asks once');
  let maxBiasSeen = 0;
  for (let i = 0; i < K; i++) for (let k = 0; k < K; k++) {
    if (i === k) continue;
    const pik = Math.min(1, Math.max(0, truth({ prompt: 'prompt', a: responses[i], b: responses[k] }) + 0.2));
    const pki = Math.min(1, Math.max(0, truth({ prompt: 'prompt', a: responses[k], b: responses[i] }) + 0.2));
    const want = i < k ? (pik + 1 - pki) / 2 : 1 - (pki + 1 - pik) / 2;
    assert.ok(Math.abs(M[i][k] - want) < 1e-15, `averaged M[${i}][${k}]: ${M[i][k]} vs ${want}`);
    if (i < k) assert.is(M[k][i], 1 - M[i][k]);
    // unclamped, the bias cancels exactly: (t + b + 1 − (1 − t) − b) / 2 = t
    const t = truth({ prompt: 'prompt', a: responses[i], b: responses[k] });
    if (pik < 1 && pki < 1) assert.ok(Math.abs(M[i][k] - t) < 1e-12, `bias cancelled for (${i}, ${k})`);
    maxBiasSeen = Math.max(maxBiasSeen, Math.abs(plain[Math.min(i, k)][Math.max(i, k)] - truth({ prompt: 'prompt', a: responses[Math.min(i, k)], b: responses[Math.max(i, k)] })));
  }
  assert.ok(maxBiasSeen > 0.1, 'asking once leaves the bias in');
  // an order-insensitive judge can still be asked both orders on request
  const j = fakeJudge();
  await judgeMatrix(j, 'p', ['x', 'yy', 'zzz'], { bothOrders: true });
  assert.is(j.calls[0].length, 6);
});

s('identical responses are not asked and get 0.5', async () => {
  const j = fakeJudge(0.3);
  const M = await judgeMatrix(j, 'p', ['same', 'other', 'same']);
  assert.is(M[0][2], 0.5);
  assert.is(M[2][0], 0.5);
  assert.is(j.calls[0].length, 4, 'two distinct unordered pairs × both orders');
  assert.ok(j.calls[0].every((p) => p.a !== p.b));
});

const b = suite('judgeMatrices');
b('all prompts batched into one compare() call; results land in the right matrix', async () => {
  const items = Array.from({ length: 5 }, (_, n) => ({
    prompt: `prompt ${n} ` + randomText(r, n * 3),
    responses: Array.from({ length: [1, 3, 4, 2, 5][n] }, (_, i) => `${n}.${i} ` + randomText(r, r.int(0, 20))),
  }));
  const j = fakeJudge();
  const mats = await judgeMatrices(j, items);
  assert.is(j.calls.length, 1);
  assert.is(j.calls[0].length, items.reduce((s, it) => s + (it.responses.length * (it.responses.length - 1)) / 2, 0));
  items.forEach((it, n) => {
    const K = it.responses.length;
    assert.is(mats[n].length, K);
    for (let i = 0; i < K; i++) for (let k = i + 1; k < K; k++) {
      assert.ok(Math.abs(mats[n][i][k] - truth({ prompt: it.prompt, a: it.responses[i], b: it.responses[k] })) < 1e-15);
    }
  });
  assert.equal(await judgeMatrices(j, []), []);
});
b('maxPairsPerCall chunks the calls; progress counts up to the total', async () => {
  const items = [{ prompt: 'a', responses: ['1', '22', '333', '4444'] }, { prompt: 'b', responses: ['x', 'yy', 'zzz'] }];
  const j = fakeJudge(0.1);
  const seen: [number, number][] = [];
  const mats = await judgeMatrices(j, items, { maxPairsPerCall: 5, onProgress: (d, t) => seen.push([d, t]) });
  const total = 2 * (6 + 3);
  assert.equal(j.calls.map((c) => c.length), [5, 5, 5, 3]);
  assert.equal(seen, [[5, total], [10, total], [15, total], [18, total]]);
  const whole = await judgeMatrices(fakeJudge(0.1), items);
  assert.equal(mats, whole, 'chunking does not change the answer');
  await rejects(judgeMatrices(j, items, { maxPairsPerCall: 0 }), /maxPairsPerCall=0/);
});
b('a judge answering badly (wrong length, NaN, > 1) is rejected with its name', async () => {
  const bad = (f: (pairs: Pair[]) => unknown, name: string): Judge => ({ name, orderSensitive: false, compare: async (p) => f(p) as number[] });
  const items = [{ prompt: 'p', responses: ['a', 'b', 'c'] }];
  await rejects(judgeMatrices(bad((p) => p.slice(1).map(() => 0.5), 'short'), items), /judge short/, /2 values for 3 pairs/);
  await rejects(judgeMatrices(bad((p) => p.map(() => NaN), 'nan'), items), /judge nan/, /NaN/, /not a number/);
  await rejects(judgeMatrices(bad((p) => p.map(() => 1.01), 'big'), items), /judge big/, /outside \[0, 1\]/);
  await rejects(judgeMatrices(bad(() => 'x', 'str'), items), /judge str/, /instead of an array/);
  await rejects(judgeMatrices(fakeJudge(), [{ prompt: 'p', responses: ['a', 3 as unknown as string] }]), /item 0/);
});
b('an abort signal reaches the judge', async () => {
  const ac = new AbortController();
  let seenSignal: AbortSignal | undefined;
  const j: Judge = { name: 'sig', orderSensitive: false, compare: async (p, o) => { seenSignal = o?.signal; return p.map(() => 0.5); } };
  await judgeMatrix(j, 'p', ['a', 'b'], { signal: ac.signal });
  assert.is(seenSignal, ac.signal);
});

s.run();
b.run();
