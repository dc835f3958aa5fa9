// The algorithm imports no environment (issue 17): from src/sppo/coordinator.ts, following every
// static and dynamic relative import, no module under src/sppo/env/ and no node: builtin is
// reached, and no file under src/sppo/ outside env/ imports env/ except the Node programs that
// run the coordinator (demo.ts, evaluate.ts). Imports are read from the source text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const SPEC = /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[^'";]*?\sfrom\s*)?\(?\s*['"]([^'"]+)['"]/gm;

/** the module specifiers a file imports (static, dynamic, re-exports; `import type` included) */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPEC)].map((m) => m[1]);
}
const resolve = (from: string, spec: string) => path.join(path.dirname(from), spec).replace(/\.js$/, '.ts');

/** every file reachable from `entry` by relative imports, with the builtins they import */
function closure(entry: string): { files: Set<string>; builtins: Map<string, string> } {
  const files = new Set<string>(), builtins = new Map<string, string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const s of specifiers(f)) {
      if (s.startsWith('.')) todo.push(resolve(f, s));
      else if (s.startsWith('node:')) builtins.set(s, path.relative(src, f));
    }
  }
  return { files, builtins };
}

test('the spec reader finds the imports of a file it knows (so the checks below can fail)', () => {
  const specs = specifiers(path.join(src, 'sppo/env/node-sppo.ts'));
  assert.ok(specs.includes('./node-deps.js') && specs.includes('../coordinator.js') && specs.includes('../../kernels/index.js'), specs.join(', '));
  const reach = closure(path.join(src, 'sppo/env/node-sppo.ts'));
  assert.ok([...reach.files].some((f) => f.endsWith('sppo/env/store.ts')) && reach.builtins.has('node:fs'));
});

test('the coordinator reaches no environment module and no node: builtin', () => {
  const { files, builtins } = closure(path.join(src, 'sppo/coordinator.ts'));
  assert.ok(files.size > 10, `only ${files.size} files reached`);
  const env = [...files].filter((f) => f.includes(`${path.sep}sppo${path.sep}env${path.sep}`)).map((f) => path.relative(src, f));
  assert.equal(env, [], `the coordinator reaches ${env.join(', ')}`);
  assert.equal([...builtins.entries()], [], 'node builtins reached from the coordinator (file: builtin)');
});

test('src/sppo/ outside env/ imports env/ only from the Node programs (demo.ts, evaluate.ts)', () => {
  const dir = path.join(src, 'sppo');
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const bad = specifiers(path.join(dir, name)).filter((s) => s.startsWith('./env/'));
    if (name === 'demo.ts' || name === 'evaluate.ts') continue;
    assert.equal(bad, [], `src/sppo/${name} imports ${bad.join(', ')}`);
  }
});

test.run();
