// Translates the Oniguruma regex syntax of tokenizer.json patterns (the Rust tokenizers crate
// compiles them with Oniguruma) into an equivalent JavaScript RegExp source for the `u` flag.
// The split patterns in common use have their own scanners (assembly/tokenizer/scan.ts); this
// translation serves every other pattern (Split, Replace) and checks the scanners in the tests.
//
// Handled: inline case-insensitive groups (?i:...) / (?i) / (?-i:...) (ASCII letters, which is
// what tokenizer patterns use them for: contractions), \p{Script} names without "Script=",
// \d \w (Unicode, as in Oniguruma), \h \H, \A \z \Z, \x{...}, \R, \a \e, identity escapes,
// '.' (anything but \n), ^ and $ (line anchors in Oniguruma), POSIX bracket classes, a ']' that
// opens a class, \s as \p{White_Space} (JavaScript's \s adds U+FEFF and lacks U+0085), \b and
// \B over Unicode word characters.
// Refused with a clear error: atomic groups, possessive or stacked quantifiers, \G \K \X,
// class intersections and nested classes, negated shorthands inside classes, other inline flags.

export class RegexTranslationError extends Error {}

const WORD_JS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
// RE2 has no Join_Control property: its two code points spelled out
const WORD_RE2 = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}';
const POSIX: Record<string, string> = {
  alpha: '\\p{Alphabetic}', digit: '\\p{Nd}', alnum: '\\p{Alphabetic}\\p{Nd}', upper: '\\p{Uppercase}',
  lower: '\\p{Lowercase}', space: '\\p{White_Space}', blank: '\\p{Zs}\\t', punct: '\\p{P}\\p{S}', cntrl: '\\p{Cc}',
  xdigit: '0-9A-Fa-f', word: WORD_JS, graph: '\\P{White_Space}', print: '\\P{Cc}',
};
const SYNTAX = '^$\\.*+?()[]{}|/';

