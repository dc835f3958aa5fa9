// Split patterns with a hand-written scanner in assembly/tokenizer/scan.ts. A tokenizer.json
// pattern that equals one of these (exactly) is scanned in wasm; any other pattern goes through
// the Oniguruma -> JavaScript RegExp translation (oniguruma.ts).

export const MODE_WHOLE = 0;
export const MODE_GPT2 = 1;
export const MODE_CL100K = 2;

export interface ScanMode {
  mode: number;
  /** for MODE_CL100K: the n in \p{N}{1,n} */
  maxDigits: number;
}

/** GPT-2's pattern, used by the ByteLevel pre-tokenizer when use_regex is true. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** Llama 3 (and tiktoken's cl100k_base). */
export const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2 / Qwen3: as Llama 3 with single digits. */
export const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const KNOWN: ReadonlyMap<string, ScanMode> = new Map([
  [GPT2_PATTERN, { mode: MODE_GPT2, maxDigits: 0 }],
  [LLAMA3_PATTERN, { mode: MODE_CL100K, maxDigits: 3 }],
  [QWEN2_PATTERN, { mode: MODE_CL100K, maxDigits: 1 }],
]);

/** The scanner for a pattern, or null when it has none. */
export function scannerFor(pattern: string): ScanMode | null {
  return KNOWN.get(pattern) ?? null;
}
