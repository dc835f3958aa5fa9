// Streaming decode: ids arrive one at a time (generation); push() returns only text that is
// final. It never emits a U+FFFD for a character whose bytes are still arriving (byte-level
// tokens and <0xNN> byte-fallback tokens split characters), and it keeps the previous tokens as
// context so decoders that look at neighbours (Metaspace's first-token rule, Strip) give the
// same text as decoding everything at once.
//
// Method (as Hugging Face's DecodeStream): keep a window of ids starting at the last point where
// text was emitted, plus the text those ids decode to ("prefix"). After each push, decode the
// window; if it grew and does not end in U+FFFD, emit the new tail and move the window on.
// flush() emits whatever is left (an unfinished character then shows as U+FFFD).

export class DecodeStream {
  private ids: number[] = [];
  private prefix = '';
  private prefixIndex = 0;

  constructor(private readonly decodeFn: (ids: number[]) => string) {}

  /** Adds one id; returns the newly completed text ('' when nothing is complete yet). */
  push(id: number): string {
    if (this.prefix === '' && this.ids.length > 0) {
      const p = this.decodeFn(this.ids);
      if (!p.endsWith('\ufffd')) {
        this.prefix = p;
        this.prefixIndex = this.ids.length;
      }
    }
    this.ids.push(id);
    const text = this.decodeFn(this.ids);
    if (text.length <= this.prefix.length || text.endsWith('\ufffd')) return '';
    // the window decodes to prefix + new text; when a decoder rewrote earlier text (an invalid
    // byte run turned into U+FFFD marks), emit the new tokens' own text instead
    const fresh = text.startsWith(this.prefix) ? text.slice(this.prefix.length) : this.decodeFn(this.ids.slice(this.prefixIndex));
    this.ids = this.ids.slice(this.prefixIndex);
    this.prefix = this.decodeFn(this.ids);
    this.prefixIndex = this.ids.length;
    return fresh;
  }

  /** Ends the stream: returns the text not yet emitted. */
  flush(): string {
    const text = this.decodeFn(this.ids);
    const rest = text.startsWith(this.prefix) ? text.slice(this.prefix.length) : this.decodeFn(this.ids.slice(this.prefixIndex));
    this.ids = [];
    this.prefix = '';
    this.prefixIndex = 0;
    return rest;
  }
}