function propertyName(name: string): string {
  for (const cand of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\p{${cand}}`, 'u');
      return cand;
    } catch { /* try next */ }
  }
  throw new RegexTranslationError(`unknown Unicode property \\p{${name}}`);
}

function isAsciiLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
function swapCase(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}
function hex4(cp: number, re2: boolean): string {
  if (re2) return `\\x{${cp.toString(16)}}`;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * Translates one Oniguruma pattern to a JavaScript `u`-mode source, or with `re2` to RE2 syntax
 * (re2js with its LOOKBEHINDS flag): the same constructs, spelled as RE2 spells them — ^ $ as
 * (?m:^) (?m:$), \A \z kept, \x{...} for \u, scripts without "Script=". A construct RE2 lacks
 * (lookahead, backreferences, Unicode \b) is still emitted and makes re2js refuse the pattern.
 */
export function onigurumaToJs(src: string, re2 = false): string {
  const WORD = re2 ? WORD_RE2 : WORD_JS;
  let i = 0;
  let out = '';
  const ciStack: boolean[] = [false]; // case-insensitivity of each open group
  const ci = () => ciStack[ciStack.length - 1];

  function fail(what: string): never {
    throw new RegexTranslationError(`${what} at offset ${i} is not supported`);
  }

  /** Parses an escape at src[i] === '\\'; returns [text, isSet] for use inside or outside a class. */
  function escape(inClass: boolean): string {
    const c = src[i + 1];
    if (c === undefined) fail('a trailing backslash');
    i += 2;
    switch (c) {
      case 'p': case 'P': {
        const m = /^\{\^?([A-Za-z_=]+)\}/.exec(src.slice(i));
        if (!m) return fail(`\\${c} without {Name}`);
        i += m[0].length;
        const negated = (c === 'P') !== m[0].startsWith('{^');
        const prop = propertyName(m[1]);
        return `\\${negated ? 'P' : 'p'}{${re2 ? prop.replace(/^Script=/, '') : prop}}`;
      }
      case 'd': return '\\p{Nd}';
      case 'D': return inClass ? fail('\\D inside a class') : '\\P{Nd}';
      case 'w': return inClass ? WORD : `[${WORD}]`;
      case 'W': return inClass ? fail('\\W inside a class') : `[^${WORD}]`;
      case 'h': return inClass ? '0-9A-Fa-f' : '[0-9A-Fa-f]';
      case 'H': return inClass ? fail('\\H inside a class') : '[^0-9A-Fa-f]';
      case 's': return '\\p{White_Space}';
      case 'S': return '\\P{White_Space}';
      case 'n': case 'r': case 't': case 'f': case 'v': return `\\${c}`;
      case 'a': return '\\x07';
      case 'e': return '\\x1b';
      case 'b': return inClass ? '\\x08' : `(?:(?<![${WORD}])(?=[${WORD}])|(?<=[${WORD}])(?![${WORD}]))`;
      case 'B': return inClass ? fail('\\B inside a class') : `(?:(?<![${WORD}])(?![${WORD}])|(?<=[${WORD}])(?=[${WORD}]))`;
      case 'A': return inClass ? fail('\\A inside a class') : re2 ? '\\A' : '^';
      case 'z': return inClass ? fail('\\z inside a class') : re2 ? '\\z' : '$';
      case 'Z': return inClass ? fail('\\Z inside a class') : '(?=\\n?$)';
      case 'R': return inClass ? fail('\\R inside a class') : re2 ? '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\x{2028}\\x{2029}])' : '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])';
      case 'x': {
        const braced = /^\{([0-9A-Fa-f]{1,8})\}/.exec(src.slice(i));
        if (braced) { i += braced[0].length; return hex4(parseInt(braced[1], 16), re2); }
        const two = /^[0-9A-Fa-f]{2}/.exec(src.slice(i));
        if (!two) return fail('\\x without hex digits');
        i += 2;
        return `\\x${two[0]}`;
      }
      case 'u': {
        const four = /^[0-9A-Fa-f]{4}/.exec(src.slice(i));
        if (!four) return fail('\\u without 4 hex digits');
        i += 4;
        return re2 ? `\\x{${four[0]}}` : `\\u${four[0]}`;
      }
      case 'G': case 'K': case 'X': case 'y': case 'Y': case 'O': case 'N':
        return fail(`\\${c}`);
      default:
        if (/[0-9]/.test(c)) {
          if (inClass) return fail('a backreference inside a class');
          let num = c;
          while (/[0-9]/.test(src[i] ?? '')) num += src[i++];
          return `\\${num}`;
        }
        if (c === 'k' && src[i] === '<') {
          const end = src.indexOf('>', i);
          if (end < 0) return fail('\\k<name without >');
          const name = src.slice(i, end + 1);
          i = end + 1;
          return `\\k${name}`;
        }
        if (/[A-Za-z]/.test(c)) return fail(`the escape \\${c}`);
        // identity escape of a punctuation or other character
        if (SYNTAX.includes(c) || (inClass && c === '-')) return `\\${c}`;
        return literal(c, inClass);
    }
  }

  function literal(c: string, inClass: boolean): string {
    if (inClass) return c === ']' || c === '\\' || c === '^' || c === '-' || c === '[' ? `\\${c}` : c;
    if (SYNTAX.includes(c)) return `\\${c}`;
    return c;
  }

  /** Parses a bracket class starting at src[i] === '['. */
  function charClass(): string {
    i++;
    let negate = false;
    if (src[i] === '^') { negate = true; i++; }
    const items: string[] = [];
    const letters: string[] = []; // ASCII letters and letter ranges, for case folding
    let first = true;
    while (true) {
      const c = src[i];
      if (c === undefined) fail('an unterminated class');
      if (c === ']' && !first) { i++; break; }
      first = false;
      if (c === '[') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        if (!posix) fail('a nested class');
        if (posix[1]) fail(`the negated POSIX class ${posix[0]}`);
        const body = POSIX[posix[2]];
        if (!body) fail(`the POSIX class ${posix[0]}`);
        items.push(body);
        i += posix[0].length;
        continue;
      }
      if (c === '&' && src[i + 1] === '&') fail('a class intersection (&&)');
      let atom: string;
      let atomChar: string | null = null;
      if (c === '\\') {
        const before = i;
        atom = escape(true);
        const raw = src.slice(before, i);
        if (/^\\[^A-Za-z0-9]$/.test(raw)) atomChar = raw[1];
      } else {
        const cp = src.codePointAt(i)!;
        atomChar = String.fromCodePoint(cp);
        i += atomChar.length;
        atom = literal(atomChar, true);
      }
      // a range a-b ?
      if (atomChar !== null && src[i] === '-' && src[i + 1] !== ']' && src[i + 1] !== undefined) {
        i++;
        let hiChar: string;
        if (src[i] === '\\') {
          const before = i;
          const esc = escape(true);
          const raw = src.slice(before, i);
          if (!/^\\[^A-Za-z0-9]$/.test(raw)) {
            // \xHH or \uHHHH end points: decode them
            const m = /^\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|[ux]\{([0-9A-Fa-f]+)\})$/.exec(esc);
            if (!m) fail('a class range with a set as its end');
            const hi = parseInt(m[1] ?? m[2] ?? m[3], 16);
            if (hi > 0x10ffff) fail('a code point beyond U+10FFFF');
            hiChar = String.fromCodePoint(hi);
          } else hiChar = raw[1];
        } else {
          const cp = src.codePointAt(i)!;
          hiChar = String.fromCodePoint(cp);
          i += hiChar.length;
        }
        items.push(`${literal(atomChar, true)}-${literal(hiChar, true)}`);
        if (ci()) letters.push(`${atomChar}-${hiChar}`);
        continue;
      }
      items.push(atom);
      if (ci() && atomChar !== null && isAsciiLetter(atomChar)) letters.push(atomChar);
    }
    for (const l of letters) {
      if (l.length === 1) items.push(swapCase(l));
      else {
        // add the other case of the part of the range that overlaps a-z or A-Z
        const lo = l.codePointAt(0)!, hi = l.codePointAt(l.length - 1)!;
        for (const [a, z, shift] of [[0x61, 0x7a, -32], [0x41, 0x5a, 32]] as const) {
          const s = Math.max(lo, a), e = Math.min(hi, z);
          if (s <= e) items.push(`${String.fromCharCode(s + shift)}-${String.fromCharCode(e + shift)}`);
        }
      }
    }
    return `[${negate ? '^' : ''}${items.join('')}]`;
  }

  function quantifierCheck(): void {
    // after a quantifier: a following + or a second quantifier is possessive / stacked in Oniguruma
    const c = src[i];
    if (c === '+') fail('a possessive quantifier');
    if (c === '*' || c === '{') fail('a stacked quantifier');
  }

  while (i < src.length) {
    const c = src[i];
    if (c === '\\') { out += escape(false); continue; }
    if (c === '[') { out += charClass(); continue; }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const rest = src.slice(i + 2);
        const flagGroup = /^([imx]*)(?:-([imx]*))?([:)])/.exec(rest);
        if (flagGroup && (flagGroup[1] || flagGroup[2] !== undefined)) {
          const on = flagGroup[1], off = flagGroup[2] ?? '';
          if (/[mx]/.test(on + off)) fail(`the inline flags (?${on}${off ? '-' + off : ''})`);
          const value = on.includes('i') ? true : off.includes('i') ? false : ci();
          i += 2 + flagGroup[0].length;
          if (flagGroup[3] === ':') { ciStack.push(value); out += '(?:'; }
          else ciStack[ciStack.length - 1] = value; // (?i) applies to the rest of the group
          continue;
        }
        if (rest.startsWith('>')) fail('an atomic group (?>...)');
        if (rest.startsWith('#')) { // comment group
          const end = src.indexOf(')', i);
          if (end < 0) fail('an unterminated comment group');
          i = end + 1;
          continue;
        }
        const m = /^(?::|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(rest);
        if (!m) fail('this group syntax');
        out += '(?' + m[0];
        i += 2 + m[0].length;
        ciStack.push(ci());
        continue;
      }
      out += '(';
      i++;
      ciStack.push(ci());
      continue;
    }
    if (c === ')') {
      if (ciStack.length <= 1) fail('an unbalanced )');
      ciStack.pop();
      out += ')';
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      out += c;
      i++;
      if (src[i] === '?') { out += '?'; i++; } // lazy
      else quantifierCheck();
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d*)(?:,(\d*))?\}/.exec(src.slice(i));
      if (m && (m[1] !== '' || (m[2] !== undefined && m[2] !== ''))) {
        out += m[1] === '' ? `{0,${m[2]}}` : m[0];
        i += m[0].length;
        if (src[i] === '?') { out += '?'; i++; } else quantifierCheck();
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}') { out += '\\}'; i++; continue; }
    if (c === '.') { out += '[^\\n]'; i++; continue; }
    if (c === '^') { out += re2 ? '(?m:^)' : '(?:^|(?<=\\n))'; i++; continue; }
    if (c === '$') { out += re2 ? '(?m:$)' : '(?=\\n|$)'; i++; continue; }
    if (c === '|') { out += '|'; i++; continue; }
    const cp = src.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    out += ci() && isAsciiLetter(ch) ? `[${ch}${swapCase(ch)}]` : literal(ch, false);
  }
  if (ciStack.length !== 1) throw new RegexTranslationError('an unterminated group');
  return out;
}

/** Compiles an Oniguruma pattern as a global, unicode JavaScript RegExp. */
export function compileOniguruma(src: string): RegExp {
  const js = onigurumaToJs(src);
  try {
    return new RegExp(js, 'gu');
  } catch (e) {
    throw new RegexTranslationError(`the translated pattern does not compile in JavaScript (${(e as Error).message})`);
  }
}

/** Escapes a literal string for use in a RegExp source. */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => (c === '-' ? '\\x2d' : '\\' + c));
}
