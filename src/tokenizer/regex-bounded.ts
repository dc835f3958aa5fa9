// A backtracking matcher with a step budget, for the tokenizer.json patterns that need what a
// linear-time engine cannot do (lookahead, backreferences, Unicode \b) and are not on the
// audited list of patterns.ts. It runs the JavaScript source that oniguruma.ts emits (a subset
// of `u`-mode RegExp syntax: no flags, classes, \p{..}, groups, lookarounds, backreferences,
// greedy and lazy quantifiers, ^ $ as input anchors) with JavaScript's backtracking semantics,
// counting every step; past the budget it throws BudgetExceeded with the match start, so a
// hostile pattern costs a bounded time instead of hanging the process.
//
// Positions are UTF-16 offsets that always sit on code point boundaries; one "character" is one
// code point, as in `u` mode. Single-character atoms (classes, escapes) are tested by a native
// RegExp anchored around that one code point, which cannot backtrack.

export class BudgetExceeded extends Error {
  constructor(readonly position: number, readonly steps: number) {
    super(`step budget of ${steps} exceeded at input offset ${position}`);
    this.name = 'BudgetExceeded';
  }
}

export class BoundedSyntaxError extends Error {}

type Node =
  | { t: 'char'; test: (cp: number) => boolean }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'group'; idx: number; body: Node } // idx -1: non-capturing
  | { t: 'look'; behind: boolean; neg: boolean; body: Node; len: number }
  | { t: 'ref'; idx: number; name?: string }
  | { t: 'rep'; body: Node; min: number; max: number; lazy: boolean }
  | { t: 'bol' }
  | { t: 'eol' };

