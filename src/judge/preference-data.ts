// Preference pairs for training a pairwise judge, Hugging Face style, one JSON object per line:
//   {"prompt": "...", "chosen": "...", "rejected": "...", "probability": 0.8}
//   prompt       string (may be empty)
//   chosen       the preferred response: a string, or a message list [{role, content}, ...] whose
//   rejected     last message is the assistant's reply (as in UltraFeedback-binarized); with
//                message lists "prompt" may be left out: the last user message before the
//                reply is taken
//   probability  optional soft label P(chosen ≻ rejected) in [0, 1] (default 1)
// Other fields are ignored. Blank lines are skipped. A bad line is ONE error naming the file,
// the line number, the field and the fix.
import fs from 'node:fs';

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** P(chosen ≻ rejected), the training label */
  probability: number;
  /** 1-based line in the file it came from */
  line: number;
}

export class PreferenceDataError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file} line ${line}: ${message}`);
    this.name = 'PreferenceDataError';
  }
}

const SHAPE = 'each line needs {"prompt": string, "chosen": string, "rejected": string} (optional "probability" in [0, 1])';

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 50 ? s.slice(0, 49) + '…' : s;
}

/** the reply of a message list: the last message, which must be the assistant's */
function replyOf(v: unknown[], key: string, fail: (m: string) => never): { reply: string; prompt: string | null } {
  const last = v[v.length - 1] as { role?: unknown; content?: unknown } | undefined;
  if (!last || typeof last !== 'object' || last.role !== 'assistant' || typeof last.content !== 'string') {
    fail(`"${key}" is a message list whose last message is not {"role": "assistant", "content": string}: end it with the assistant's reply, or give the reply as a string`);
  }
  let prompt: string | null = null;
  for (let i = v.length - 2; i >= 0; i--) {
    const m = v[i] as { role?: unknown; content?: unknown } | null;
    if (m && m.role === 'user' && typeof m.content === 'string') { prompt = m.content; break; }
  }
  return { reply: last!.content as string, prompt };
}

/** one parsed JSON value → a pair (throws PreferenceDataError) */
export function toPreferencePair(v: unknown, file: string, line: number): PreferencePair {
  const fail = (m: string): never => { throw new PreferenceDataError(file, line, m); };
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`is ${show(v)}, not a JSON object: ${SHAPE}`);
  const o = v as Record<string, unknown>;
  let derivedPrompt: string | null = null;
  const response = (key: 'chosen' | 'rejected'): string => {
    const x = o[key];
    if (x === undefined) return fail(`"${key}" is missing: ${SHAPE}`);
    if (typeof x === 'string') return x;
    if (Array.isArray(x)) {
      const r = replyOf(x, key, fail);
      derivedPrompt ??= r.prompt;
      return r.reply;
    }
    return fail(`"${key}" is ${show(x)}, not a string or a message list: ${SHAPE}`);
  };
  const chosen = response('chosen');
  const rejected = response('rejected');
  let prompt: string;
  if (typeof o.prompt === 'string') prompt = o.prompt;
  else if (o.prompt === undefined && derivedPrompt !== null) prompt = derivedPrompt;
  else if (o.prompt === undefined) prompt = fail(`"prompt" is missing: ${SHAPE}`);
  else prompt = fail(`"prompt" is ${show(o.prompt)}, not a string: ${SHAPE}`);
  let probability = 1;
  if (o.probability !== undefined && o.probability !== null) {
    const p = o.probability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail(`"probability" is ${show(p)}, not a number in [0, 1]: give P(chosen ≻ rejected), or leave it out for 1`);
    probability = p as number;
  }
  return { prompt, chosen, rejected, probability, line };
}

/** parses JSONL text (file names the source in errors) */
export function parsePreferenceJsonl(text: string, file: string): PreferencePair[] {
  const out: PreferencePair[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim()) continue;
    let v: unknown;
    try { v = JSON.parse(l); } catch (e) {
      throw new PreferenceDataError(file, i + 1, `is not valid JSON (${(e as Error).message}): fix or delete that line`);
    }
    out.push(toPreferencePair(v, file, i + 1));
  }
  if (out.length === 0) throw new Error(`${file}: no preference pairs (the file is empty): ${SHAPE}`);
  return out;
}

export function readPreferenceFile(file: string): PreferencePair[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new Error(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check the path`);
  }
  return parsePreferenceJsonl(text, file);
}
