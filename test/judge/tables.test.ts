// Judge kinds are registered explicitly, in one table each (issue 17): the built-ins in
// src/judge/builtins.ts's BUILTINS, the model-directory kinds in src/judge/model-kinds.ts's
// MODEL_JUDGE_KINDS; no source file registers a kind as a side effect of being imported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinJudges } from '../../src/judge/builtins.js';
import { MODEL_JUDGE_KINDS } from '../../src/judge/model-kinds.js';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (e.name === 'generated' ? [] : files(path.join(dir, e.name))) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);

test('the tables hold the kinds, in the order loadJudge tries them', () => {
  assert.equal(builtinJudges().map((b) => b.name), ['arith', 'arith-strict', 'cyclic3', 'length', 'longer', 'sentiment']);
  assert.equal(MODEL_JUDGE_KINDS.map((k) => k.name).at(-1), 'model-directory', 'the catch-all model directory kind comes last');
  assert.ok(MODEL_JUDGE_KINDS.some((k) => k.name === 'reward-model') && MODEL_JUDGE_KINDS.some((k) => k.name === 'pairwise-model'));
});

test('no module of the package registers a judge kind or built-in at its top level', () => {
  const all = files(src);
  assert.ok(all.length > 100, `${all.length} source files`);
  const hits = all.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').map((line, i) => ({ f, i, line })))
    .filter(({ line }) => /^(?:await\s+)?register(?:Builtin|JudgeKind)\s*\(/.test(line))
    .map(({ f, i }) => `${path.relative(src, f)}:${i + 1}`);
  assert.equal(hits, []);
});

test.run();
