// Tokenizer patterns in bounded time (src/tokenizer/pattern-matcher.ts): the ReDoS tokenizer.json
// of issue 14 through `sppo tokenize` as a real process, known catastrophic patterns (ids or one
// TokenizerFileError naming file, field, pattern and input offset), the engine rule (audited →
// native, RE2-expressible → re2js, the rest → bounded backtracker), and the re2js and bounded
// engines against JavaScript's RegExp on fresh random text (seed printed; SPPO_SEED reproduces).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compileRegex, type PatternEngine } from '../../src/tokenizer/pattern-matcher.js';
import { onigurumaToJs } from '../../src/tokenizer/oniguruma.js';
import { Field, TokenizerFileError } from '../../src/tokenizer/errors.js';
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';
import { DEEPSEEK_V3_PATTERN, GPT2_PATTERN, LLAMA3_PATTERN, O200K_PATTERN, QWEN2_PATTERN } from '../../src/tokenizer/patterns.js';
import { gpt2TokenizerJson } from '../../tools/tokenizer/gpt2-tokenizer-json.js';
import { rng, someFortunes } from './corpus.js';
import { ROOT, tempDir } from './helpers.js';

const SEED = process.env.SPPO_SEED ? Number(process.env.SPPO_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
console.log(`  (inputs seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);

const where = new Field('hostile/tokenizer.json', 'pre_tokenizer.pattern.Regex', null);
const HOSTILE = 'a'.repeat(40) + 'b'; // the 41-character input of the issue

/** A GPT-2 tokenizer.json whose pre-tokenizer first splits on `pattern` (Isolated). */
function withSplit(pattern: string): Record<string, unknown> {
  const { tokenizer } = gpt2TokenizerJson();
  return {
    ...tokenizer,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
    ] },
  };
}

function nativeSpans(pattern: string, s: string): number[] {
  const re = new RegExp(onigurumaToJs(pattern), 'gu');
  const out: number[] = [];
  for (const m of s.matchAll(re)) if (m[0].length) out.push(m.index!, m.index! + m[0].length);
  return out;
}

test('the issue\'s ReDoS tokenizer.json: `sppo tokenize` gives ids (re2js) for (a+)+$ on 41 characters', () => {
  const dir = tempDir('redos');
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(withSplit('(a+)+$')));
  // the timeout only guards the suite against a hang; the result decides the test
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'tokenize', '--tokenizer', file], { input: JSON.stringify(HOSTILE) + '\n', encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  assert.is(r.signal, null, 'the process was killed: it hung');
  assert.is(r.status, 0, r.stderr);
  const ids = JSON.parse(r.stdout.trim()) as number[];
  assert.ok(Array.isArray(ids) && ids.length > 0 && ids.every((x) => Number.isInteger(x)), r.stdout);
});

// Catastrophic under backtracking. [pattern, input, engine the rule must pick]
const CATASTROPHIC: [string, string, PatternEngine][] = [
  ['(a+)+$', HOSTILE, 're2'],
  ['(a|a)*$', HOSTILE, 're2'],
  ['(a|aa)+$', HOSTILE, 're2'],
  ['(.*a){20}', 'a'.repeat(30), 're2'],
  ['(a*)*b', 'a'.repeat(40), 're2'],
  ['(\\w+\\s?)+$', 'word '.repeat(12) + '!', 're2'],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!', 're2'],
  ['(x+x+)+y', 'x'.repeat(40), 're2'],
  ['(a+)+(?=b)', 'a'.repeat(40) + 'c', 'bounded'],
  ['(a|a)+(?!a)\\1', 'a'.repeat(40), 'bounded'],
  ['(\\s*)*(?!x)$', ' '.repeat(40) + 'x', 'bounded'],
  ['(?:a+|b)*\\bc', 'a'.repeat(40), 'bounded'],
];

for (const [pattern, input, engine] of CATASTROPHIC) {
  test(`catastrophic ${pattern}: ${engine}, ids or one TokenizerFileError naming file, pattern and offset`, () => {
    const m = compileRegex(pattern, where);
    assert.is(m.engine, engine);
    try {
      const spans = m.spans(input);
      assert.ok(engine === 're2', `the bounded engine finished ${pattern}: ${JSON.stringify(spans)}`);
      assert.equal(spans, nativeSpansSafe(pattern, input));
    } catch (e) {
      if (!(e instanceof TokenizerFileError)) throw e;
      assert.is(engine, 'bounded', (e as Error).message);
      assert.match(e.message, 'hostile/tokenizer.json: pre_tokenizer.pattern.Regex:');
      assert.match(e.message, JSON.stringify(pattern));
      assert.match(e.message, /match attempt at offset \d+/);
    }
  });
}

/** JavaScript's answer where it is affordable: the same pattern on a short prefix would differ,
 *  so compare with a reference that knows the answer for these inputs (none of the RE2 cases
 *  above can match past its anchors except by the whole-input forms checked here). */
function nativeSpansSafe(pattern: string, input: string): number[] {
  // each RE2 case above has a small equivalent that JavaScript runs without blowing up
  const easy: Record<string, string> = {
    '(a+)+$': 'a+$', '(a|a)*$': 'a*$', '(a|aa)+$': 'a+$', '(.*a){20}': '(?:[^\\n]*a){20}', '(a*)*b': 'a*b',
    '(\\w+\\s?)+$': '(?:\\w|\\s)+$', '^(([a-z])+.)+[A-Z]([a-z])+$': '^[a-z][^\\n]*[A-Z][a-z]+$', '(x+x+)+y': 'xx+y',
  };
  return nativeSpans(easy[pattern], input);
}

test('the tokenizer carries the clear error out of encode for a bounded pattern that blows its budget', async () => {
  const tok = await tokenizerFromJSON(withSplit('(a+)+(?=b)'), null, { file: 'evil/tokenizer.json' });
  try {
    tok.encodeIds('a'.repeat(40) + 'c');
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, TokenizerFileError);
    assert.match((e as Error).message, /^evil\/tokenizer\.json: pre_tokenizer\.pretokenizers\[0\]\.pattern\.Regex: the pattern "\(a\+\)\+\(\?=b\)" took more than \d+ backtracking steps on a 41-character input \(match attempt at offset 0/);
  }
  // the same tokenizer on harmless text works
  assert.ok(tok.encodeIds('hello world').length > 0);
});

test('engine rule: audited patterns native, RE2-expressible re2js, lookahead/backreference bounded', () => {
  for (const p of [GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, DEEPSEEK_V3_PATTERN, O200K_PATTERN]) assert.is(compileRegex(p, where).engine, 'native', p);
  for (const p of ['\\p{N}{1,3}', '[一-龥぀-ゟ゠-ヿ]+', '\\s{2,}', "'s|'t| ?\\p{L}+", '(?<=\\n)x', '^ab|c$', '\\p{Greek}+', '\\h+']) assert.is(compileRegex(p, where).engine, 're2', p);
  for (const p of [GPT2_PATTERN + ' ', '\\s+(?!\\S)', '(a)\\1', '\\bfoo\\b', 'a\\Z']) assert.is(compileRegex(p, where).engine, 'bounded', p);
  // a pattern neither engine can take is refused when the tokenizer loads
  assert.throws(() => compileRegex('(?>a)', where), (e: Error) => e instanceof TokenizerFileError && /atomic group/.test(e.message) && e.message.startsWith('hostile/tokenizer.json: pre_tokenizer.pattern.Regex:'));
});

// Random text over an alphabet that exercises every class of the patterns below
const ALPHABET = [...'aAbBzZ09 7\t\n\r\'sStTdDmMlLvVeErR.,!?-_/"#()[]{}'] .concat(['é', 'ß', 'Ω', '一', 'ゟ', '٣', '\u0301', '\u00a0', '\u2028', '\u0085', '😀', '𝔘', 'ǅ']);
function randomText(next: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = next();
    s += r < 0.3 ? ' ' : ALPHABET[Math.floor(next() * ALPHABET.length)];
  }
  return s;
}

const EQUIVALENCE: string[] = [
  GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, DEEPSEEK_V3_PATTERN, O200K_PATTERN,
  '\\p{N}{1,3}', '[一-龥぀-ゟ゠-ヿ]+', '\\s{2,}', '(?i:ab|z)+', '[[:alpha:]]+|[[:punct:]]', '^\\s+|\\s+$', '\\w+|\\W', '\\bab\\B', '(?<![a-z])\\d+',
  "(['\"])[^'\"]*\\1", 'a(?=b)|b(?!a)', '\\x{1F600}|\\x{1D518}', '\\R', '.+?\\s', '(?:\\p{L}\\p{M}*)+', '[^\\s\\p{L}]{2,4}?',
];

test('re2js and the bounded engine cut random text exactly as JavaScript\'s RegExp', () => {
  const next = rng(SEED);
  const texts = [...someFortunes(20_000), ...Array.from({ length: 120 }, () => randomText(next, 1 + Math.floor(next() * 80)))];
  for (const p of EQUIVALENCE) {
    const engines: PatternEngine[] = ['bounded'];
    try { compileRegex(p, where, 're2'); engines.push('re2'); } catch { /* needs lookahead or a backreference */ }
    for (const e of engines) {
      const m = compileRegex(p, where, e);
      for (const s of texts) {
        const want = nativeSpans(p, s);
        const got = m.spans(s);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          assert.unreachable(`${e} ${JSON.stringify(p)} on ${JSON.stringify(s)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)} (SPPO_SEED=${SEED})`);
        }
      }
    }
  }
});

test('Replace normalizer and decoder keep String.replace semantics (empty matches too) on every engine', async () => {
  const next = rng(SEED + 1);
  const texts = Array.from({ length: 60 }, () => randomText(next, Math.floor(next() * 40)));
  const { replaceAll } = await import('../../src/tokenizer/pattern-matcher.js');
  for (const p of ['x*', '\\s+', '(?=a)', 'a|(?<=b)']) {
    const re = new RegExp(onigurumaToJs(p), 'gu');
    for (const e of ['native', 're2', 'bounded'] as PatternEngine[]) {
      let m;
      try { m = compileRegex(p, where, e); } catch { continue; }
      for (const s of texts) assert.is(replaceAll(m, s, '<>'), s.replace(re, () => '<>'), `${e} ${p} on ${JSON.stringify(s)} (SPPO_SEED=${SEED})`);
    }
  }
});

test.run();
