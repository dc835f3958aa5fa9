// An LLM judge behind any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp,
// Ollama, LM Studio, ...). One request per pair (http-protocol.ts says what is sent and read),
// at most `concurrency` in flight, each with its own timeout, retried with exponential backoff
// and jitter on 408/429/5xx, network errors, timeouts, invalid bodies and unparseable answers.
//   P(a ≻ b) = soft probability from the answer token's logprobs, else the hard answer 1/0,
//   else (still unparseable after the retries) 0.5 with a warning, reported through
//   compare()'s onFailure so the coordinator can count such pairs (judgeFailureLimit).
// Order-sensitive (LLM judges favour a position): the coordinator asks both orders.
// The API key is read from an environment variable (default OPENAI_API_KEY) once, kept in a
// closure, sent only in the Authorization header, and scrubbed from every message this file
// builds: it is never in errors, logs, `info` or `describe`.
import { checkKnown, booleanOption, numberOption, stringOption, type RawOptions } from './options.js';
import { DEFAULT_SYSTEM_PROMPT, defaultUserMessage, parseCompletion, requestBody, type RequestSettings } from './http-protocol.js';
import { checkPairs, preview } from './validate.js';
import { JudgeError, throwIfAborted, type Judge, type Pair } from './types.js';

export interface HttpJudgeOptions {
  /** model name sent in each request (required) */
  model?: string;
  /** name of the environment variable holding the API key (default OPENAI_API_KEY); unset → no Authorization header */
  apiKeyEnv?: string;
  /** where environment variables are read (default process.env) */
  env?: Record<string, string | undefined>;
  /** per-request timeout, ms (default 60000) */
  timeoutMs?: number;
  /** extra tries after the first (default 4) */
  retries?: number;
  /** first backoff, ms, doubled each retry, with jitter (default 500) */
  backoffMs?: number;
  /** longest backoff, ms (default 10000); also caps a server's Retry-After */
  maxBackoffMs?: number;
  /** requests in flight at once (default 4) */
  concurrency?: number;
  /** ask for logprobs (default true); false for servers that reject the parameter */
  logprobs?: boolean;
  /** how many top logprobs to ask for (default 5) */
  topLogprobs?: number;
  systemPrompt?: string;
  /** the user message for one pair (default: instruction, response A, response B, "A or B?") */
  userMessage?: (p: Pair) => string;
  /** merged into every request body (e.g. {max_completion_tokens: 1}) */
  extraBody?: Record<string, unknown>;
  /** warnings (default: console.error, i.e. stderr) */
  log?: (msg: string) => void;
  /** the fetch to use (default globalThis.fetch) */
  fetch?: typeof fetch;
}

export const HTTP_OPTION_KEYS = ['model', 'apiKeyEnv', 'env', 'timeoutMs', 'retries', 'backoffMs', 'maxBackoffMs', 'concurrency',
  'logprobs', 'topLogprobs', 'systemPrompt', 'userMessage', 'extraBody', 'log', 'fetch'] as const;

