// The fuzz worker (a child process of harness.ts): runs the targets' cases one after the other
// and reports each defect to the parent: a raw error class, an error that does not name its
// input, a non-Error throw, or an invalid result. Posts 'start' before every case (the
// watchdog's heartbeat) and 'done' at the end.
import { caseSeed, rng, type Bad } from './harness.js';
import { TARGETS } from './targets.js';
import { preview } from './mutate.js';

const { jobs, seed, only } = JSON.parse(process.env.SPPO_FUZZ_JOB ?? '{}') as { jobs: { target: string; cases: number }[]; seed: number; only: number | null };
const post = (m: unknown) => new Promise<void>((ok) => process.send!(m, () => ok()));

/** The project's error classes: an error of one of these (or a plain Error) naming the input is a clear error. */
const CLEAR = new Set(['TokenizerFileError', 'ModelFileError', 'ChatTemplateError', 'JudgeError', 'PreferenceDataError', 'RunLockedError', 'Error']);
function classify(e: unknown, names: string | RegExp): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${preview(e, 120)}`;
  const cls = e.constructor?.name ?? 'unknown';
  if (!CLEAR.has(cls) || !CLEAR.has(e.name)) return `raw ${cls}: ${e.message.slice(0, 300)}`;
  if (typeof names === 'string' ? !e.message.includes(names) : !names.test(e.message)) return `${cls} that does not name the input: ${e.message.slice(0, 300)}`;
  return null;
}

for (const { target, cases } of jobs) {
  const t = TARGETS[target];
  if (!t) throw new Error(`no fuzz target ${target}`);
  const perKind = new Map<string, number>();
  await t.setup?.();
  const start = only ?? 0, end = only !== null ? only + 1 : cases;
  for (let i = start; i < end; i++) {
    await post({ type: 'start', target, i });
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
      problem = classify(e, t.names);
    }
    if (problem) {
      const kind = problem.replace(/\d+/g, 'N').slice(0, 80);
      const n = perKind.get(kind) ?? 0;
      perKind.set(kind, n + 1);
      if (n < 2) await post({ type: 'bad', bad: { target, i, caseSeed: s, problem, input: preview(input) } satisfies Bad });
    }
  }
  await t.teardown?.();
}
await post({ type: 'done' });
process.disconnect?.();
