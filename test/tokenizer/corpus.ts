// Text for the tokenizer tests: hand-picked edge cases, real text (Debian's fortunes), and
// seeded random strings drawn from the characters that split patterns treat differently.
import fs from 'node:fs';
import path from 'node:path';

/** Edge cases: whitespace runs, newlines, digits, contractions, code, URLs, emoji, scripts, forms. */
export const CASES: string[] = [
  '', ' ', '  ', '\t', '\n', '\r\n', ' \n', '\n\n\n', 'a\r\nb', 'a\n\nb', 'a \n b', '  leading', 'trailing  ',
  'a  b   c    d', 'tab\there\t\tdouble', 'mixed \t \n \r\n  end', '\u00a0nbsp\u00a0here', '\u3000ideographic\u3000space',
  ' \t\n x', 'end with newline\n', 'spaces then newline   \n', '\r\r\n\n\r', '   \r\n   \r\n   ',
  '0', '12', '123', '1234', '12345678901234567890', '3.14159', '1,000,000', 'v1.2.3', '2024-01-01T12:00:00Z',
  '٣٤٥ arabic-indic digits', '१२३ devanagari digits', '½ ² ³ Ⅻ', 'x1y22z333w4444', '$1,234.56', '+1 (555) 123-4567',
  "it's", "IT'S", "don't", "DON'T", "we're", "WE'RE", "I've", "I'VE", "I'm", "I'M", "you'll", "YOU'LL", "he'd", "HE'D",
  "'s", "'S", "''s", "rock'n'roll", "O'Neil's", "The dog's bone's gone", '\u2018curly\u2019 quotes \u2019s', "'", "' s", "'sup",
  'function f(x) { return x * 2; }', 'def foo(bar):\n    return bar ** 2\n', 'if (a && b || !c) {\n\tcall();\n}',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); }', 'x = [1, 2, 3]; // comment', '    indented\n        more\n',
  'SELECT * FROM t WHERE id=42;', '<div class="x">&amp;</div>', '$HOME/.bashrc && echo $PATH', 'a->b => c :: d',
  'https://example.com/path?q=1&r=two#frag', 'mailto:someone@example.org', 'www.test-site.co.uk/a_b?x=%20y',
  '\u{1F44D}', '\u{1F44D}\u{1F3FD}', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}', '\u{1F3F3}\uFE0F\u200D\u{1F308}', '\u2764\uFE0F',
  'I \u2764\uFE0F \u{1F355} and \u{1F363}!', '\u{1F600}\u{1F603}\u{1F604}', '\u{1F1FA}\u{1F1F8}\u{1F1EF}\u{1F1F5}', 'emoji\u{1F44B}\u{1F3FF}inside',
  '你好，世界！', '日本語のテキストです。', '한국어 텍스트', '中文 mixed English 混合', '「引用」と『二重』',
  'مرحبا بالعالم', 'السلام عليكم ورحمة الله', 'नमस्ते दुनिया', 'हिन्दी भाषा', 'Ελληνικά', 'Русский текст', 'עברית', 'ไทย',
  'café', 'cafe\u0301', 'naïve résumé', 'nai\u0308ve re\u0301sume\u0301', 'Zoë Ångström', 'Zoe\u0308 A\u030Angstro\u0308m',
  'e\u0301\u0301 double combining', '\uFB01 ligature', '\u01C4 titlecase \u01C5', 'ẞ ß', 'İstanbul ı',
  'I said "hello"', '...', '!!!???', '---', '___', 'a_b_c', 'snake_case and camelCase', 'ALLCAPS', 'MiXeD cAsE',
  '\u200Bzero\u200Bwidth', '\uFEFFBOM', '\u0085NEL', 'line\u2028sep', 'tab\u000Bvtab\u000Cff', '\u0000\u0001 control',
  'math \u{1D400}\u{1D401}\u{1D402}', '\u{1D7D8}\u{1D7D9}\u{1D7DA} math digits', '\u{20000}\u{2A6D6} ext-B',
  '<s> </s> <unk>', '<|endoftext|>', 'a<|endoftext|>b', '<|im_start|>user\nhi<|im_end|>', '<|begin_of_text|><|eot_id|>',
  '<think>\nok\n</think>', 'x <s>y</s> z', '\u2581 already metaspace \u2581\u2581',
  'a'.repeat(300), ' '.repeat(100), 'ab'.repeat(200) + ' ' + '!?'.repeat(100), '9'.repeat(200), '\n'.repeat(50),
  'word '.repeat(60), '\u00e9'.repeat(150), '\u{1F600}'.repeat(40),
];

const FORTUNES = '/usr/share/games/fortunes';

/** Debian's fortunes, one string per fortune (needs `apt-get install -y fortunes`). */
export function fortunes(): string[] {
  if (!fs.existsSync(FORTUNES)) {
    throw new Error(`${FORTUNES} is missing — install the text corpus with: apt-get install -y fortunes`);
  }
  const out: string[] = [];
  for (const f of fs.readdirSync(FORTUNES).sort()) {
    if (f.includes('.')) continue;
    const p = path.join(FORTUNES, f);
    if (!fs.statSync(p).isFile()) continue;
    for (const t of fs.readFileSync(p, 'utf8').split(/\n%\n/)) if (t.trim()) out.push(t);
  }
  return out;
}

/** Every k-th fortune up to about `bytes` of text. */
export function someFortunes(bytes: number): string[] {
  const all = fortunes();
  const total = all.reduce((n, s) => n + s.length, 0);
  const k = Math.max(1, Math.floor(total / bytes));
  return all.filter((_, i) => i % k === 0);
}

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOLS: string[][] = [
  [' ', ' ', ' ', '\t', '\n', '\r', '\r\n', '\u00a0', '\u3000', '\u2028', '\u000b', '\u0085', '\ufeff'],
  ['a', 'b', 'Z', 'é', 'ß', 'ж', 'λ', '中', 'ä', 'ﬁ', '\u{1D400}'],
  ['0', '1', '7', '٣', '१', '½', 'Ⅻ', '²', '\u{1D7D8}'],
  ["'", "'", 's', 'S', 't', 'T', 're', 'RE', 'Ve', 'll', 'LL', 'd', 'm', 'M'],
  ['.', ',', '!', '?', '-', '_', '(', ')', '"', '/', '#', '$', '\u2019', '\u00bf', '\u{1F600}', '\u200d', '\u0301', '\ufe0f'],
];

/** A random string of n units from the pools above. */
export function randomString(next: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const pool = POOLS[Math.floor(next() * POOLS.length)];
    s += pool[Math.floor(next() * pool.length)];
  }
  return s;
}

/** count random strings of 1..maxLen units, seeded. */
export function randomStrings(seed: number, count: number, maxLen: number): string[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => randomString(next, 1 + Math.floor(next() * maxLen)));
}

/** The shared corpus for comparisons: cases, fortunes (about `fortuneBytes`), random strings. */
export function corpus(fortuneBytes: number, seed = 1, randomCount = 300): string[] {
  return [...CASES, ...someFortunes(fortuneBytes), ...randomStrings(seed, randomCount, 40)];
}
