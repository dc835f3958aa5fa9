// Bradley–Terry judge over any scalar scorer r(prompt, response):
//   P(a ≻ b | x) = σ(r(x, a) − r(x, b)),  σ(t) = 1 / (1 + e^−t)
// Order-insensitive by construction (σ(−t) = 1 − σ(t)). Scores are computed once per distinct
// (prompt, response) within one compare() call, and awaited together, so an async scorer (a
// reward model behind a queue) sees each text once.
import { checkPairs, preview, sigmoid } from './validate.js';
import { JudgeError, throwIfAborted, type CompareOptions, type Judge, type Pair } from './types.js';

export type Scorer = (prompt: string, response: string) => number | Promise<number>;

export interface BTJudgeOptions {
  /** for the judge's `describe` field */
  describe?: string;
  /** plain JSON-able settings for run records */
  info?: Record<string, unknown>;
  close?: () => Promise<void>;
}

export function btJudge(name: string, score: Scorer, o: BTJudgeOptions = {}): Judge {
  return {
    name,
    describe: o.describe ?? `Bradley–Terry over a scalar score: P(a ≻ b) = σ(r(a) − r(b))`,
    orderSensitive: false,
    info: { kind: 'bradley-terry', ...o.info },
    close: o.close,
    async compare(pairs: Pair[], co: CompareOptions = {}): Promise<number[]> {
      checkPairs(pairs, name);
      throwIfAborted(co.signal);
      // one score per distinct (prompt, response); the NUL separator cannot occur in either key part ambiguously
      const cache = new Map<string, Promise<number>>();
      const scoreOf = (prompt: string, response: string): Promise<number> => {
        const key = prompt.length + ':' + prompt + '\u0000' + response;
        let p = cache.get(key);
        if (!p) {
          p = Promise.resolve()
            .then(() => score(prompt, response))
            .then((r) => {
              if (typeof r !== 'number' || !Number.isFinite(r)) {
                throw new JudgeError(name, `scored response ${preview(response)} as ${preview(r)}, not a finite number: the scorer must return a finite number`);
              }
              return r;
            });
          cache.set(key, p);
        }
        return p;
      };
      const total = pairs.length;
      let done = 0;
      const out = await Promise.all(pairs.map(async (p) => {
        const [ra, rb] = await Promise.all([scoreOf(p.prompt, p.a), scoreOf(p.prompt, p.b)]);
        throwIfAborted(co.signal);
        co.onProgress?.(++done, total);
        return sigmoid(ra - rb);
      }));
      return out;
    },
  };
}
