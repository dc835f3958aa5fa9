// Token ids read from user data (JSONL lines of sppo sft / logprobs, ...): every one must be a
// JSON integer in [0, vocab) — no coercion of "a", 1.7, null or 1e999 (Infinity), no wrap of
// 2³¹ into an i32. Errors name the file, the line, the field and the index.

/** the largest id any model here can have (ids travel as i32) */
export const MAX_ID = 2 ** 31 - 2;

/**
 * `v` as a list of token ids, or one clear Error: `where` names the file and line
 * ("data.jsonl line 3"), `field` the key. With `vocab`, ids must be below it.
 */
export function tokenIds(v: unknown, field: string, where: string, vocab?: number): number[] {
  if (!Array.isArray(v)) throw new Error(`${where}: "${field}" must be a list of token ids, got ${short(v)}`);
  const top = vocab !== undefined ? vocab - 1 : MAX_ID;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > top) {
      const range = vocab !== undefined ? `an integer in [0, ${top}] (the model's vocab_size is ${vocab})` : `an integer in [0, ${top}]`;
      throw new Error(`${where}: "${field}"[${i}] is ${short(x)}, not a token id: each id must be ${range}`);
    }
  }
  return v as number[];
}

function short(x: unknown): string {
  if (typeof x === 'number') return String(x);
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 40 ? s.slice(0, 40) + '…' : s;
}
