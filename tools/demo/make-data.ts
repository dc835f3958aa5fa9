// Makes everything the embedded demo model (models/demo) is trained from — deterministic, the
// same files every run:
//   node --import tsx tools/demo/make-data.ts [--passes 2] [--out DIR]
//
// The task: two-digit sums and differences, "23+58=" → "81" (prompts "A+B=" and "A-B=" with
// 10 ≤ A, B ≤ 99, A ≥ B for differences: 8,100 + 4,095 = 12,195 distinct prompts), split three
// ways, disjoint:
//   data/demo/eval-prompts.jsonl   256, held out from everything: the demo's evaluation
//   data/demo/train-prompts.jsonl  512, SPPO's training prompts (never seen by SFT either)
//   the other 11,427               the SFT prompts, written to DIR (default tools/demo/build/):
//     arith.jsonl    each with its right, short answer                 (stage 1: the skill)
//     explain.jsonl  each with its right answer and working, "81 (since 23+58=81)"  (stage 1b)
//     sft.jsonl      each --passes times, every time a fresh answer from a deliberately mixed
//                    bag (stage 2: the habits SPPO is to correct):
//                      30% right and short      "81"
//                      20% right and chatty     "81 (since 23+58=81)"
//                      35% wrong and short      "82"  (off by 1–3, or by ten)
//                      15% wrong and chatty     "71 (since 23+58=71)"
// so the model samples a right answer about half the time and a chatty one a third of the time,
// though its greedy answer is nearly always right: the skill is there, the habits hide it.
// builtin:arith (a right answer beats a wrong one; between equals the shorter wins) is a judge
// a person reading the answers agrees with. DIR also receives the fresh model's config.json and
// the byte-level tokenizer files `sppo sft --init` needs (tools/demo/train.sh runs it all).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOS, byteLevelTokenizer, EOS } from '../byte-tokenizer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const outDir = path.resolve(arg('--out', path.join(here, 'build')));
const sftPasses = Number(arg('--passes', '2')); // SFT examples: every remaining prompt this many times, a fresh answer each time
const dataDir = path.join(root, 'data/demo');
const EVAL_N = 256, TRAIN_N = 512;

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
const rand = rng(20240607);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}

interface Problem { a: number; b: number; op: '+' | '-' }
const answer = (p: Problem) => (p.op === '+' ? p.a + p.b : p.a - p.b);
const promptOf = (p: Problem) => `${p.a}${p.op}${p.b}=`;

/** a plausible wrong answer: off by 1–3 either way, or by ten (a slipped carry); never negative */
function wrong(p: Problem): number {
  const right = answer(p);
  for (;;) {
    const off = rand() < 0.75 ? pick([1, 2, 3]) : 10;
    const v = right + (rand() < 0.5 ? -off : off);
    if (v >= 0) return v;
  }
}

function response(p: Problem): string {
  const u = rand();
  const correct = u < 0.5, verbose = u < 0.2 || u >= 0.85;
  const v = correct ? answer(p) : wrong(p);
  return verbose ? `${v} (since ${p.a}${p.op}${p.b}=${v})` : `${v}`;
}

const problems: Problem[] = [];
for (let a = 10; a <= 99; a++) {
  for (let b = 10; b <= 99; b++) {
    problems.push({ a, b, op: '+' });
    if (a >= b) problems.push({ a, b, op: '-' });
  }
}
shuffle(problems);
const evalSet = problems.slice(0, EVAL_N), trainSet = problems.slice(EVAL_N, EVAL_N + TRAIN_N), sftSet = problems.slice(EVAL_N + TRAIN_N);

fs.mkdirSync(dataDir, { recursive: true });
fs.mkdirSync(outDir, { recursive: true });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
fs.writeFileSync(path.join(dataDir, 'eval-prompts.jsonl'), jsonl(evalSet.map((p) => ({ prompt: promptOf(p) }))));
fs.writeFileSync(path.join(dataDir, 'train-prompts.jsonl'), jsonl(trainSet.map((p) => ({ prompt: promptOf(p) }))));
const sftRows: { prompt: string; response: string }[] = [];
const n = sftPasses * sftSet.length;
for (let i = 0; i < n; i++) {
  if (i > 0 && i % sftSet.length === 0) shuffle(sftSet);
  const p = sftSet[i % sftSet.length];
  sftRows.push({ prompt: promptOf(p), response: response(p) });
}
fs.writeFileSync(path.join(outDir, 'sft.jsonl'), jsonl(sftRows));
// stage 1: the same prompts with only right, short answers (the arithmetic itself)
fs.writeFileSync(path.join(outDir, 'arith.jsonl'), jsonl(sftSet.map((p) => ({ prompt: promptOf(p), response: `${answer(p)}` }))));
// stage 1b: right answers with their working, "81 (since 23+58=81)" — the chatty form, learnt clean
fs.writeFileSync(path.join(outDir, 'explain.jsonl'), jsonl(sftSet.map((p) => ({ prompt: promptOf(p), response: `${answer(p)} (since ${promptOf(p)}${answer(p)})` }))));

// ---- the byte-level tokenizer (256 byte tokens, <s> = 256 as BOS, </s> = 257 as EOS) -------
const tokenizer = byteLevelTokenizer(); // tools/byte-tokenizer.ts
const MAX_POS = 64;
fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', add_bos_token: true, model_max_length: MAX_POS, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2) + '\n');
// sampling defaults the demo (and anyone using the model) starts from
fs.writeFileSync(path.join(outDir, 'generation_config.json'), JSON.stringify({ bos_token_id: BOS, eos_token_id: EOS, do_sample: true, temperature: 1.0, top_p: 1.0, max_new_tokens: 40 }, null, 2) + '\n');
// the fresh model: Llama family, ~0.9M parameters
const hidden = Number(arg('--hidden', '128')), layers = Number(arg('--layers', '4'));
fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 258, hidden_size: hidden, intermediate_size: hidden * 3,
  num_hidden_layers: layers, num_attention_heads: 4, num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_theta: 10000,
  max_position_embeddings: MAX_POS, tie_word_embeddings: false, bos_token_id: BOS, eos_token_id: EOS,
}, null, 2) + '\n');
console.error(`make-data: ${evalSet.length} eval + ${trainSet.length} SPPO prompts → ${path.relative(root, dataDir)}; ${sftRows.length} SFT examples + model config + tokenizer → ${path.relative(root, outDir)}`);
