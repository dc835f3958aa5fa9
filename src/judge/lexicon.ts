// A small sentiment lexicon and scorer (AFINN-style: integer valences −5..+5 per word), written
// for this package; the `builtin:sentiment` judge is Bradley–Terry over its score.
//   sentimentScore(text) = Σ valence(word), where a valence flips sign when one of the two
//   words before it is a negator ("not good" = −3, "never bad" = +3).
// Words are lowercased runs of letters and apostrophes; a few common inflections are folded
// ("loved", "loves", "loving" → "love"; "happier", "happiest" → "happy"). The list is modest
// (~230 words): enough to steer a demo model toward cheerful text, not a research instrument.

const POSITIVE: Record<number, string> = {
  1: 'able agree allow calm care clean clear cool easy fair fine fit free fresh gentle glad grow help hope interest kind like ' +
    'nice ok okay patient polite ready safe smile solid steady sure thank trust useful warm welcome well yes ' +
    'fun honest play',
  2: 'accept active admire benefit bright cheer comfort confident cute eager enjoy friend friendly generous gift good grateful ' +
    'happy heal healthy hopeful improve laugh lucky peace peaceful pleasant positive pretty proud relax relief ' +
    'respect rich satisfy secure sweet thoughtful true truth win worth support',
  3: 'adore beautiful best brave celebrate charm creative delight excite fantastic glory great hero joy kiss love lovely ' +
    'marvel perfect praise success superb treasure triumph wonder wow yay',
  4: 'amazing awesome brilliant ecstatic excellent fabulous glorious incredible magnificent outstanding splendid terrific ' +
    'thrill wonderful',
  5: 'breathtaking hurrah superlative',
};

const NEGATIVE: Record<number, string> = {
  1: 'absent alone boring cold confuse doubt dull late lose mess miss odd problem slow strange tired unclear unsure wait ' +
    'weak worry',
  2: 'afraid angry annoy ashamed bad blame broke broken cheat complain cry damage danger dirty disappoint dislike fail ' +
    'fear gloomy guilt harm hurt ill lie lonely mad mistake nervous pain poor reject sad scare sick sorry stress ' +
    'trouble ugly unhappy upset wrong wreck',
  3: 'abuse awful betray bitter cruel dead death depress destroy disaster disgust evil fault fool hate hopeless ' +
    'horrible hostile insult kill misery miserable nasty panic ruin shame stupid suffer terror tragic victim violent worse',
  4: 'agony catastrophe disgusting dreadful hateful horrific murder pathetic terrible torture worst',
  5: 'abysmal atrocious hellish',
};

/** word → valence */
export const LEXICON: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const [table, sign] of [[POSITIVE, 1], [NEGATIVE, -1]] as const) {
    for (const [v, words] of Object.entries(table)) {
      for (const w of words.split(/\s+/)) if (w) m.set(w, sign * Number(v));
    }
  }
  return m;
})();

const NEGATORS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', 'hardly',
  "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "can't", "cannot", "couldn't",
  "shouldn't", "wouldn't", "haven't", "hasn't", "hadn't", 'dont', 'doesnt', 'didnt', 'isnt', 'wasnt', 'cant', 'wont']);

/** valence of one lowercased word, folding common inflections; 0 when unknown */
export function wordValence(w: string): number {
  const direct = LEXICON.get(w);
  if (direct !== undefined) return direct;
  const stems: string[] = [];
  if (w.endsWith('iest')) stems.push(w.slice(0, -4) + 'y');
  if (w.endsWith('ier')) stems.push(w.slice(0, -3) + 'y');
  if (w.endsWith('ies')) stems.push(w.slice(0, -3) + 'y');
  if (w.endsWith('ied')) stems.push(w.slice(0, -3) + 'y');
  if (w.endsWith('ing')) stems.push(w.slice(0, -3), w.slice(0, -3) + 'e');
  if (w.endsWith('ed')) stems.push(w.slice(0, -2), w.slice(0, -1));
  if (w.endsWith('es')) stems.push(w.slice(0, -2));
  if (w.endsWith('s')) stems.push(w.slice(0, -1));
  if (w.endsWith('ly')) stems.push(w.slice(0, -2));
  if (w.endsWith('est')) stems.push(w.slice(0, -3), w.slice(0, -2));
  if (w.endsWith('er')) stems.push(w.slice(0, -2), w.slice(0, -1));
  if (w.endsWith('ful')) stems.push(w.slice(0, -3));
  for (const s of stems) {
    if (s.length < 3) continue;
    const v = LEXICON.get(s);
    if (v !== undefined) return v;
  }
  return 0;
}

/** lowercased words: runs of letters and apostrophes (’ folded to ') */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/\u2019/g, "'").match(/[\p{L}']+/gu)?.map((w) => w.replace(/^'+|'+$/g, '')).filter((w) => w) ?? [];
}

/** Σ valence over the words of `text`, a valence flipped when a negator is among the two words before it */
export function sentimentScore(text: string): number {
  const ws = words(text);
  let s = 0;
  for (let i = 0; i < ws.length; i++) {
    const v = wordValence(ws[i]);
    if (v === 0) continue;
    const negated = (i >= 1 && NEGATORS.has(ws[i - 1])) || (i >= 2 && NEGATORS.has(ws[i - 2]));
    s += negated ? -v : v;
  }
  return s;
}
