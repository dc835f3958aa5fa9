// builtin:cyclic3 — an intransitive judge (rock–paper–scissors) for testing non-transitive
// preferences, where no response beats all others and SPPO should converge to a mixture.
//   class(y) = first non-space character of y → 0, 1 or 2:
//              by default its Unicode code point mod 3 ('a' = 97 → 1, 'b' → 2, 'c' → 0, ...);
//              with option classes=["rR", "pP", "sS"] (query: classes=rR,pP,sS) the class whose
//              string holds that character. An empty response, or a character in no class, has
//              no class and ties (0.5) with everything.
//   P(class i ≻ class i+1 mod 3) = strengths[i]; P(j ≻ i) = 1 − P(i ≻ j); same class → 0.5.
//   Default strengths [0.9, 0.7, 0.6]: P(0≻1) = 0.9, P(1≻2) = 0.7, P(2≻0) = 0.6 — non-uniform,
//   so the equilibrium mixture is not uniform either.
// The prompt is ignored. Order-insensitive.
import { checkKnown, numbersOption, stringsOption, type RawOptions } from './options.js';
import { checkPairs } from './validate.js';
import { throwIfAborted, type Judge } from './types.js';

export const CYCLIC3_DEFAULT_STRENGTHS = [0.9, 0.7, 0.6];

/** the class of a response (0, 1, 2), or −1 when it has none */
export function cyclic3Class(response: string, classes?: readonly string[]): number {
  const m = /\S/u.exec(response);
  if (!m) return -1;
  const ch = String.fromCodePoint(response.codePointAt(m.index)!);
  if (!classes) return ch.codePointAt(0)! % 3;
  for (let c = 0; c < 3; c++) if (classes[c].includes(ch)) return c;
  return -1;
}

/** P(class ci ≻ class cj) under `strengths` */
export function cyclic3Prob(ci: number, cj: number, strengths: readonly number[]): number {
  if (ci < 0 || cj < 0 || ci === cj) return 0.5;
  if (cj === (ci + 1) % 3) return strengths[ci];
  return 1 - strengths[cj]; // ci === cj + 1 mod 3: cj beats ci
}

export function cyclic3Judge(opts: RawOptions = {}): Judge {
  const name = 'builtin:cyclic3';
  checkKnown(opts, ['strengths', 'classes'], name);
  const strengths = numbersOption(opts, 'strengths', CYCLIC3_DEFAULT_STRENGTHS, 3, { min: 0, max: 1 }, name);
  const classes = stringsOption(opts, 'classes', 3, name, 'rR,pP,sS');
  const rule = classes ? `classes ${JSON.stringify(classes)} by first character` : 'class = first character code point mod 3';
  return {
    name,
    describe: `Intransitive rock–paper–scissors judge: ${rule}; class i beats class i+1 mod 3 with ` +
      `P(0≻1)=${strengths[0]}, P(1≻2)=${strengths[1]}, P(2≻0)=${strengths[2]}; same class or no class ties at 0.5.`,
    orderSensitive: false,
    info: { kind: 'builtin', builtin: 'cyclic3', strengths, classes: classes ?? null },
    async compare(pairs, o = {}) {
      checkPairs(pairs, name);
      throwIfAborted(o.signal);
      const out = pairs.map((p) => cyclic3Prob(cyclic3Class(p.a, classes), cyclic3Class(p.b, classes), strengths));
      o.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}
