// Split patterns with a hand-written scanner in assembly/tokenizer/scan.ts. A tokenizer.json
// pattern that equals one of these (exactly) is scanned in wasm; any other pattern goes through
// the Oniguruma translation (oniguruma.ts) to a matcher chosen by pattern-matcher.ts.

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

// The audited patterns: run by JavaScript's backtracking RegExp because each was read by hand
// and backtracks at most over the run it then consumes — alternatives of one quantified class
// (or class? class+), never a quantifier inside a quantified group, and the one lookahead
// \s+(?!\S) gives back a single character. Any other pattern runs on re2js or under a step budget
// (pattern-matcher.ts). Exact strings: a byte of difference takes the general path, which gives
// the same ids, only slower.
/** DeepSeek V3 / R1: the word split of its Sequence (its \p{N}{1,3} and CJK splits have no lookahead and run on re2js). */
export const DEEPSEEK_V3_PATTERN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** GPT-4o (o200k_base) as Hugging Face ports write it; Mistral's Tekken uses the same shape. */
export const O200K_PATTERN = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const AUDITED: ReadonlySet<string> = new Set([GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, DEEPSEEK_V3_PATTERN, O200K_PATTERN]);

/** True for a pattern on the audited list (run natively; see above). */
export function isAuditedPattern(pattern: string): boolean {
  return AUDITED.has(pattern);
}
