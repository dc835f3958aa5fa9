// Preference matrices from a judge, for the SPPO win rates P̂(y_i ≻ π | x) = mean_j M[i][j].
//   M: (K, K), M[i][j] = P(y_i ≻ y_j | x), M[i][i] = 0.5, M[j][i] = 1 − M[i][j] exactly.
//   Each unordered pair {i < j} is asked once: M[i][j] = compare(x, y_i, y_j).
//   bothOrders (default: judge.orderSensitive) asks (y_i, y_j) and (y_j, y_i) and averages,
//   cancelling a position bias: M[i][j] = (p_ij + 1 − p_ji) / 2.
//   Identical responses (y_i === y_j) are not asked: M[i][j] = 0.5 by definition.
// judgeMatrices batches every pair of every prompt into one compare() call (or chunks of
// maxPairsPerCall), so an HTTP judge can keep its connections busy across prompts.
import { checkProbabilities } from './validate.js';
import { JudgeError, type CompareOptions, type Judge, type Pair } from './types.js';

export interface MatrixItem {
  prompt: string;
  responses: string[];
}

export interface MatrixOptions extends CompareOptions {
  /** ask both orders and average (default: judge.orderSensitive) */
  bothOrders?: boolean;
  /** largest compare() batch (default: all pairs in one call) */
  maxPairsPerCall?: number;
}

/** K×K matrices, one per item, from as few compare() calls as maxPairsPerCall allows */
export async function judgeMatrices(judge: Judge, items: MatrixItem[], o: MatrixOptions = {}): Promise<number[][][]> {
  return (await judgeMatricesCounted(judge, items, o)).matrices;
}

export interface CountedMatrices {
  matrices: number[][][];
  /** per item: pairs asked (both orders count twice) */
  pairs: number[];
  /** per item: pairs the judge could not judge (answered as ties, see CompareOptions.onFailure) */
  failed: number[];
  /** the last failure's reason, for messages */
  lastFailure: string | null;
}

/** judgeMatrices with the count of pairs asked and of pairs the judge failed on, per item */
export async function judgeMatricesCounted(judge: Judge, items: MatrixItem[], o: MatrixOptions = {}): Promise<CountedMatrices> {
  const bothOrders = o.bothOrders ?? judge.orderSensitive;
  const maxPerCall = o.maxPairsPerCall ?? Infinity;
  if (!(maxPerCall >= 1) || (maxPerCall !== Infinity && !Number.isInteger(maxPerCall))) {
    throw new JudgeError(judge.name, `was asked with maxPairsPerCall=${o.maxPairsPerCall}: give an integer ≥ 1`);
  }
  if (!Array.isArray(items)) throw new JudgeError(judge.name, 'judgeMatrices was given no item list: pass [{prompt, responses}, ...]');

  // every question: item n, responses i and j, asked as compare(prompt, y_i, y_j)
  const pairs: Pair[] = [];
  const where: [number, number, number][] = [];
  const mats = items.map((it, n) => {
    if (!it || typeof it.prompt !== 'string' || !Array.isArray(it.responses) || !it.responses.every((r) => typeof r === 'string')) {
      throw new JudgeError(judge.name, `judgeMatrices item ${n} is not {prompt: string, responses: string[]}: pass strings`);
    }
    const K = it.responses.length;
    const M = Array.from({ length: K }, () => new Array<number>(K).fill(0.5));
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        if (it.responses[i] === it.responses[j]) continue;
        pairs.push({ prompt: it.prompt, a: it.responses[i], b: it.responses[j] });
        where.push([n, i, j]);
        if (bothOrders) {
          pairs.push({ prompt: it.prompt, a: it.responses[j], b: it.responses[i] });
          where.push([n, j, i]);
        }
      }
    }
    return M;
  });

  const answers = new Array<number>(pairs.length);
  const asked = items.map(() => 0), failed = items.map(() => 0);
  for (const [n] of where) asked[n]++;
  const seenFailure = new Set<number>();
  let lastFailure: string | null = null;
  const total = pairs.length;
  for (let start = 0, end = 0; start < total; start = end) {
    end = Math.min(total, start + maxPerCall);
    const chunk = pairs.slice(start, end);
    const got = await judge.compare(chunk, {
      signal: o.signal,
      onProgress: o.onProgress ? (d) => o.onProgress!(start + d, total) : undefined,
      onFailure: (k, why) => {
        const w = Number.isInteger(k) ? where[start + k] : undefined;
        if (!w || seenFailure.has(start + k)) return;
        seenFailure.add(start + k);
        failed[w[0]]++;
        lastFailure = why;
        o.onFailure?.(start + k, why);
      },
    });
    const ps = checkProbabilities(got, chunk.length, judge.name);
    for (let k = 0; k < ps.length; k++) answers[start + k] = ps[k];
  }

  // fill upper triangles (averaging both orders), then mirror exactly
  const step = bothOrders ? 2 : 1;
  for (let k = 0; k < pairs.length; k += step) {
    const [n, i, j] = where[k];
    const p = bothOrders ? (answers[k] + 1 - answers[k + 1]) / 2 : answers[k];
    mats[n][i][j] = p;
    mats[n][j][i] = 1 - p;
  }
  return { matrices: mats, pairs: asked, failed, lastFailure };
}

/** the K×K matrix for one prompt */
export async function judgeMatrix(judge: Judge, prompt: string, responses: string[], o: MatrixOptions = {}): Promise<number[][]> {
  return (await judgeMatrices(judge, [{ prompt, responses }], o))[0];
}

/** win rates w_i = mean_j M[i][j] (j over all K, diagonal 0.5 included), the SPPO P̂(y_i ≻ π_t | x) */
export function winRates(M: number[][]): number[] {
  return M.map((row) => row.reduce((s, v) => s + v, 0) / row.length);
}
