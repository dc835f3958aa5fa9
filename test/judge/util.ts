// Helpers shared by the judge tests: awaiting an expected error, a float64 logistic, and a
// seeded random source for fresh inputs.
import * as assert from 'uvu/assert';

/** awaits `p`, which must reject with an Error whose message matches every pattern; returns it */
export async function rejects(p: Promise<unknown> | (() => Promise<unknown>), ...patterns: RegExp[]): Promise<Error> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error)) assert.unreachable(`expected a rejection matching ${patterns.join(' and ')}, got ${err === undefined ? 'success' : String(err)}`);
  const e = err as Error;
  for (const re of patterns) if (!re.test(e.message)) assert.unreachable(`error message ${JSON.stringify(e.message)} does not match ${re}`);
  return e;
}

/** σ(x) in float64, written independently of src/judge */
export const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

export const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;

/** mulberry32 from SEED (SPPO_SEED=n replays a run) */
export function rng(seed = SEED): { seed: number; next: () => number; int: (lo: number, hi: number) => number } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo)) };
}

/** a random word-ish string of length n over `alphabet` */
export function randomText(r: { int: (lo: number, hi: number) => number }, n: number, alphabet = 'abcdefghij klmnop'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[r.int(0, alphabet.length)];
  return s;
}
