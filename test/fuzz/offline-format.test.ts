// Seeded mutations of offline preference files (both formats, src/sppo/offline.ts): each parse
// gives a valid result — K ≥ 2 string responses, K win rates in [0, 1], a K×K complementary
// matrix or none — or exactly one Error naming the file and the line, never a raw TypeError,
// a hang, or a half-valid group.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOffline } from '../../src/sppo/offline.js';
import { Rng, SEED } from '../kernels/harness.js';

const seeds: object[] = [
  { prompt: 'Name a color.', chosen: 'blue', rejected: 'zz', chosen_probs: 0.7, chosen_probs_win: 0.8, chosen_probs_lose: 0.3 },
  { prompt: [{ role: 'user', content: 'Hi?' }], chosen: [{ role: 'user', content: 'Hi?' }, { role: 'assistant', content: 'hello' }], rejected: [{ role: 'user', content: 'Hi?' }, { role: 'assistant', content: '' }], chosen_probs_win: 0.6, chosen_probs_lose: 0.1 },
  { prompt: 'Sky?', responses: ['blue', 'clear', 'x'], winrates: [0.7, 0.5, 0.3], matrix: [[0.5, 0.6, 0.9], [0.4, 0.5, 0.6], [0.1, 0.4, 0.5]] },
  { prompt: 'Count', responses: ['1 2 3', '?'], winrates: [1, 0] },
];
const odd: unknown[] = [null, true, -1, 2, 0.5, NaN, '0.5', '', 'x', [], [0.5], [[0.5]], {}, { role: 'user' }, [{ role: 'assistant', content: 'a' }], 1e308, -0];

function mutate(rng: Rng, obj: any): string {
  const o = JSON.parse(JSON.stringify(obj));
  const keys = Object.keys(o);
  switch (rng.int(0, 6)) {
    case 0: delete o[keys[rng.int(0, keys.length)]]; break;
    case 1: o[keys[rng.int(0, keys.length)]] = odd[rng.int(0, odd.length)]; break;
    case 2: { // an element inside an array field
      const k = keys.filter((x) => Array.isArray(o[x]));
      if (k.length) { const a = o[k[rng.int(0, k.length)]]; if (a.length) a[rng.int(0, a.length)] = odd[rng.int(0, odd.length)]; }
      break;
    }
    case 3: { // cut the line short
      const s = JSON.stringify(o);
      return s.slice(0, rng.int(0, s.length));
    }
    case 4: { // flip one character
      const s = JSON.stringify(o), i = rng.int(0, s.length);
      return s.slice(0, i) + '{}[]",:0a\\'[rng.int(0, 10)] + s.slice(i + 1);
    }
    default: o[['extra', 'matrix', 'responses', 'chosen'][rng.int(0, 4)]] = odd[rng.int(0, odd.length)];
  }
  // JSON.stringify turns NaN into null: keep what the mutation meant to send
  return JSON.stringify(o);
}

test('every mutated line parses to valid groups or one clear error (file, line)', () => {
  const rng = new Rng(SEED ^ 0x0f2f);
  let errors = 0, valid = 0;
  for (let n = 0; n < 4000; n++) {
    const lines = seeds.map((s) => JSON.stringify(s));
    const at = rng.int(0, lines.length);
    lines[at] = mutate(rng, seeds[at]);
    let groups;
    try {
      groups = parseOffline(lines.join('\n') + '\n', 'fuzz.jsonl');
    } catch (e) {
      assert.ok(e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError), `raw ${(e as Error).name}: ${(e as Error).message} (seed ${SEED}, case ${n}: ${lines[at]})`);
      assert.match((e as Error).message, new RegExp(`^fuzz\\.jsonl: line ${at + 1}[: ]`), `error names the file and line ${at + 1} (seed ${SEED}, case ${n})`);
      errors++;
      continue;
    }
    valid++;
    for (const g of groups) {
      const K = g.responses.length;
      assert.ok(K >= 2 && g.responses.every((r) => typeof r === 'string'), `responses (case ${n})`);
      assert.ok(g.winrates.length === K && g.winrates.every((w) => w >= 0 && w <= 1), `winrates (case ${n}: ${lines[at]})`);
      assert.ok(typeof g.prompt.text === 'string', `prompt (case ${n})`);
      if (g.matrix) for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) assert.ok(Math.abs(g.matrix[i][j] + g.matrix[j][i] - 1) < 1e-6, `matrix (case ${n})`);
    }
  }
  console.log(`    ${valid} valid, ${errors} clear errors (seed ${SEED})`);
  assert.ok(valid > 100 && errors > 1000, 'the mutations reach both outcomes');
});

test.run();
