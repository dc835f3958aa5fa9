// The tiny example's judge, a module judge in plain JavaScript (the file to edit for your own
// preference): the default export takes pairs {prompt, a, b} and returns P(a ≻ b) for each.
// It grades one-digit arithmetic prompts like "3+4=": a right answer beats a wrong one
// (P = 0.95); between two right (or two wrong) answers the shorter wins (P = 0.6) — the rule of
// builtin:arith, the demo's judge.
const answerOf = (prompt) => {
  const m = /(\d+)\s*([-+])\s*(\d+)\s*=\s*$/.exec(prompt);
  if (!m) throw new Error(`tiny judge: not an arithmetic prompt: ${JSON.stringify(prompt)}`);
  return m[2] === '+' ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3]);
};
const isRight = (prompt, answer) => {
  const m = /^\s*(-?\d+)(?![\d]|[.,]\d)/.exec(answer);
  return m !== null && Number(m[1]) === answerOf(prompt);
};
const length = (s) => [...s].length;

// symmetric by construction (P(b ≻ a) = 1 − P(a ≻ b)): sppo asks it one order only
export const orderSensitive = false;
export default async function judge(pairs) {
  return pairs.map(({ prompt, a, b }) => {
    const ra = isRight(prompt, a), rb = isRight(prompt, b);
    if (ra !== rb) return ra ? 0.95 : 0.05;
    if (length(a) === length(b)) return 0.5;
    return length(a) < length(b) ? 0.6 : 0.4;
  });
}
