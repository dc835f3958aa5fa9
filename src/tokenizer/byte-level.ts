// GPT-2's byte <-> character mapping (the ByteLevel pre-tokenizer and decoder): printable
// Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 bytes map in
// order to U+0100, U+0101, ... so that every byte is a visible, non-space character.
// Byte-level vocabularies are written in these characters; the engine works on raw bytes, so
// the loader maps each token back to its bytes once.

function printable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** BYTE_TO_CHAR[b] is the character for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let next = 0x100;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : next++);
  return out;
})();

/** Character code -> byte, or -1 for characters outside the mapping. */
const CHAR_TO_BYTE = (() => {
  const t = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => { t[c.charCodeAt(0)] = b; });
  return t;
})();

/** The bytes a byte-level token string stands for, or null when it holds a character outside
 *  the mapping (such tokens — usually added tokens — cannot come out of byte-level BPE). */
export function tokenToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}