/** A tester for one code point against a single-character source (a class or an escape). */
function charTester(src: string): (cp: number) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${src})$`, 'u');
  } catch (e) {
    throw new BoundedSyntaxError(`the class ${src} does not compile (${(e as Error).message})`);
  }
  const ascii = new Int8Array(128); // 0 unknown, 1 no, 2 yes
  return (cp) => {
    if (cp < 128) {
      const v = ascii[cp];
      if (v !== 0) return v === 2;
      const r = re.test(String.fromCharCode(cp));
      ascii[cp] = r ? 2 : 1;
      return r;
    }
    return re.test(String.fromCodePoint(cp));
  };
}

/** Fixed length in code points of a node, or -1 when it varies. */
function fixedLength(n: Node): number {
  switch (n.t) {
    case 'char': return 1;
    case 'bol': case 'eol': case 'look': return 0;
    case 'group': return fixedLength(n.body);
    case 'seq': {
      let sum = 0;
      for (const it of n.items) { const l = fixedLength(it); if (l < 0) return -1; sum += l; }
      return sum;
    }
    case 'alt': {
      const l0 = n.alts.length ? fixedLength(n.alts[0]) : 0;
      for (const a of n.alts) if (fixedLength(a) !== l0) return -1;
      return l0;
    }
    case 'rep': { const l = fixedLength(n.body); return n.min === n.max && l >= 0 ? l * n.min : -1; }
    case 'ref': return -1;
  }
}

/** Parses the JavaScript source emitted by onigurumaToJs. */
function parse(src: string): { root: Node; groups: number; names: Map<string, number> } {
  let i = 0;
  let groups = 0;
  const names = new Map<string, number>();
  const fail = (what: string): never => { throw new BoundedSyntaxError(`${what} at offset ${i}`); };

  function escapeAtom(): Node {
    const c = src[i + 1];
    if (c === undefined) fail('a trailing backslash');
    const start = i;
    i += 2;
    if (c === 'p' || c === 'P') {
      const end = src.indexOf('}', i);
      if (src[i] !== '{' || end < 0) fail('\\p without {Name}');
      i = end + 1;
      return { t: 'char', test: charTester(src.slice(start, i)) };
    }
    if (c === 'u' && src[i] === '{') {
      const end = src.indexOf('}', i);
      if (end < 0) fail('\\u{ without }');
      i = end + 1;
      return { t: 'char', test: charTester(src.slice(start, i)) };
    }
    if (c === 'u') { i += 4; return { t: 'char', test: charTester(src.slice(start, i)) }; }
    if (c === 'x') { i += 2; return { t: 'char', test: charTester(src.slice(start, i)) }; }
    if (c >= '1' && c <= '9') {
      let num = c;
      while (src[i] >= '0' && src[i] <= '9') num += src[i++];
      return { t: 'ref', idx: Number(num) };
    }
    if (c === 'k' && src[i] === '<') {
      const end = src.indexOf('>', i);
      if (end < 0) fail('\\k< without >');
      const name = src.slice(i + 1, end);
      i = end + 1;
      return { t: 'ref', idx: -1, name };
    }
    if (c === 'b' || c === 'B') fail(`\\${c}`); // oniguruma.ts expands word boundaries
    return { t: 'char', test: charTester(src.slice(start, i)) };
  }

  function classAtom(): Node {
    const start = i;
    i++;
    if (src[i] === '^') i++;
    if (src[i] === ']') i++; // a ']' first is literal only in Oniguruma; JS source escapes it
    while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
    if (src[i] !== ']') fail('an unterminated class');
    i++;
    return { t: 'char', test: charTester(src.slice(start, i)) };
  }

  function atom(): Node | null {
    const c = src[i];
    if (c === '\\') return escapeAtom();
    if (c === '[') return classAtom();
    if (c === '^') { i++; return { t: 'bol' }; }
    if (c === '$') { i++; return { t: 'eol' }; }
    if (c === '.') { i++; return { t: 'char', test: (cp) => cp !== 10 && cp !== 13 && cp !== 0x2028 && cp !== 0x2029 }; }
    if (c === '(') {
      i++;
      if (src[i] === '?') {
        const rest = src.slice(i + 1, i + 4);
        let kind: 'nc' | 'la' | 'nla' | 'lb' | 'nlb' | 'named';
        if (rest.startsWith(':')) { kind = 'nc'; i += 2; }
        else if (rest.startsWith('=')) { kind = 'la'; i += 2; }
        else if (rest.startsWith('!')) { kind = 'nla'; i += 2; }
        else if (rest.startsWith('<=')) { kind = 'lb'; i += 3; }
        else if (rest.startsWith('<!')) { kind = 'nlb'; i += 3; }
        else if (rest.startsWith('<')) {
          const end = src.indexOf('>', i);
          if (end < 0) fail('a group name without >');
          kind = 'named';
          const idx = ++groups;
          names.set(src.slice(i + 2, end), idx);
          i = end + 1;
          const body = alternation();
          if (src[i] !== ')') fail('an unterminated group');
          i++;
          return { t: 'group', idx, body };
        } else return fail('this group syntax');
        const body = alternation();
        if (src[i] !== ')') fail('an unterminated group');
        i++;
        if (kind === 'nc') return { t: 'group', idx: -1, body };
        const behind = kind === 'lb' || kind === 'nlb';
        const len = behind ? fixedLength(body) : 0;
        return { t: 'look', behind, neg: kind === 'nla' || kind === 'nlb', body, len };
      }
      const idx = ++groups;
      const body = alternation();
      if (src[i] !== ')') fail('an unterminated group');
      i++;
      return { t: 'group', idx, body };
    }
    if (c === ')' || c === '|' || c === undefined) return null;
    if (c === '*' || c === '+' || c === '?') fail('a quantifier without an atom');
    const cp = src.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return { t: 'char', test: (x) => x === cp };
  }

  function quantified(a: Node): Node {
    let min: number, max: number;
    const c = src[i];
    if (c === '*') { min = 0; max = Infinity; i++; }
    else if (c === '+') { min = 1; max = Infinity; i++; }
    else if (c === '?') { min = 0; max = 1; i++; }
    else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(src.slice(i));
      if (!m) return a; // a literal '{' is escaped in the source; nothing else reaches here
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) fail('numbers out of order in a {} quantifier');
      i += m[0].length;
    } else return a;
    let lazy = false;
    if (src[i] === '?') { lazy = true; i++; }
    return { t: 'rep', body: a, min, max, lazy };
  }

  function sequence(): Node {
    const items: Node[] = [];
    while (true) {
      const a = atom();
      if (a === null) break;
      items.push(quantified(a));
    }
    return items.length === 1 ? items[0] : { t: 'seq', items };
  }

  function alternation(): Node {
    const alts = [sequence()];
    while (src[i] === '|') { i++; alts.push(sequence()); }
    return alts.length === 1 ? alts[0] : { t: 'alt', alts };
  }

  const root = alternation();
  if (i !== src.length) fail('an unbalanced )');
  return { root, groups, names };
}

type Cont = (pos: number) => boolean;

/** A compiled pattern: `exec(s, from)` finds the leftmost match at or after `from`. */
export class BoundedRegex {
  private readonly root: Node;
  private readonly caps: number[];
  private steps = 0;
  private limit = 0;
  private start = 0;
  private s = '';

  constructor(readonly source: string) {
    const { root, groups, names } = parse(source);
    const resolve = (n: Node): void => {
      switch (n.t) {
        case 'ref': if (n.name !== undefined) n.idx = names.get(n.name) ?? 0; if (n.idx > groups) n.idx = 0; return;
        case 'seq': n.items.forEach(resolve); return;
        case 'alt': n.alts.forEach(resolve); return;
        case 'group': case 'look': case 'rep': resolve(n.body); return;
      }
    };
    resolve(root);
    this.root = root;
    this.caps = new Array(2 * (groups + 1)).fill(-1);
  }

  /**
   * All matches of s, JavaScript `g`-flag style (an empty match advances one code point), as
   * [start, end] pairs; `budget` steps for the whole scan, then BudgetExceeded.
   */
  matchAll(s: string, budget: number, keepEmpty: boolean): number[] {
    this.s = s;
    this.steps = 0;
    this.limit = budget;
    const spans: number[] = [];
    let from = 0;
    while (from <= s.length) {
      const m = this.exec(from);
      if (m === null) break;
      const [a, b] = m;
      if (b === a) {
        if (keepEmpty) spans.push(a, b);
        from = a + ((s.codePointAt(a) ?? 0) > 0xffff ? 2 : 1);
      } else {
        spans.push(a, b);
        from = b;
      }
    }
    this.s = '';
    return spans;
  }

  private exec(from: number): [number, number] | null {
    const s = this.s;
    for (let p = from; p <= s.length;) {
      this.start = p;
      this.caps.fill(-1);
      let end = -1;
      if (this.m(this.root, p, (e) => { end = e; return true; })) return [p, end];
      p += (s.codePointAt(p) ?? 0) > 0xffff ? 2 : 1;
    }
    return null;
  }

  private tick(): void {
    if (++this.steps > this.limit) throw new BudgetExceeded(this.start, this.limit);
  }

  /** Matches node n at pos, then the continuation k. */
  private m(n: Node, pos: number, k: Cont): boolean {
    this.tick();
    const s = this.s;
    switch (n.t) {
      case 'char': {
        if (pos >= s.length) return false;
        const cp = s.codePointAt(pos)!;
        return n.test(cp) && k(pos + (cp > 0xffff ? 2 : 1));
      }
      case 'seq': return this.seq(n.items, 0, pos, k);
      case 'alt':
        for (const a of n.alts) if (this.m(a, pos, k)) return true;
        return false;
      case 'group': {
        if (n.idx < 0) return this.m(n.body, pos, k);
        const caps = this.caps, o0 = caps[2 * n.idx], o1 = caps[2 * n.idx + 1];
        if (this.m(n.body, pos, (e) => {
          const p0 = caps[2 * n.idx], p1 = caps[2 * n.idx + 1];
          caps[2 * n.idx] = pos; caps[2 * n.idx + 1] = e;
          if (k(e)) return true;
          caps[2 * n.idx] = p0; caps[2 * n.idx + 1] = p1;
          return false;
        })) return true;
        caps[2 * n.idx] = o0; caps[2 * n.idx + 1] = o1;
        return false;
      }
      case 'look': {
        let ok: boolean;
        if (!n.behind) ok = this.m(n.body, pos, () => true);
        else if (n.len >= 0) {
          let j = pos;
          for (let c = 0; c < n.len && j >= 0; c++) j -= j >= 2 && isLowSurrogate(s.charCodeAt(j - 1)) && isHighSurrogate(s.charCodeAt(j - 2)) ? 2 : 1;
          ok = j >= 0 && this.m(n.body, j, (e) => e === pos);
        } else {
          ok = false;
          for (let j = pos; j >= 0 && !ok; j--) ok = this.m(n.body, j, (e) => e === pos);
        }
        return ok !== n.neg && k(pos);
      }
      case 'ref': {
        const a = this.caps[2 * n.idx], b = this.caps[2 * n.idx + 1];
        if (n.idx === 0 || a < 0) return k(pos); // an unset group matches empty, as in JavaScript
        const len = b - a;
        if (pos + len > s.length) return false;
        for (let q = 0; q < len; q++) { this.tick(); if (s.charCodeAt(a + q) !== s.charCodeAt(pos + q)) return false; }
        return k(pos + len);
      }
      case 'rep': return n.body.t === 'char' ? this.repChar(n, n.body.test, pos, k) : this.rep(n, 0, pos, k);
      case 'bol': return pos === 0 && k(pos);
      case 'eol': return pos === s.length && k(pos);
    }
  }

  private seq(items: Node[], idx: number, pos: number, k: Cont): boolean {
    if (idx === items.length) return k(pos);
    return this.m(items[idx], pos, (e) => this.seq(items, idx + 1, e, k));
  }

  /** A quantified group: one more iteration or the continuation, in greedy or lazy order. */
  private rep(n: Extract<Node, { t: 'rep' }>, count: number, pos: number, k: Cont): boolean {
    const more = (): boolean => count < n.max && this.m(n.body, pos, (e) => (e === pos && count >= n.min ? false : this.rep(n, count + 1, e, k)));
    if (count < n.min) return more();
    if (n.lazy) return k(pos) || more();
    return more() || k(pos);
  }

  /** A quantified single character: an iterative run (no recursion per character). */
  private repChar(n: Extract<Node, { t: 'rep' }>, test: (cp: number) => boolean, pos: number, k: Cont): boolean {
    const s = this.s;
    const ends = [pos];
    let p = pos;
    while (ends.length - 1 < n.max && p < s.length) {
      if (!n.lazy || ends.length - 1 < n.min) {
        this.tick();
        const cp = s.codePointAt(p)!;
        if (!test(cp)) break;
        p += cp > 0xffff ? 2 : 1;
        ends.push(p);
      } else break;
    }
    if (ends.length - 1 < n.min) return false;
    if (!n.lazy) {
      for (let c = ends.length - 1; c >= n.min; c--) { this.tick(); if (k(ends[c])) return true; }
      return false;
    }
    // lazy: try the continuation after min, then one more character at a time
    let count = ends.length - 1;
    while (true) {
      this.tick();
      if (k(p)) return true;
      if (count >= n.max || p >= s.length) return false;
      const cp = s.codePointAt(p)!;
      if (!test(cp)) return false;
      p += cp > 0xffff ? 2 : 1;
      count++;
    }
  }
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
