// Offline preference data: judged samples made elsewhere, trained on instead of generating and
// judging (config "offline"). One JSON object per line, in either of two formats:
//
//   the original SPPO's columns (its vLLM + PairRM pipeline):
//     {"prompt": str | messages, "chosen": str | messages, "rejected": str | messages,
//      "chosen_probs_win": P̂(chosen ≻ π_t), "chosen_probs_lose": P̂(rejected ≻ π_t),
//      "chosen_probs"?: P(chosen ≻ rejected)}
//     → K = 2 samples [chosen, rejected], win rates [chosen_probs_win, chosen_probs_lose],
//       matrix [[½, p], [1 − p, ½]] with p = chosen_probs (needed only by sppo_single)
//     a message list's response is its last "assistant" message's content
//   sppo's own (what `sppo export-preferences` writes):
//     {"prompt": str | messages, "responses": [K strings], "winrates": [K numbers in [0, 1]],
//      "matrix"?: K×K numbers with M[i][j] + M[j][i] = 1}
//
// A bad line is one error naming the file, the line and the field.
import { bestWorst } from '../train/preference.js';
import type { Message, PromptItem } from './prompts.js';

export interface OfflineGroup {
  prompt: PromptItem;
  responses: string[];
  winrates: number[];
  /** M[i][j] = P(y_i ≻ y_j | x); null when the file gives none (then only sppo_single cannot train) */
  matrix: number[][] | null;
  format: 'original' | 'sppo';
}

export const ORIGINAL_COLUMNS = ['prompt', 'chosen', 'rejected', 'chosen_probs', 'chosen_probs_win', 'chosen_probs_lose'] as const;

class LineError extends Error {}

function messages(v: unknown, field: string): Message[] {
  if (!Array.isArray(v) || !v.length) throw new LineError(`"${field}" must be a string or a non-empty list of {"role", "content"} messages`);
  return v.map((m, i) => {
    const mm = m as Record<string, unknown>;
    if (!mm || typeof mm !== 'object' || typeof mm.role !== 'string' || typeof mm.content !== 'string') throw new LineError(`"${field}[${i}]" needs string "role" and "content"`);
    return { role: mm.role, content: mm.content };
  });
}

function promptOf(v: unknown, index: number): PromptItem {
  if (typeof v === 'string') return { index, text: v };
  if (v === undefined) throw new LineError('"prompt" is missing (a string or a list of chat messages)');
  const msgs = messages(v, 'prompt');
  const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
  return { index, text: lastUser?.content ?? msgs[msgs.length - 1].content, messages: msgs };
}

/** a response: a string, or a message list whose last assistant message is the response */
function responseOf(v: unknown, field: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined) throw new LineError(`"${field}" is missing`);
  const msgs = messages(v, field);
  const last = msgs[msgs.length - 1];
  if (last.role !== 'assistant') throw new LineError(`"${field}" is a message list whose last message is "${last.role}", not the "assistant" response`);
  return last.content;
}

function prob(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new LineError(`"${field}" must be a probability in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

function parseLine(obj: Record<string, unknown>, index: number): OfflineGroup {
  const prompt = promptOf(obj.prompt, index);
  if ('chosen' in obj || 'rejected' in obj || 'chosen_probs_win' in obj) {
    const chosen = responseOf(obj.chosen, 'chosen'), rejected = responseOf(obj.rejected, 'rejected');
    const pw = prob(obj.chosen_probs_win, 'chosen_probs_win'), pl = prob(obj.chosen_probs_lose, 'chosen_probs_lose');
    const p = obj.chosen_probs === undefined || obj.chosen_probs === null ? null : prob(obj.chosen_probs, 'chosen_probs');
    return { prompt, responses: [chosen, rejected], winrates: [pw, pl], matrix: p === null ? null : [[0.5, p], [1 - p, 0.5]], format: 'original' };
  }
  if (!Array.isArray(obj.responses)) throw new LineError('neither the original columns ("chosen", "rejected", "chosen_probs_win", "chosen_probs_lose") nor sppo\'s ("responses", "winrates") are here');
  const K = obj.responses.length;
  if (K < 2) throw new LineError(`"responses" holds ${K} response(s); SPPO needs K ≥ 2`);
  const responses = obj.responses.map((r, i) => { if (typeof r !== 'string') throw new LineError(`"responses[${i}]" must be a string`); return r; });
  if (!Array.isArray(obj.winrates) || obj.winrates.length !== K) throw new LineError(`"winrates" must be a list of ${K} numbers (one per response)`);
  const winrates = obj.winrates.map((w, i) => prob(w, `winrates[${i}]`));
  let matrix: number[][] | null = null;
  if (obj.matrix !== undefined && obj.matrix !== null) {
    if (!Array.isArray(obj.matrix) || obj.matrix.length !== K) throw new LineError(`"matrix" must be ${K}×${K}`);
    matrix = obj.matrix.map((row, i) => {
      if (!Array.isArray(row) || row.length !== K) throw new LineError(`"matrix[${i}]" must hold ${K} numbers`);
      return row.map((x, j) => prob(x, `matrix[${i}][${j}]`));
    });
    for (let i = 0; i < K; i++) for (let j = 0; j <= i; j++) {
      if (Math.abs(matrix[i][j] + matrix[j][i] - 1) > 1e-6) throw new LineError(`"matrix[${i}][${j}]" + "matrix[${j}][${i}]" must be 1 (P(a ≻ b) + P(b ≻ a)), got ${matrix[i][j] + matrix[j][i]}`);
    }
  }
  return { prompt, responses, winrates, matrix, format: 'sppo' };
}

/** parse an offline preference file (JSONL); `file` names it in errors */
export function parseOffline(content: string, file: string): OfflineGroup[] {
  const out: OfflineGroup[] = [];
  content.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}: line ${i + 1}`;
    let obj: unknown;
    try { obj = JSON.parse(line); } catch (e) { throw new Error(`${where} is not valid JSON (${(e as Error).message}): fix or delete that line`); }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where}: expected one JSON object per line`);
    try { out.push(parseLine(obj as Record<string, unknown>, out.length)); } catch (e) {
      if (e instanceof LineError) throw new Error(`${where}: ${e.message}`);
      throw e;
    }
  });
  if (!out.length) throw new Error(`${file}: no preference lines found (one JSON object per line: ${ORIGINAL_COLUMNS.join(', ')}, or prompt, responses, winrates)`);
  return out;
}

/** One iteration's judged samples in both formats (for `sppo export-preferences`). */
/** sppo's format keeps all K samples; the original's keeps the best and the worst by P̂ (as its
 *  pipeline does), with chosen_probs = P(chosen ≻ rejected) when a matrix is known. */
export function exportPreferences(rows: { prompt: string | Message[]; texts: string[]; winrates: number[]; matrix: number[][] | null }[]): { sppo: string; original: string } {
  const sppo: string[] = [], original: string[] = [];
  for (const r of rows) {
    sppo.push(JSON.stringify({ prompt: r.prompt, responses: r.texts, winrates: r.winrates, ...(r.matrix ? { matrix: r.matrix } : {}) }));
    const { w, l } = bestWorst(r.winrates);
    original.push(JSON.stringify({ prompt: r.prompt, chosen: r.texts[w], rejected: r.texts[l], ...(r.matrix ? { chosen_probs: r.matrix[w][l] } : {}), chosen_probs_win: r.winrates[w], chosen_probs_lose: r.winrates[l] }));
  }
  return { sppo: sppo.join('\n') + '\n', original: original.join('\n') + '\n' };
}
