// What the HTTP judge says to, and reads from, an OpenAI-compatible chat-completions server:
//   request  POST {base}/chat/completions
//            { model, messages: [system, user], max_tokens: 1, temperature: 0,
//              logprobs: true, top_logprobs: 5 }
//            the user message shows the instruction and responses A (= pair.a) and B (= pair.b)
//            and asks for the single letter of the better one.
//   response choices[0].message.content = "A" | "B" (the hard answer) and, where the server gives
//            logprobs, choices[0].logprobs.content[0].top_logprobs = [{token, logprob}, ...].
//   P(a ≻ b) = Σ_{t→A} e^{lp_t} / (Σ_{t→A} e^{lp_t} + Σ_{t→B} e^{lp_t}) over the top logprobs (by
//   log-sum-exp: any finite logprobs, even the overflowing 710 or 1000 of a broken server),
//            where a token maps to A when it is "A" after trimming spaces and punctuation
//            (" A", "A.", "**A" count); else the hard answer 1 / 0; else unparseable (null).
// Pure functions, no I/O: http.ts does the transport.
import type { Pair } from './types.js';

export const DEFAULT_SYSTEM_PROMPT =
  'You are an impartial judge of response quality. You will see an instruction and two responses to it, ' +
  'labelled A and B. Decide which response follows the instruction better: more helpful, correct, relevant ' +
  'and clear. Do not let the order of the responses, their length or their style sway you. ' +
  'Answer with a single letter: A or B.';

export function defaultUserMessage(p: Pair): string {
  return `### Instruction\n${p.prompt}\n\n### Response A\n${p.a}\n\n### Response B\n${p.b}\n\n` +
    'Which response is better? Answer with exactly one letter, A or B.';
}

export interface RequestSettings {
  model: string;
  systemPrompt: string;
  userMessage: (p: Pair) => string;
  logprobs: boolean;
  topLogprobs: number;
  extraBody: Record<string, unknown>;
}

export function requestBody(p: Pair, s: RequestSettings): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: s.model,
    messages: [
      { role: 'system', content: s.systemPrompt },
      { role: 'user', content: s.userMessage(p) },
    ],
    max_tokens: 1,
    temperature: 0,
  };
  if (s.logprobs) { body.logprobs = true; body.top_logprobs = s.topLogprobs; }
  return { ...body, ...s.extraBody };
}

/** "A", "B" or null for one token or answer text */
export function answerLabel(token: string): 'A' | 'B' | null {
  const t = token.trim().replace(/^[\s"'`*_([{<:.-]+|[\s"'`*_)\]}>:.,!-]+$/g, '');
  return t === 'A' || t === 'B' ? t : null;
}

/** the hard answer in a completion's text: "A", "B" (also "A.", "Response A", "Answer: B") or null */
export function hardAnswer(content: string): 'A' | 'B' | null {
  const m = /^[\s"'`*_([{<]*(?:(?:response|answer|option)\s*[:\-]?\s*)?[\s"'`*_([{<]*([AB])(?![A-Za-z0-9])/i.exec(content);
  if (!m || (m[1] !== 'A' && m[1] !== 'B')) return null;
  return m[1];
}

export type Parsed =
  | { kind: 'ok'; p: number; soft: boolean }
  | { kind: 'unparseable'; content: string }
  | { kind: 'invalid'; why: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** [token, logprob] pairs of the first generated token's top logprobs (chat or legacy layout) */
function topLogprobs(logprobs: unknown): [string, number][] {
  if (!isObj(logprobs)) return [];
  const out: [string, number][] = [];
  const content = logprobs.content;
  if (Array.isArray(content) && isObj(content[0])) {
    const first = content[0];
    if (Array.isArray(first.top_logprobs)) {
      for (const e of first.top_logprobs) if (isObj(e) && typeof e.token === 'string' && typeof e.logprob === 'number') out.push([e.token, e.logprob]);
    }
    if (out.length === 0 && typeof first.token === 'string' && typeof first.logprob === 'number') out.push([first.token, first.logprob]);
  } else if (Array.isArray(logprobs.top_logprobs) && isObj(logprobs.top_logprobs[0])) {
    // legacy completions layout: top_logprobs: [{token: logprob, ...}, ...]
    for (const [t, lp] of Object.entries(logprobs.top_logprobs[0])) if (typeof lp === 'number') out.push([t, lp]);
  }
  return out;
}

/** reads one chat-completions response body (already JSON-parsed) into P(A) */
export function parseCompletion(json: unknown): Parsed {
  if (!isObj(json)) return { kind: 'invalid', why: 'the body is not a JSON object' };
  const choices = json.choices;
  if (!Array.isArray(choices) || !isObj(choices[0])) {
    const err = isObj(json.error) && typeof json.error.message === 'string' ? `: ${json.error.message}` : '';
    return { kind: 'invalid', why: `the body has no choices[0]${err}` };
  }
  const choice = choices[0];
  const message = choice.message;
  if (!isObj(message) || (typeof message.content !== 'string' && message.content !== null && message.content !== undefined)) {
    return { kind: 'invalid', why: 'choices[0].message.content is missing' };
  }
  // P(A) = Σ p(A tokens) / Σ p(A or B tokens), in log space shifted by the largest logprob, so
  // that very negative logprobs keep their ratio; a logprob above 0 is not a log-probability
  // (a broken server): the body is invalid and the pair is asked again
  const labelled: [('A' | 'B'), number][] = [];
  for (const [tok, lp] of topLogprobs(choice.logprobs)) {
    const l = answerLabel(tok);
    if (!l || Number.isNaN(lp) || lp === -Infinity) continue;
    if (lp > 1e-6) return { kind: 'invalid', why: `the logprob of answer token ${JSON.stringify(tok)} is ${lp}, above 0: not a log-probability` };
    labelled.push([l, lp]);
  }
  if (labelled.length) {
    const top = Math.max(...labelled.map(([, lp]) => lp));
    let sa = 0, sb = 0;
    for (const [l, lp] of labelled) {
      if (l === 'A') sa += Math.exp(lp - top);
      else sb += Math.exp(lp - top);
    }
    return { kind: 'ok', p: sa / (sa + sb), soft: true };
  }
  const content = typeof message.content === 'string' ? message.content : '';
  const h = hardAnswer(content);
  if (h) return { kind: 'ok', p: h === 'A' ? 1 : 0, soft: false };
  return { kind: 'unparseable', content };
}
