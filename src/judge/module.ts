// A judge written as a JS/TS module (`--judge ./my-judge.mjs`). The module's default export is
//   async (pairs: {prompt, a, b}[]) => number[]       P(a ≻ b) per pair, in [0, 1]
// or an object with such a `compare` method (and optionally name / orderSensitive / close).
// Every judge is asked both orders, (a, b) and (b, a), averaged, so that a position bias cancels,
// unless it declares itself order-free: a named export `orderSensitive = false` (or that property
// on the object). Every answer is checked (an array, one number per pair,
// each in [0, 1], no NaN); a bad one is an error naming the module.
// The path resolves against the current directory (or options.cwd). Node-only: node: modules
// are imported lazily so the rest of the judge layer stays browser-safe.
import { JudgeError, type Judge } from './types.js';
import { judgeFromValue, type JudgeValue } from './value.js';

export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

export async function moduleJudge(spec: string, o: { cwd?: string } = {}): Promise<Judge> {
  const [{ default: path }, { default: fs }, { pathToFileURL }] = await Promise.all([import('node:path'), import('node:fs'), import('node:url')]);
  const cwd = o.cwd ?? process.cwd();
  const file = path.resolve(cwd, spec);
  let st;
  try { st = fs.statSync(file); } catch {
    throw new JudgeError(spec, `not found: no file at ${file} (module paths resolve against the current directory ${cwd}); check the path`);
  }
  if (!st.isFile()) throw new JudgeError(spec, `is not a file (${file}): give the path of a .js, .mjs or .ts module`);

  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err?.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(file)) {
      throw new JudgeError(spec, `is TypeScript, which this Node cannot import: run with \`node --import tsx\` (or Node ≥ 22.6 with --experimental-strip-types), or compile it to .mjs`, { cause: e });
    }
    throw new JudgeError(spec, `failed to load: ${err?.message ?? String(e)}: fix the module so it imports cleanly`, { cause: e });
  }

  let def = mod.default as unknown;
  // a CommonJS module imported from ESM: module.exports lands on default; its own default may sit inside
  if (def && typeof def === 'object' && 'default' in def && typeof (def as { compare?: unknown }).compare !== 'function') def = (def as { default: unknown }).default;
  const named = path.basename(spec);
  if (typeof def !== 'function' && !(def && typeof def === 'object' && typeof (def as Judge).compare === 'function')) {
    throw new JudgeError(spec, `has no default export function (found ${def === undefined ? 'no default export' : typeof def}): ` +
      `write \`export default async (pairs) => pairs.map((p) => /* P(p.a ≻ p.b) in [0, 1] */ 0.5)\` in ${named}`);
  }
  // a named export `orderSensitive = false` (order-free: asked one order) / `describe` applies to a
  // function default export; without it the judge is asked both orders and they are averaged
  return judgeFromValue(def as JudgeValue, {
    name: spec, orderSensitive: mod.orderSensitive !== false,
    describe: typeof mod.describe === 'string' ? mod.describe : `JS module judge ${spec}`,
    fix: "fix the module's default export", info: { kind: 'module', path: file },
  });
}
