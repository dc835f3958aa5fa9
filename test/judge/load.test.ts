// loadJudge spec parsing: builtin:NAME[?options], http(s) URLs, module paths, model directories
// (none loadable yet: a clear error), registerJudgeKind plug-ins, and clear errors for unknown
// builtins (listing them), missing files, plain files and non-specs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { btJudge } from '../../src/judge/bt.js';
import { registerBuiltin } from '../../src/judge/builtins.js';
import { loadJudge, registerJudgeKind } from '../../src/judge/load.js';
import { rejects } from './util.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/judge');

const s = suite('loadJudge');
s('each kind of spec picks its kind of judge', async () => {
  const b = await loadJudge('builtin:cyclic3');
  assert.is(b.name, 'builtin:cyclic3');
  assert.is(b.info?.kind, 'builtin');
  const h = await loadJudge('https://api.example.invalid/v1?model=gpt-judge');
  assert.is(h.name, 'https://api.example.invalid/v1');
  assert.is(h.info?.kind, 'http');
  assert.is(h.orderSensitive, true);
  const m = await loadJudge('./shorter.mjs', { cwd: fixtures });
  assert.is(m.info?.kind, 'module');
  assert.is(m.info?.path, path.join(fixtures, 'shorter.mjs'));
  const spaced = await loadJudge('  builtin:length  ');
  assert.is(spaced.name, 'builtin:length');
});
s('unknown builtin: the error lists the builtins', async () => {
  await rejects(loadJudge('builtin:lenght'), /judge builtin:lenght is not a built-in judge/, /builtin:arith, builtin:arith-strict, builtin:cyclic3, builtin:length, builtin:longer, builtin:sentiment/);
  await rejects(loadJudge('builtin:'), /not a built-in judge/);
});
s('missing files, plain files, directories and non-specs are clear errors', async () => {
  await rejects(loadJudge('./nope/judge.mjs', { cwd: fixtures }), /judge \.\/nope\/judge\.mjs not found/, /check the path/);
  await rejects(loadJudge('./nope/reward-model', { cwd: fixtures }), /not found/, new RegExp(path.join(fixtures, 'nope/reward-model').replace(/[/.]/g, '\\$&')));
  await rejects(loadJudge('plain.txt', { cwd: fixtures }), /without a module extension/, /\.mjs/);
  await rejects(loadJudge(fixtures), /is a directory/, /without a config\.json/, /builtin:length/);
  await rejects(loadJudge('judge-me'), /is not a judge spec/, /builtin:NAME/, /http\(s\):\/\//, /module path/);
  await rejects(loadJudge(''), /is not a judge spec/);
  await rejects(loadJudge('http://'), /not a valid URL/);
  await rejects(loadJudge('ftp://host/v1'), /is not a judge spec/);
});
s('registerJudgeKind plugs in new spec kinds (e.g. reward-model directories) before the built-in kinds', async () => {
  registerJudgeKind({
    name: 'test-reward-dir',
    matches: (spec) => spec.endsWith(path.basename(fixtures)),
    load: async (spec, o) => btJudge(`rm:${spec}`, (_p, y) => y.length, { info: { kind: 'reward-model', scale: o.scale ?? null } }),
  });
  const j = await loadJudge(fixtures, { scale: 2 });
  assert.is(j.name, `rm:${fixtures}`);
  assert.equal(j.info, { kind: 'reward-model', scale: 2 });
  const [p] = await j.compare([{ prompt: '', a: 'long', b: 'x' }]);
  assert.ok(p > 0.9);
});
s('registerBuiltin extends the registry and the error list', async () => {
  registerBuiltin({ name: 'always-a', describe: 'always prefers a', make: () => btJudge('builtin:always-a', () => 0) });
  assert.is((await loadJudge('builtin:always-a')).name, 'builtin:always-a');
  await rejects(loadJudge('builtin:zzz'), /builtin:always-a/);
  assert.throws(() => registerBuiltin({ name: 'Bad Name', describe: '', make: () => btJudge('x', () => 0) }), /lowercase/);
});
s.run();