/** the base URL for display and requests: no credentials, no query, no trailing slash or /chat/completions */
export function httpBase(url: string): string {
  let u: URL;
  try { u = new URL(url); } catch { throw new JudgeError(url, `is not a valid URL: give an http(s) API base such as http://127.0.0.1:8000/v1`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new JudgeError(url, `is not an http(s) URL: give an API base such as http://127.0.0.1:8000/v1`);
  if (u.username || u.password) {
    throw new JudgeError(`${u.protocol}//${u.host}${u.pathname}`, 'has credentials in its URL: remove them and put the API key in the environment variable named by judge.apiKeyEnv (default OPENAI_API_KEY)');
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

class Timeout { }

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  if (signal?.aborted) { reject(signal.reason); return; }
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** Retry-After in ms (seconds or an HTTP date), or 0 */
function retryAfterMs(h: string | null): number {
  if (!h) return 0;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : 0;
}

/** what went wrong on one try, for the final error */
type Failure =
  | { kind: 'timeout' }
  | { kind: 'network'; why: string }
  | { kind: 'cut'; status: number; why: string }
  | { kind: 'status'; status: number; body: string }
  | { kind: 'invalid'; why: string }
  | { kind: 'unparseable'; content: string };

export function httpJudge(url: string, opts: HttpJudgeOptions = {}): Judge {
  const base = httpBase(url);
  const endpoint = base + '/chat/completions';
  const raw = opts as RawOptions;
  checkKnown(raw, HTTP_OPTION_KEYS, base);
  const model = stringOption(raw, 'model', base);
  if (!model) throw new JudgeError(base, 'needs a model name: add ?model=NAME to the URL or pass {model: NAME} (judge.model)');
  const apiKeyEnv = stringOption(raw, 'apiKeyEnv', base) ?? 'OPENAI_API_KEY';
  const timeoutMs = numberOption(raw, 'timeoutMs', 60000, { above: 0 }, base);
  const retries = numberOption(raw, 'retries', 4, { min: 0, integer: true }, base);
  const backoffMs = numberOption(raw, 'backoffMs', 500, { min: 0 }, base);
  const maxBackoffMs = numberOption(raw, 'maxBackoffMs', 10000, { min: 0 }, base);
  const concurrency = numberOption(raw, 'concurrency', 4, { min: 1, integer: true }, base);
  const settings: RequestSettings = {
    model,
    systemPrompt: stringOption(raw, 'systemPrompt', base) ?? DEFAULT_SYSTEM_PROMPT,
    userMessage: opts.userMessage ?? defaultUserMessage,
    logprobs: booleanOption(raw, 'logprobs', true, base),
    topLogprobs: numberOption(raw, 'topLogprobs', 5, { min: 1, max: 20, integer: true }, base),
    extraBody: opts.extraBody ?? {},
  };
  const env = opts.env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const apiKey = env[apiKeyEnv] || undefined; // kept in this closure only
  const doFetch = opts.fetch ?? globalThis.fetch;
  const log = opts.log ?? ((m: string) => console.error(m));
  const tries = retries + 1;
  const closed = new AbortController();

  /** removes the key from any text that might echo it (server bodies, error causes) */
  const scrub = (s: string): string => (apiKey ? s.split(apiKey).join('[redacted]') : s);
  /** a server body or answer for a message: its error.message when it has one, on one line, clipped, scrubbed */
  const short = (text: string): string => {
    let t = text;
    try {
      const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
      const m = typeof j?.error === 'string' ? j.error : typeof j?.error?.message === 'string' ? j.error.message : typeof j?.message === 'string' ? j.message : undefined;
      if (m !== undefined) t = m;
    } catch { /* not JSON: the text itself */ }
    t = scrub(t).replace(/\s+/g, ' ').trim(); // scrub before clipping: a clipped key would slip through
    return t.length > 200 ? t.slice(0, 199) + '…' : t || '(empty body)';
  };

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  /** one try: a probability, or a failure (retryable), or a thrown JudgeError (not retryable) */
  async function tryOnce(pair: Pair, signal: AbortSignal): Promise<{ p: number } | { fail: Failure; waitMs?: number }> {
    throwIfAborted(signal);
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(new Timeout()), timeoutMs);
    let status = 0; // set once the response's headers arrived: a failure after it is a cut body
    try {
      const res = await doFetch(endpoint, { method: 'POST', headers, body: JSON.stringify(requestBody(pair, settings)), signal: ctl.signal });
      status = res.status;
      const text = await res.text();
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        return { fail: { kind: 'status', status: res.status, body: text }, waitMs: retryAfterMs(res.headers.get('retry-after')) };
      }
      if (res.status === 401 || res.status === 403) {
        throw new JudgeError(base, `rejected the request with HTTP ${res.status} (${short(text)}): set the environment variable ${apiKeyEnv} to a valid API key` +
          ` (or judge.apiKeyEnv to the name of the variable that holds it)${apiKey ? '' : `; ${apiKeyEnv} is not set`}`);
      }
      if (res.status === 404) {
        throw new JudgeError(base, `has no chat-completions endpoint (HTTP 404 for POST ${endpoint}: ${short(text)}): give the API base URL, e.g. http://127.0.0.1:8000/v1`);
      }
      if (!res.ok) {
        throw new JudgeError(base, `rejected the request with HTTP ${res.status} (${short(text)}): check judge.model ("${model}")` +
          (settings.logprobs ? ' and whether the server accepts logprobs (set judge.logprobs=false if not)' : ''));
      }
      let json: unknown;
      try { json = JSON.parse(text); } catch { return { fail: { kind: 'invalid', why: `not JSON: ${preview(scrub(text).replace(/\s+/g, ' ').trim(), 120)}` } }; }
      const parsed = parseCompletion(json);
      if (parsed.kind === 'ok') return { p: parsed.p };
      if (parsed.kind === 'invalid') return { fail: { kind: 'invalid', why: scrub(parsed.why) } };
      return { fail: { kind: 'unparseable', content: parsed.content } };
    } catch (e) {
      if (e instanceof JudgeError) throw e;
      if (signal.aborted) throw signal.reason;
      if (ctl.signal.reason instanceof Timeout) return { fail: { kind: 'timeout' } };
      const err = e as { cause?: { code?: string; message?: string }; message?: string };
      if (status) return { fail: { kind: 'cut', status, why: scrub(err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e)) } };
      return { fail: { kind: 'network', why: scrub(err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e)) } };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  function finalError(f: Failure): JudgeError {
    const n = `${tries} ${tries === 1 ? 'try' : 'tries'}`;
    switch (f.kind) {
      case 'timeout':
        return new JudgeError(base, `timed out after ${n} (timeout ${timeoutMs} ms): raise judge.timeoutMs or check the server`);
      case 'network':
        return new JudgeError(base, `could not be reached after ${n} (${f.why}): check that the server is running and the URL is right`);
      case 'cut':
        return new JudgeError(base, `closed the connection in the middle of its response after ${n} (HTTP ${f.status} headers arrived, then ${f.why}): ` +
          'the server or a proxy in between dropped the answer; check its logs (a crash, a body or time limit)');
      case 'status':
        return new JudgeError(base, `answered HTTP ${f.status} after ${n} (${short(f.body)}): check the server, or raise judge.retries / judge.maxBackoffMs`);
      case 'invalid':
        return new JudgeError(base, `gave invalid responses after ${n} (last: ${f.why}): check that it is an OpenAI-compatible API base (requests go to POST ${endpoint})`);
      default:
        return new JudgeError(base, `gave no answer after ${n}`);
    }
  }

  /** one failed try, for the log line a retry prints (a stalled judge is never silent) */
  function tryText(f: Failure): string {
    switch (f.kind) {
      case 'timeout': return `timed out after ${timeoutMs} ms`;
      case 'network': return `could not be reached (${f.why})`;
      case 'cut': return `closed the connection mid-response (${f.why})`;
      case 'status': return `answered HTTP ${f.status} (${short(f.body)})`;
      case 'invalid': return `gave an invalid response (${f.why})`;
      default: return 'gave no answer';
    }
  }

  async function askOne(pair: Pair, signal: AbortSignal, onFailure?: (why: string) => void): Promise<number> {
    let last: Failure | undefined;
    for (let attempt = 0; attempt < tries; attempt++) {
      const r = await tryOnce(pair, signal);
      if ('p' in r) return r.p;
      last = r.fail;
      if (attempt + 1 < tries) {
        const cap = Math.min(maxBackoffMs, backoffMs * 2 ** attempt);
        const jittered = cap / 2 + Math.random() * (cap / 2);
        const wait = Math.min(maxBackoffMs, Math.max(jittered, r.waitMs ?? 0));
        // unparseable answers get their own warning at the end (counted as a tie)
        if (r.fail.kind !== 'unparseable') log(`[judge ${base}] try ${attempt + 1} of ${tries} ${tryText(r.fail)}; retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait, signal);
      }
    }
    if (last?.kind === 'unparseable') {
      const why = `answer ${preview(scrub(last.content), 120)} is neither A nor B after ${tries} tries`;
      log(`[judge ${base}] warning: ${why}; counting the pair as a tie (0.5)`);
      onFailure?.(why);
      return 0.5;
    }
    throw finalError(last!);
  }

  return {
    name: base,
    describe: `LLM judge "${model}" at ${base} (OpenAI-compatible chat completions): asks which of responses A and B is better; ` +
      `P(a ≻ b) from the answer token's logprobs, else the hard answer. Order-sensitive.`,
    orderSensitive: true,
    info: { kind: 'http', url: base, model, apiKeyEnv, timeoutMs, retries, backoffMs, maxBackoffMs, concurrency, logprobs: settings.logprobs, topLogprobs: settings.topLogprobs },
    async compare(pairs, o = {}) {
      checkPairs(pairs, base);
      throwIfAborted(o.signal);
      throwIfAborted(closed.signal);
      // one controller for this call: the caller's abort, close(), or the first hard failure stops every worker
      const stop = new AbortController();
      const relay = (s: AbortSignal) => () => stop.abort(s.reason);
      const relays: [AbortSignal, () => void][] = [[closed.signal, relay(closed.signal)]];
      if (o.signal) relays.push([o.signal, relay(o.signal)]);
      for (const [s, f] of relays) s.addEventListener('abort', f, { once: true });
      const out = new Array<number>(pairs.length);
      let next = 0, done = 0;
      let firstError: unknown;
      const worker = async () => {
        while (next < pairs.length && !stop.signal.aborted) {
          const i = next++;
          try {
            out[i] = await askOne(pairs[i], stop.signal, o.onFailure ? (why) => o.onFailure!(i, why) : undefined);
          } catch (e) {
            if (firstError === undefined) { firstError = e; stop.abort(e); }
            return;
          }
          o.onProgress?.(++done, pairs.length);
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, pairs.length) }, worker));
      } finally {
        for (const [s, f] of relays) s.removeEventListener('abort', f);
      }
      if (firstError !== undefined) throw firstError;
      throwIfAborted(o.signal);
      return out;
    },
    async close() {
      closed.abort(new JudgeError(base, 'was closed: compare() after close() is not allowed'));
    },
  };
}
