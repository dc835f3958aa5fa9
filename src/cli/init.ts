// `sppo init [DIR]`: a starter SPPO project that runs from an installed package — no checkout,
// nothing downloaded. DIR (default sppo-starter) receives
//   sppo.config.json   the run: builtin:demo (models/demo: a 0.92M-parameter model that
//                      `sppo sft` taught arithmetic with sloppy habits), 2 iterations of 128
//                      prompts, evaluated on 64 held-out prompts
//   prompts.jsonl      training prompts ("23+58=", from the package's data/demo)
//   eval-prompts.jsonl held-out evaluation prompts
//   judge.mjs          the judge, in plain JavaScript: a right answer beats a wrong one, the
//                      shorter of two equals wins — the file to edit for your own preference
// then prints the next command. Existing files are never overwritten. (It starts from builtin:demo,
// not the tiny example: examples/ is not shipped, and the demo model is the stronger start.)
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { packageDataFile } from '../sppo/env/package-root.js';
import { writeFileAtomic } from '../model/io-files.js';

export const STARTER_CONFIG = {
  '//': 'An SPPO run made by `sppo init`: every key and its default is in `sppo train --help`. Paths are relative to this file.',
  model: 'builtin:demo',
  prompts: 'prompts.jsonl',
  evalPrompts: 'eval-prompts.jsonl',
  judge: './judge.mjs',
  out: 'run',
  iterations: 2,
  k: 4,
  loss: 'sppo',
  eta: 10,
  optimizer: 'adamw',
  lr: 1e-4,
  lrSchedule: 'linear',
  epochs: 2,
  batchSize: 8,
  maxNewTokens: 24,
  maxPromptTokens: 16,
  temperature: 1,
  topP: 1,
  seed: 1,
  generateUnit: 64,
  trainUnit: 8,
  evalSize: 64,
  backend: 'auto',
};

export const STARTER_JUDGE = `// The judge of this run: P(a ≻ b) for each pair {prompt, a, b}, each in [0, 1].
// sppo asks it about every pair of the K answers to a prompt (a K×K matrix) and trains the
// policy toward the answers that win. Edit it to prefer what you want; the same function can be
// passed as \`judge\` to new SPPO({...}) or evaluate({...}) from code.
//
// This one grades arithmetic prompts like "23+58=": a right answer beats a wrong one
// (P = 0.95); between two right (or two wrong) answers the shorter wins (P = 0.6).
const answerOf = (prompt) => {
  const m = /(\\d+)\\s*([-+])\\s*(\\d+)\\s*=\\s*$/.exec(prompt);
  if (!m) throw new Error(\`not an arithmetic prompt: \${prompt}\`);
  return m[2] === '+' ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3]);
};
const isRight = (prompt, answer) => {
  const m = /^\\s*(-?\\d+)(?![\\d]|[.,]\\d)/.exec(answer);
  return m !== null && Number(m[1]) === answerOf(prompt);
};

export default async function judge(pairs) {
  return pairs.map(({ prompt, a, b }) => {
    const ra = isRight(prompt, a), rb = isRight(prompt, b);
    if (ra !== rb) return ra ? 0.95 : 0.05;
    if (a.length === b.length) return 0.5;
    return a.length < b.length ? 0.6 : 0.4;
  });
}
`;

const lines = (file: string, n: number) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).slice(0, n).join('\n') + '\n';

/** writes the starter files into dir; refuses to overwrite any of them */
export function writeStarter(dir: string): string[] {
  const files: [string, string][] = [
    ['sppo.config.json', JSON.stringify(STARTER_CONFIG, null, 2) + '\n'],
    ['prompts.jsonl', lines(packageDataFile('demo/train-prompts.jsonl'), 128)],
    ['eval-prompts.jsonl', lines(packageDataFile('demo/eval-prompts.jsonl'), 64)],
    ['judge.mjs', STARTER_JUDGE],
  ];
  const taken = files.map(([f]) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  if (taken.length) throw new Error(`sppo init: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}: choose another directory (sppo init DIR) or move them away`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of files) writeFileAtomic(path.join(dir, f), text);
  return files.map(([f]) => f);
}

export function register(program: Command): void {
  program
    .command('init')
    .description('write a starter project (config, prompts, a judge module to edit) that `sppo train` runs at once')
    .argument('[dir]', 'where to write it', 'sppo-starter')
    .action((dir: string) => {
      const files = writeStarter(path.resolve(dir));
      const rel = path.relative(process.cwd(), path.resolve(dir)) || '.';
      process.stderr.write(`sppo init: wrote ${files.map((f) => path.join(rel, f)).join(', ')}\n`);
      process.stdout.write(`next: npx sppo train --config ${path.join(rel, 'sppo.config.json')}   (report: ${path.join(rel, 'run', 'report.html')})\n`);
    });
}
