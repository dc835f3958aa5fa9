// The preference oracle: one batched interface behind every judge.
//   compare(pairs) → P(a ≻ b | prompt) for each pair, each in [0, 1].
// Judges are: a JS module (module.ts), Bradley–Terry over a scalar scorer (bt.ts), an LLM over
// an OpenAI-compatible HTTP endpoint (http.ts), built-ins (builtins.ts), and later reward-model
// directories (plugged in through registerJudgeKind in load.ts). The coordinator turns answers
// into K×K matrices with matrix.ts.
// No node: imports here: this file is shared by the browser-safe parts.

/** One comparison: is response `a` better than response `b` for `prompt`? */
export interface Pair {
  prompt: string;
  a: string;
  b: string;
}

export interface CompareOptions {
  /** aborts outstanding work; compare() then rejects with the signal's reason */
  signal?: AbortSignal;
  /** called after each answered pair: done of total */
  onProgress?: (done: number, total: number) => void;
  /**
   * called for pair `index` when the judge could not judge it and answers P = 0.5 instead (an
   * HTTP judge whose answer stays unparseable after its retries): the coordinator counts these
   * and stops a run past judgeFailureLimit
   */
  onFailure?: (index: number, why: string) => void;
}

export interface Judge {
  /** short name for logs and run records, e.g. "builtin:length", "http://127.0.0.1:8000/v1 (qwen)" */
  name: string;
  /** what the judge prefers and how it computes P(a ≻ b), one or two sentences */
  describe?: string;
  /** P(a ≻ b) for each pair, each in [0, 1], in the order given */
  compare(pairs: Pair[], o?: CompareOptions): Promise<number[]>;
  /** true when compare(x,a,b) may differ from 1 - compare(x,b,a): the coordinator then asks both orders */
  orderSensitive: boolean;
  /** plain JSON-able settings for run records (never secrets: API keys are not in it) */
  info?: Record<string, unknown>;
  /** releases connections, workers, models */
  close?(): Promise<void>;
  /**
   * Task metrics of a set of answers, e.g. {accuracy: 0.8} for builtin:arith: the evaluation
   * stage reports them for π_t and the base model (eval.json, report.html). Optional.
   */
  metrics?(items: { prompt: string; response: string }[]): Promise<Record<string, number>>;
}

/**
 * The one error type of the judge layer. The message names the judge (or spec), the cause and
 * the fix: "judge <name> <what is wrong>: <what to do>", e.g.
 *   judge http://127.0.0.1:8000/v1 timed out after 3 tries (timeout 2000 ms): raise judge.timeoutMs or check the server
 */
export class JudgeError extends Error {
  /** the judge name or spec the problem is in */
  readonly judge: string;
  constructor(judge: string, message: string, options?: { cause?: unknown }) {
    super(`judge ${judge} ${message}`, options);
    this.name = 'JudgeError';
    this.judge = judge;
  }
}

/** throws the signal's reason (an AbortError unless the caller gave one) when aborted */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
