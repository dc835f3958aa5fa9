// A judge for the tiny example: prefers responses with more ASCII letters and spaces
// (a Bradley–Terry judge over that count). The default export takes pairs
// {prompt, a, b} and returns P(a ≻ b) for each — the module-judge interface of sppo.
const score = (s) => (s.match(/[A-Za-z ]/g) ?? []).length;
// symmetric by construction (σ of a score difference): asked one order only
export const orderSensitive = false;
export default async function judge(pairs) {
  return pairs.map(({ a, b }) => 1 / (1 + Math.exp(-(score(a) - score(b)) / 2)));
}
