// How good is a demo policy? Samples one answer per held-out prompt (data/demo/eval-prompts.jsonl)
// at temperature 1 and one greedily, and prints accuracy, the share of chatty answers, the mean
// length and a few examples — what SPPO starts from (or reached).
//   node --import tsx tools/demo/evaluate.ts MODEL_DIR [--backend wasm] [--n 256] [--prompts FILE]
// (--prompts: another arithmetic prompt set, e.g. the tiny example's examples/tiny/eval-prompts.jsonl)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { Policy } from '../../src/sppo/policy.js';
import { parsePrompts } from '../../src/sppo/prompts.js';
import { loadPolicyText } from '../../src/sppo/text.js';
import { arithMarks } from '../../src/sppo/demo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = process.argv[2];
if (!dir) { console.error('usage: evaluate.ts MODEL_DIR [--backend wasm] [--n 256] [--prompts FILE]'); process.exit(2); }
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const file = path.resolve(arg('--prompts', path.join(root, 'data/demo/eval-prompts.jsonl')));
const prompts = parsePrompts(fs.readFileSync(file, 'utf8'), file).slice(0, Number(arg('--n', '256')));
const be = await createBackend(arg('--backend', 'wasm') as 'wasm');
const { model, config } = loadModel(be, dir, { batch: 64 });
const text = loadPolicyText(dir, { chat: false, config });
const policy = new Policy(model, text);
const enc = prompts.map((item) => ({ item, ids: text.encodePrompt(item) }));
for (const [name, temperature] of [['temperature 1', 1], ['greedy', 0]] as const) {
  const ids = await policy.sample(enc, { k: 1, maxNewTokens: 24, seed: 7n, sample: { temperature, topP: 1, topK: 0 } });
  const rows = prompts.map((p, i) => ({ prompt: p.text, response: text.decode(ids[i][0]) }));
  const marks = arithMarks(rows);
  const acc = marks.filter(Boolean).length / rows.length;
  const verbose = rows.filter((r) => r.response.includes('(')).length / rows.length;
  const len = rows.reduce((s, r) => s + [...r.response].length, 0) / rows.length;
  // a chatty answer is coherent when its working restates the prompt and the same number: "81 (since 23+58=81)"
  const chatty = rows.filter((r) => r.response.includes('('));
  const coherent = chatty.filter((r) => { const m = /^(\d+) \(since (.*)=(\d+)\)$/.exec(r.response); return m !== null && m[2] + '=' === r.prompt && m[1] === m[3]; }).length;
  console.log(`${name.padEnd(14)} accuracy ${(100 * acc).toFixed(1)}%  chatty ${(100 * verbose).toFixed(1)}% (${chatty.length ? ((100 * coherent) / chatty.length).toFixed(0) : '–'}% of them coherent)  mean length ${len.toFixed(2)} chars  (n=${rows.length})`);
  for (const r of rows.slice(0, 6)) console.log(`    ${r.prompt}${r.response}`);
}
model.dispose();
process.exit(0);
