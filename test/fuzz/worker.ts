// The fuzz worker (a child process of harness.ts): runs one target's cases and reports each
// defect to the parent: a raw error class, an error that does not name its input, a non-Error throw, or an
// invalid result. Posts 'start' before every case (the watchdog's heartbeat) and 'done' at the end.
import { caseSeed, rng, type Bad } from './harness.js';
import { TARGETS } from './targets.js';
import { preview } from './mutate.js';

const { target, seed, cases, only } = JSON.parse(process.env.SPPO_FUZZ_JOB ?? '{}') as { target: string; seed: number; cases: number; only: number | null };
const post = (m: unknown) => new Promise<void>((ok) => process.send!(m, () => ok()));
const t = TARGETS[target];
if (!t) throw new Error(`no fuzz target ${target}`);

/** The project's error classes: an error of one of these (or a plain Error) naming the input is a clear error. */
const CLEAR = new Set(['TokenizerFileError', 'ModelFileError', 'ChatTemplateError', 'JudgeError', 'PreferenceDataError', 'RunLockedError', 'Error']);
const perKind = new Map<string, number>();

function classify(e: unknown): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${preview(e, 120)}`;
  const cls = e.constructor?.name ?? 'unknown';
  if (!CLEAR.has(cls) || !CLEAR.has(e.name)) return `raw ${cls}: ${e.message.slice(0, 300)}`;
  const names = t.names;
  if (typeof names === 'string' ? !e.message.includes(names) : !names.test(e.message)) return `${cls} that does not name the input: ${e.message.slice(0, 300)}`;
  return null;
}

await t.setup?.();
const start = only ?? 0, end = only !== null ? only + 1 : cases;
for (let i = start; i < end; i++) {
  await post({ type: 'start', i });
  const s = caseSeed(seed, target, i);
  const r = rng(s);
  let input: unknown;
  let problem: string | null = null;
  try {
    input = t.make(r);
  } catch (e) {
    throw new Error(`fuzz target ${target}: make() failed on case ${i}: ${(e as Error).stack}`);
  }
  try {
    const res = await t.run(input, r);
    if (typeof res === 'string') problem = `invalid result: ${res}`;
  } catch (e) {
    problem = classify(e);
  }
  if (problem) {
    const kind = problem.replace(/\d+/g, 'N').slice(0, 80);
    const n = perKind.get(kind) ?? 0;
    perKind.set(kind, n + 1);
    if (n < 2) await post({ type: 'bad', bad: { target, i, caseSeed: s, problem, input: preview(input) } satisfies Bad });
  }
}
await t.teardown?.();
await post({ type: 'done' });
process.disconnect?.();
