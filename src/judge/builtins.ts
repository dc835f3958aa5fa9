// The built-in judges, by name (spec "builtin:NAME" or "builtin:NAME?option=value&..."):
//   length     prefers the SHORTER response: P(a ≻ b) = σ((len_b − len_a) / scale), lengths in
//              code points, option scale (default 10 characters)
//   longer     prefers the LONGER response:  P(a ≻ b) = σ((len_a − len_b) / scale)
//   sentiment  prefers the happier text: Bradley–Terry over the lexicon score (lexicon.ts),
//              P(a ≻ b) = σ((s_a − s_b) / scale), option scale (default 2 valence points)
//   cyclic3    intransitive rock–paper–scissors over the first character (cyclic3.ts)
//   arith      correctness on "A+B=" / "A*B=" prompts, then shorter wins (arith.ts)
// To add one: an entry in BUILTINS below ({ name, describe, make(options) → Judge }); code using the
// package may add its own with registerBuiltin. The table is what loadJudge's error lists when a
// name is unknown.
import { arithJudge, arithStrictJudge } from './arith.js';
import { btJudge } from './bt.js';
import { cyclic3Judge } from './cyclic3.js';
import { sentimentScore } from './lexicon.js';
import { checkKnown, numberOption, type RawOptions } from './options.js';
import type { Judge } from './types.js';

export interface BuiltinJudge {
  name: string;
  /** one line for `sppo judge --list` and error messages */
  describe: string;
  /** builds the judge; options come from code or the spec's query string (values may be text) */
  make(options: RawOptions): Judge;
}

const codePoints = (s: string): number => { let n = 0; for (const _ of s) n++; return n; };

function lengthJudge(name: 'length' | 'longer', sign: 1 | -1, opts: RawOptions): Judge {
  const full = `builtin:${name}`;
  checkKnown(opts, ['scale'], full);
  const scale = numberOption(opts, 'scale', 10, { above: 0 }, full);
  return btJudge(full, (_prompt, response) => (sign * codePoints(response)) / scale, {
    describe: sign < 0
      ? `Prefers the shorter response: P(a ≻ b) = σ((len_b − len_a) / ${scale}), lengths in characters.`
      : `Prefers the longer response: P(a ≻ b) = σ((len_a − len_b) / ${scale}), lengths in characters.`,
    info: { kind: 'builtin', builtin: name, scale },
  });
}

/** the built-in judges (one entry each) */
const BUILTINS: BuiltinJudge[] = [
  {
    name: 'length',
    describe: 'prefers the shorter response: σ((len_b − len_a)/scale), scale=10 characters',
    make: (o) => lengthJudge('length', -1, o),
  }, {
    name: 'longer',
    describe: 'prefers the longer response: σ((len_a − len_b)/scale), scale=10 characters',
    make: (o) => lengthJudge('longer', 1, o),
  }, {
    name: 'sentiment',
    describe: 'prefers the happier text: Bradley–Terry over a built-in sentiment lexicon, σ((s_a − s_b)/scale), scale=2',
    make: (opts) => {
      const full = 'builtin:sentiment';
      checkKnown(opts, ['scale'], full);
      const scale = numberOption(opts, 'scale', 2, { above: 0 }, full);
      return btJudge(full, (_prompt, response) => sentimentScore(response) / scale, {
        describe: `Prefers the happier text: Bradley–Terry over the sum of word valences (a ~240-word lexicon, −5..+5, ` +
          `negation flips), P(a ≻ b) = σ((s_a − s_b) / ${scale}).`,
        info: { kind: 'builtin', builtin: 'sentiment', scale },
      });
    },
  }, {
    name: 'cyclic3',
    describe: 'intransitive rock–paper–scissors by first character (code point mod 3): P(0≻1)=0.9, P(1≻2)=0.7, P(2≻0)=0.6',
    make: cyclic3Judge,
  }, {
    name: 'arith',
    describe: 'arithmetic correctness on "A+B=" / "A*B=" prompts (right number wins, P=0.95), then shorter wins (P=0.6)',
    make: arithJudge,
  }, {
    name: 'arith-strict',
    describe: 'arithmetic correctness alone, hard (1 / 0 / ½ for ties) — a held-out evaluation judge for builtin:arith runs',
    make: arithStrictJudge,
  },
];

const registry = new Map<string, BuiltinJudge>(BUILTINS.map((b) => [b.name, b]));

/** adds (or replaces) a built-in judge */
export function registerBuiltin(b: BuiltinJudge): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(b.name)) throw new Error(`registerBuiltin: name "${b.name}" must be lowercase letters, digits, - or _`);
  registry.set(b.name, b);
}

/** the registered built-in judges, sorted by name */
export function builtinJudges(): BuiltinJudge[] {
  return [...registry.values()].sort((x, y) => x.name.localeCompare(y.name));
}

export function getBuiltin(name: string): BuiltinJudge | undefined {
  return registry.get(name);
}
