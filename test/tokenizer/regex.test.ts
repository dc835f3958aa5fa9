// Split patterns: the wasm scanners (assembly/tokenizer/scan.ts) against the Oniguruma ->
// JavaScript translation (src/tokenizer/oniguruma.ts) and against independent JavaScript regexes
// written out by hand here, on random strings, the edge cases and real text; plus the translation
// itself on constructs that Node's RegExp lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { compileOniguruma, onigurumaToJs } from '../../src/tokenizer/oniguruma.js';
import { GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, scannerFor } from '../../src/tokenizer/patterns.js';
import { BYTE_TO_CHAR } from '../../src/tokenizer/byte-level.js';
import { CASES, randomStrings, someFortunes } from './corpus.js';

// a byte-level tokenizer with no merges: only its scanner matters here
const tiny = await tokenizerFromJSON({
  model: { type: 'BPE', vocab: Object.fromEntries(BYTE_TO_CHAR.map((c, b) => [c, b])), merges: [] },
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
  decoder: { type: 'ByteLevel' },
});

const WS = '\\p{White_Space}', NWS = '\\P{White_Space}';
const HAND: Record<string, RegExp> = {
  gpt2: new RegExp(`'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NWS})|${WS}+`, 'gu'),
  llama3: new RegExp(`'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${WS}*[\\r\\n]+|${WS}+(?!${NWS})|${WS}+`, 'gu'),
  qwen2: new RegExp(`'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|${WS}*[\\r\\n]+|${WS}+(?!${NWS})|${WS}+`, 'gu'),
};
const PATTERNS: Record<string, string> = { gpt2: GPT2_PATTERN, llama3: LLAMA3_PATTERN, qwen2: QWEN2_PATTERN };

const texts = [...CASES, ...randomStrings(3, 6000, 30), ...randomStrings(4, 300, 400), ...someFortunes(150_000)];

for (const name of Object.keys(PATTERNS)) {
  test(`${name}: the wasm scanner cuts every text exactly as the translated and the hand-written regexes`, () => {
    const mode = scannerFor(PATTERNS[name]);
    assert.ok(mode, 'the pattern has a scanner');
    const translated = compileOniguruma(PATTERNS[name]);
    let bad = 0;
    let first = '';
    for (const s of texts) {
      const want = s.match(HAND[name]) ?? [];
      const viaTranslation = s.match(translated) ?? [];
      const got = tiny.scanPieces(s, mode!);
      assert.is(want.join(''), s, 'the pattern covers the whole text');
      if (JSON.stringify(got) !== JSON.stringify(want) || JSON.stringify(viaTranslation) !== JSON.stringify(want)) {
        if (!bad++) first = `${JSON.stringify(s)}\n  scanner    ${JSON.stringify(got)}\n  translated ${JSON.stringify(viaTranslation)}\n  hand       ${JSON.stringify(want)}`;
      }
    }
    assert.is(bad, 0, `${bad} of ${texts.length} texts cut differently; first:\n${first}`);
  });
}

test('scanners exist for exactly the three known patterns', () => {
  assert.is(scannerFor(GPT2_PATTERN)?.mode, 1);
  assert.equal(scannerFor(LLAMA3_PATTERN), { mode: 2, maxDigits: 3 });
  assert.equal(scannerFor(QWEN2_PATTERN), { mode: 2, maxDigits: 1 });
  assert.is(scannerFor(LLAMA3_PATTERN + '|x'), null);
});

const match = (pattern: string, s: string) => s.match(compileOniguruma(pattern)) ?? [];

test('translation: inline case-insensitive groups, in and out of classes', () => {
  assert.equal(match("(?i:'s|'ll)", "'S 'lL 's x's"), ["'S", "'lL", "'s", "'s"]);
  assert.equal(match('(?i:[a-c]x)', 'Ax bX Cx dx'), ['Ax', 'bX', 'Cx']);
  assert.equal(match('a(?i)b', 'aB ab AB'), ['aB', 'ab']);
  assert.equal(match('(?i:a(?-i:b))', 'Ab AB ab'), ['Ab', 'ab']);
});

test('translation: Oniguruma shorthands mean their Unicode forms', () => {
  assert.equal(match('\\d+', '12 ٣٤ x'), ['12', '٣٤']);
  assert.equal(match('\\s+', 'a\u0085b\ufeffc d'), ['\u0085', ' ']);
  assert.equal(match('\\w+', 'héllo wörld_1 ٣'), ['héllo', 'wörld_1', '٣']);
  assert.equal(match('\\h+', 'x1fAz'), ['1fA']);
  assert.equal(match('\\p{Han}+', 'ab中文cd'), ['中文']);
  assert.equal(match('\\x{1F600}', 'a\u{1F600}'), ['\u{1F600}']);
  assert.equal(match('.+', 'ab\rc\nd'), ['ab\rc', 'd']);
  assert.equal(match('^x|y$', 'x\nxy\ny'), ['x', 'x', 'y', 'y']);
  assert.equal(match('\\Ax', 'xx'), ['x']);
  assert.equal(match('[[:alpha:]]+', 'ab1é'), ['ab', 'é']);
  assert.equal(match('[]a]+', ']a]b'), [']a]']);
  assert.equal(match("\\'\\!", "'!"), ["'!"]);
  assert.equal(match('a{,2}b', 'aaab'), ['aab']);
  assert.equal(match('\\bé\\b', 'é xé é'), ['é', 'é']);
});

test('translation: unsupported constructs fail with a clear message', () => {
  for (const [p, why] of [['(?>a)', /atomic group/], ['a++', /possessive/], ['a*+', /possessive/], ['\\G', /\\G/], ['[a&&b]', /intersection/], ['[a[b]]', /nested class/], ['(?m:a)', /inline flags/], ['(a', /unterminated group/], ['a)', /unbalanced/], ['\\p{NoSuchThing}', /unknown Unicode property/]] as const) {
    assert.throws(() => onigurumaToJs(p), why, p);
  }
});

test.run();
