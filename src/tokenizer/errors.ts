// Errors for bad tokenizer files, and typed readers for JSON fields that raise them.
// Every message names the file and the field, says what is wrong and what to do, e.g.
//   tokenizer.json: model.merges[12]: token "xq" is not in model.vocab — the merges and the
//   vocabulary come from different tokenizers; use the tokenizer.json the model was trained with

export class TokenizerFileError extends Error {
  constructor(readonly file: string, readonly field: string, problem: string) {
    super(`${file}: ${field ? field + ': ' : ''}${problem}`);
    this.name = 'TokenizerFileError';
  }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** deepest nesting of components (Sequence in Sequence ...) a tokenizer file may have */
export const MAX_NESTING = 32;

/** A JSON value with the file it came from and its path in it, for error messages. */
export class Field {
  constructor(readonly file: string, readonly path: string, readonly value: Json | undefined) {}

  fail(problem: string): never {
    throw new TokenizerFileError(this.file, this.path, problem);
  }
  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }
  /** The child `key` of this object (undefined when absent). */
  get(key: string): Field {
    const v = this.value;
    const child = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
    return new Field(this.file, this.path ? `${this.path}.${key}` : key, child);
  }
  at(i: number): Field {
    const v = this.value;
    return new Field(this.file, `${this.path}[${i}]`, Array.isArray(v) ? v[i] : undefined);
  }
  object(): JsonObject {
    const v = this.value;
    if (v === undefined || v === null) this.fail('missing — it is required here');
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(`expected an object, got ${describe(v)}`);
    return v as JsonObject;
  }
  array(): Json[] {
    const v = this.value;
    if (v === undefined || v === null) this.fail('missing — it is required here');
    if (!Array.isArray(v)) this.fail(`expected an array, got ${describe(v)}`);
    return v;
  }
  items(): Field[] {
    return this.array().map((_, i) => this.at(i));
  }
  string(fallback?: string): string {
    const v = this.value;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') this.fail(v === undefined || v === null ? 'missing — a string is required here' : `expected a string, got ${describe(v)}`);
    return v;
  }
  optString(): string | null {
    return this.present ? this.string() : null;
  }
  number(fallback?: number): number {
    const v = this.value;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(v === undefined || v === null ? 'missing — a number is required here' : `expected a number, got ${describe(v)}`);
    return v;
  }
  int(fallback?: number): number {
    const n = this.number(fallback);
    if (!Number.isInteger(n) || n < 0) this.fail(`expected a non-negative integer, got ${n}`);
    return n;
  }
  bool(fallback: boolean): boolean {
    const v = this.value;
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(`expected true or false, got ${describe(v)}`);
    return v;
  }
  /** The `type` field of a component, checked against the supported ones. */
  type(kind: string, supported: readonly string[]): string {
    // a component inside Sequence inside Sequence...: real files nest one or two levels; a
    // hostile one nests thousands (the builders recurse, one stack frame per level)
    let depth = 0;
    for (let i = this.path.indexOf('['); i >= 0; i = this.path.indexOf('[', i + 1)) depth++;
    if (depth > MAX_NESTING) this.fail(`a ${kind} nested more than ${MAX_NESTING} levels deep — real tokenizers nest one or two; the file is damaged`);
    const t = this.get('type');
    const name = t.string();
    if (!supported.includes(name)) {
      t.fail(`unknown ${kind} type "${name}" — supported: ${supported.join(', ')}`);
    }
    return name;
  }
}

function describe(v: Json | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** JSON.parse with an error that names the file. */
export function parseJsonFile(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new TokenizerFileError(file, '', `not valid JSON (${(e as Error).message}) — the file is damaged or is not a tokenizer file`);
  }
}
