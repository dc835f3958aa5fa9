// Makes everything the tiny example's policy (examples/tiny/model) is trained from — the demo's
// recipe (tools/demo/make-data.ts) on a task a ~50k-parameter model can hold: one-digit sums and
// differences, "3+4=" → "7". Deterministic: the same files every run.
//   node --import tsx tools/tiny/make-data.ts [--out DIR] [--hidden 32] [--layers 2]
//
// The 155 problems "A+B=" and "A-B=" (0 ≤ A, B ≤ 9, A ≥ B for differences) are all SFT prompts:
// a model this small learns the facts, it does not generalise arithmetic to unseen sums. SPPO's
// prompts and the evaluation prompts are split from them, disjoint:
//   examples/tiny/prompts.jsonl        100 SPPO training prompts
//   examples/tiny/eval-prompts.jsonl   the other 55, each listed 4 times (one sample per line:
//                                      220 answers per evaluation; SPPO never trains on these)
// and DIR (default tools/tiny/build/) receives the SFT data, stage by stage as in the demo:
//   arith.jsonl    each problem with its right, short answer, 40 times    (stage 1: the skill)
//   explain.jsonl  right answers with their working, "7 (since 3+4=7)", 10 times  (stage 1b)
//   sft.jsonl      each problem 40 times, every time a fresh answer from a mixed bag (stage 2:
//                  the habits SPPO is to correct):
//                    30% right and short   "7"          20% right and chatty  "7 (since 3+4=7)"
//                    35% wrong and short   "8" (off by 1–2)   15% wrong and chatty
// plus the fresh model's config.json and the byte-level tokenizer `sppo sft --init` needs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOS, EOS, VOCAB, writeByteTokenizer } from '../byte-tokenizer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const outDir = path.resolve(arg('--out', path.join(here, 'build')));
const exampleDir = path.join(root, 'examples/tiny');
const TRAIN_N = 100, EVAL_REPEAT = 4;
const SKILL_PASSES = 40, EXPLAIN_PASSES = 10, HABIT_PASSES = 40;

/** SplitMix32-style seeded PRNG: deterministic on every runtime */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261204);
function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}

interface Problem { a: number; b: number; op: '+' | '-' }
const answer = (p: Problem) => (p.op === '+' ? p.a + p.b : p.a - p.b);
const promptOf = (p: Problem) => `${p.a}${p.op}${p.b}=`;

/** a plausible wrong answer: off by 1 or 2 either way, never negative */
function wrong(p: Problem): number {
  const right = answer(p);
  for (;;) {
    const v = right + (rand() < 0.5 ? -1 : 1) * (rand() < 0.7 ? 1 : 2);
    if (v >= 0) return v;
  }
}
const chatty = (p: Problem, v: number) => `${v} (since ${promptOf(p)}${v})`;
function habit(p: Problem): string {
  const u = rand();
  const correct = u < 0.5, verbose = u < 0.2 || u >= 0.85;
  const v = correct ? answer(p) : wrong(p);
  return verbose ? chatty(p, v) : `${v}`;
}

const problems: Problem[] = [];
for (let a = 0; a <= 9; a++) {
  for (let b = 0; b <= 9; b++) {
    problems.push({ a, b, op: '+' });
    if (a >= b) problems.push({ a, b, op: '-' });
  }
}
shuffle(problems);
const train = problems.slice(0, TRAIN_N), held = problems.slice(TRAIN_N);

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
/** every problem `passes` times, reshuffled each pass, with `resp` making each answer */
const passes = (n: number, resp: (p: Problem) => string) => {
  const rows: { prompt: string; response: string }[] = [];
  for (let i = 0; i < n; i++) for (const p of shuffle([...problems])) rows.push({ prompt: promptOf(p), response: resp(p) });
  return rows;
};
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(exampleDir, 'prompts.jsonl'), jsonl(train.map((p) => ({ prompt: promptOf(p) }))));
const evalRows: { prompt: string }[] = [];
for (let i = 0; i < EVAL_REPEAT; i++) for (const p of held) evalRows.push({ prompt: promptOf(p) });
fs.writeFileSync(path.join(exampleDir, 'eval-prompts.jsonl'), jsonl(evalRows));
fs.writeFileSync(path.join(outDir, 'arith.jsonl'), jsonl(passes(SKILL_PASSES, (p) => `${answer(p)}`)));
fs.writeFileSync(path.join(outDir, 'explain.jsonl'), jsonl(passes(EXPLAIN_PASSES, (p) => chatty(p, answer(p)))));
fs.writeFileSync(path.join(outDir, 'sft.jsonl'), jsonl(passes(HABIT_PASSES, habit)));

const MAX_POS = 32;
writeByteTokenizer(outDir, MAX_POS);
fs.writeFileSync(path.join(outDir, 'generation_config.json'), JSON.stringify({ bos_token_id: BOS, eos_token_id: EOS, do_sample: true, temperature: 1.0, top_p: 1.0, max_new_tokens: 24 }, null, 2) + '\n');
const hidden = Number(arg('--hidden', '32')), layers = Number(arg('--layers', '2'));
fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: VOCAB, hidden_size: hidden, intermediate_size: hidden * 3,
  num_hidden_layers: layers, num_attention_heads: 4, num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_theta: 10000,
  max_position_embeddings: MAX_POS, tie_word_embeddings: false, bos_token_id: BOS, eos_token_id: EOS,
}, null, 2) + '\n');
console.error(`tiny make-data: ${train.length} SPPO prompts + ${held.length}×${EVAL_REPEAT} evaluation prompts → examples/tiny; SFT data (${problems.length} problems) + model config + tokenizer → ${path.relative(root, outDir)}`);
