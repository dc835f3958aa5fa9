// Where the installed package lives (Node only), and the files it ships: the embedded models
// (`builtin:NAME` → models/NAME/) and the demo's prompt sets (data/demo/). Found by walking up
// from this module's own file until a package.json named "sppo" appears, so it works from
// src/ under tsx, from the esbuild bundles in dist/node/, and from node_modules/sppo.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** the directory holding sppo's package.json */
export function packageRoot(): string {
  if (cached) return cached;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try { if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'sppo') return (cached = dir); } catch { /* not ours: keep walking */ }
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`sppo: cannot find the sppo package directory above ${start} (no package.json named "sppo"): reinstall the package`);
}

/** the embedded models: directory names under models/ */
export function builtinModels(): string[] {
  const dir = path.join(packageRoot(), 'models');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'config.json'))).map((e) => e.name).sort();
}

/** `builtin:NAME` (or NAME) → the shipped model directory models/NAME */
export function builtinModelDir(spec: string): string {
  const name = spec.startsWith('builtin:') ? spec.slice('builtin:'.length) : spec;
  const dir = path.join(packageRoot(), 'models', name);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || !fs.existsSync(path.join(dir, 'config.json'))) {
    const known = builtinModels();
    throw new Error(`sppo: no embedded model "${name}" (builtin:${name}): known are ${known.length ? known.map((k) => `builtin:${k}`).join(', ') : 'none — the package ships no models/ folder'}; or give a model directory`);
  }
  return dir;
}

/** a file the package ships under data/ (e.g. 'demo/eval-prompts.jsonl') */
export function packageDataFile(rel: string): string {
  const file = path.join(packageRoot(), 'data', rel);
  if (!fs.existsSync(file)) throw new Error(`sppo: the package file data/${rel} is missing: reinstall the package (or run tools/demo/make-data.ts in a checkout)`);
  return file;
}
