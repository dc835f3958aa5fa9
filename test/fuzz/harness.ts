// The fuzz harness: seeded mutations of every input format (targets.ts), run in a child process
// (worker.ts) under a watchdog and a 1 GiB heap limit, so that a hang or an out-of-memory is a
// reported failure naming its case instead of a stuck or crashed suite.
//   property: each case gives a valid result (the target's own check) or ONE error of the
//   project's classes (TokenizerFileError, ModelFileError, ChatTemplateError, JudgeError,
//   PreferenceDataError, RunLockedError, or a plain Error) whose message names the input —
//   never a raw TypeError / RangeError / SyntaxError / wasm trap, a hang, an out-of-memory.
//   SPPO_SEED=n        the run's seed (printed); case i uses caseSeed(n, target, i)
//   SPPO_FUZZ_CASES=N  cases per target (default: each target's own count, a few hundred)
//   SPPO_FUZZ_CASE=i   only case i (to replay a printed failure)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0;

/** mulberry32 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function caseSeed(seed: number, target: string, i: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const c of `${target}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export interface Bad { target: string; i: number; caseSeed: number; problem: string; input: string }

/** Hang guard: no case may run this long (the property is "never a hang"; timing decides nothing else). */
const STALL_MS = 60_000;

/**
 * Runs the targets' cases, one after the other, in one child process (one start-up per test
 * file); resolves with each target's defects (at most a few per kind) and the cases it ran.
 */
export function runTargets(list: [target: string, defaultCases: number][]): Promise<Map<string, { bad: Bad[]; cases: number }>> {
  const envCases = process.env.SPPO_FUZZ_CASES ? Number(process.env.SPPO_FUZZ_CASES) : null;
  const only = process.env.SPPO_FUZZ_CASE !== undefined ? Number(process.env.SPPO_FUZZ_CASE) : null;
  const jobs = list.map(([target, n]) => ({ target, cases: envCases ?? n }));
  const results = new Map(jobs.map((j) => [j.target, { bad: [] as Bad[], cases: 0 }]));
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=1024'],
      env: { ...process.env, SPPO_FUZZ_JOB: JSON.stringify({ jobs, seed: SEED, only }) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
    let target = jobs[0]?.target ?? '', current = -1, finished = false;
    let timer = setTimeout(stall, STALL_MS);
    const fail = (problem: string) => results.get(target)?.bad.push({ target, i: current, caseSeed: caseSeed(SEED, target, current), input: '', problem });
    function stall() {
      fail(`no answer within ${STALL_MS / 1000} s: a hang`);
      finish();
    }
    function finish() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(results);
    }
    child.on('message', (m: { type: string; target?: string; i?: number; bad?: Bad }) => {
      clearTimeout(timer);
      timer = setTimeout(stall, STALL_MS);
      if (m.type === 'start') { target = m.target!; current = m.i!; results.get(target)!.cases++; }
      else if (m.type === 'bad') results.get(m.bad!.target)!.bad.push(m.bad!);
      else if (m.type === 'done') finish();
    });
    child.on('exit', (code, signal) => {
      if (finished) return;
      const oom = /heap out of memory|Allocation failed/.test(stderr);
      fail(`the fuzz process died (exit ${code}, signal ${signal})${oom ? ': out of memory — a size from the input was trusted' : ''}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      finish();
    });
  });
}

/** One target alone. */
export async function runTarget(target: string, defaultCases: number): Promise<{ bad: Bad[]; cases: number }> {
  return (await runTargets([[target, defaultCases]])).get(target)!;
}

/** One readable report line per defect, with how to replay it. */
export function report(bad: Bad[]): string {
  return bad.map((b) => `  ${b.target} case ${b.i} (SPPO_SEED=${SEED} SPPO_FUZZ_CASE=${b.i}): ${b.problem}${b.input ? `\n      input: ${b.input}` : ''}`).join('\n');
}
