// Mutations for the fuzz targets: hostile JSON values at random paths, key deletions and
// insertions, type changes, deep nesting; byte flips, truncations and insertions; text edits.
export type Rand = () => number;
type J = null | boolean | number | string | J[] | { [k: string]: J };

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo));

/** Values a hostile or careless file may hold where something else is expected. */
export function hostileValue(r: Rand): J {
  const simple: J[] = [
    null, true, false, 0, -1, 1, 2, 1.5, -0.5, 0.999, 1e-320, 1e308, -1e308, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e9, 1e15, -(2 ** 31),
    '', ' ', 'x', '0', '1', '-1', 'NaN', 'Infinity', '1e999', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', '\ud800', '▁', 'ĠĠ', '<|endoftext|>',
    [], [null], [1, 2, 3], [[]], {}, { __proto__: null } as J, { constructor: 1 }, { '': '' },
  ];
  const k = r();
  if (k < 0.8) return pick(r, simple);
  if (k < 0.88) return 'a'.repeat(int(r, 100, 5000));
  if (k < 0.94) return Array.from({ length: int(r, 2, 50) }, () => pick(r, simple));
  let v: J = pick(r, simple);
  for (let d = int(r, 2, 40); d > 0; d--) v = r() < 0.5 ? [v] : { x: v };
  return v;
}

/** Every [container, key] of a JSON value (the root's parent is a wrapper). */
function slots(root: { v: J }): [Record<string, J> | J[], string | number][] {
  const out: [Record<string, J> | J[], string | number][] = [[root as unknown as Record<string, J>, 'v']];
  const walk = (v: J, depth: number) => {
    if (depth > 12 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      // long arrays (a vocabulary, merges): a few elements, not all
      const n = v.length;
      for (let s = 0; s < Math.min(n, 6); s++) {
        const i = s < 3 ? s : n - 1 - (s - 3);
        if (i >= 0 && i < n) { out.push([v, i]); walk(v[i], depth + 1); }
      }
      return;
    }
    const keys = Object.keys(v);
    for (let s = 0; s < Math.min(keys.length, 24); s++) {
      const k = keys.length > 24 ? keys[Math.floor((s / 24) * keys.length)] : keys[s];
      out.push([v, k]);
      walk(v[k], depth + 1);
    }
  };
  walk(root.v, 0);
  return out;
}

/** 1–3 structural mutations of a JSON value (a deep copy; the original is untouched). */
export function mutateJson(value: unknown, r: Rand, extraKeys: readonly string[] = []): unknown {
  const root = { v: JSON.parse(JSON.stringify(value)) as J };
  for (let m = int(r, 1, 4); m > 0; m--) {
    const all = slots(root);
    const [c, k] = pick(r, all);
    const op = r();
    if (op < 0.55) (c as Record<string, J>)[k as string] = hostileValue(r);
    else if (op < 0.7 && !Array.isArray(c) && c !== (root as unknown)) delete (c as Record<string, J>)[k as string];
    else if (op < 0.8) {
      const cur = (c as Record<string, J>)[k as string];
      if (cur && typeof cur === 'object' && !Array.isArray(cur)) (cur as Record<string, J>)[extraKeys.length && r() < 0.7 ? pick(r, extraKeys) : pick(r, ['__proto__', 'extra', 'type', 'x'])] = hostileValue(r);
      else if (Array.isArray(cur)) cur.splice(int(r, 0, cur.length + 1), 0, cur.length && r() < 0.5 ? cur[int(r, 0, cur.length)] : hostileValue(r));
    } else if (op < 0.9) {
      const cur = (c as Record<string, J>)[k as string];
      if (typeof cur === 'number') (c as Record<string, J>)[k as string] = pick(r, [cur * 1e6, -cur, cur + 0.5, String(cur), cur * 2 ** 31, 0]);
      else if (typeof cur === 'string') (c as Record<string, J>)[k as string] = pick(r, [cur.slice(0, int(r, 0, cur.length + 1)), cur + cur, cur.toUpperCase(), '', cur.split('').reverse().join('')]);
      else if (Array.isArray(cur)) (c as Record<string, J>)[k as string] = r() < 0.5 ? cur.slice(0, int(r, 0, cur.length + 1)) : [];
    } else {
      // swap with another slot's value (right type, wrong place)
      const [c2, k2] = pick(r, all);
      const v2 = (c2 as Record<string, J>)[k2 as string];
      (c as Record<string, J>)[k as string] = v2 === undefined ? null : JSON.parse(JSON.stringify(v2));
    }
  }
  return root.v;
}

/** Byte-level damage: flips, truncation, insertion, a run of 0xff. */
export function mutateBytes(b: Uint8Array, r: Rand, focus = b.length): Uint8Array {
  let out = b.slice();
  for (let m = int(r, 1, 4); m > 0; m--) {
    const op = r();
    const at = int(r, 0, Math.max(1, Math.min(focus, out.length)));
    if (op < 0.4) { if (out.length) out[at % out.length] ^= 1 << int(r, 0, 8); }
    else if (op < 0.6) out = out.slice(0, int(r, 0, out.length + 1));
    else if (op < 0.8) {
      const ins = Uint8Array.from({ length: int(r, 1, 16) }, () => int(r, 0, 256));
      const n = new Uint8Array(out.length + ins.length);
      n.set(out.subarray(0, at)); n.set(ins, at); n.set(out.subarray(at), at + ins.length);
      out = n;
    } else { for (let i = at; i < Math.min(out.length, at + int(r, 1, 9)); i++) out[i] = 0xff; }
  }
  return out;
}

/** Text damage: cut, duplicate a slice, insert hostile fragments, flip a character. */
export function mutateText(s: string, r: Rand, fragments: readonly string[] = []): string {
  for (let m = int(r, 1, 4); m > 0; m--) {
    const at = int(r, 0, s.length + 1);
    const op = r();
    if (op < 0.2) s = s.slice(0, at);
    else if (op < 0.35) { const e = int(r, at, s.length + 1); s = s.slice(0, e) + s.slice(at, e) + s.slice(e); }
    else if (op < 0.75 && fragments.length) s = s.slice(0, at) + pick(r, fragments) + s.slice(at);
    else if (op < 0.9) s = s.slice(0, at) + String.fromCharCode(int(r, 0, 0x3000)) + s.slice(at + 1);
    else s = s.slice(0, at) + s.slice(at + int(r, 1, 20));
  }
  return s;
}

/** Short, printable preview of an input for reports. */
export function preview(v: unknown, max = 300): string {
  let s: string;
  if (v instanceof Uint8Array) s = `bytes[${v.length}] ${Buffer.from(v.subarray(0, 160)).toString('latin1')}`;
  else if (typeof v === 'string') s = v;
  else { try { s = JSON.stringify(v); } catch { s = String(v); } }
  s = JSON.stringify(s);
  return s.length > max ? s.slice(0, max) + '…' : s;
}
