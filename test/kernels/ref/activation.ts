// Float64 references for the activations, written from their textbook definitions (GELU as
// GPT-2's gelu_new, 0.5·x·(1 + tanh u); derivatives by hand).
// 1 ± tanh(u) is evaluated through the exact identities 1 + tanh u = 2/(1 + e^(−2u)) and
// 1 − tanh u = 2/(1 + e^(2u)): computing 1 + Math.tanh(u) cancels to 0 in float64 itself for
// u < −19, where the true GELU is ~1e-17·x and the kernel gets it right.
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const K = Math.sqrt(2 / Math.PI), C = 0.044715;
const gU = (x: number) => K * (x + C * x ** 3);
const onePlusTanh = (u: number) => (u > 0 ? 1 + Math.tanh(u) : 2 / (1 + Math.exp(-2 * u)));
const oneMinusTanh = (u: number) => (u < 0 ? 1 - Math.tanh(u) : 2 / (1 + Math.exp(2 * u)));

export const siluRef = (x: number) => x * sigmoid(x);
export const siluGradRef = (x: number) => sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x));
export const geluRef = (x: number) => 0.5 * x * onePlusTanh(gU(x));
/** d/dx of 0.5·x·(1 + tanh u) = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh u)(1 + tanh u)·u' */
export function geluGradRef(x: number): number {
  const u = gU(x);
  return 0.5 * onePlusTanh(u) + 0.5 * x * oneMinusTanh(u) * onePlusTanh(u) * K * (1 + 3 * C * x * x);
}

/** erf in float64: Maclaurin series for |x| ≤ 3 (terms ≤ ~1e4, so ~1e-12 absolute), the
 *  continued fraction of erfc (modified Lentz) beyond */
function erfcPos(x: number): number {
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x, C = x, D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D; if (Math.abs(D) < tiny) D = tiny; D = 1 / D;
    C = x + a / C; if (Math.abs(C) < tiny) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
export function erfRef(x: number): number {
  if (Math.abs(x) <= 3) {
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return x > 0 ? 1 - erfcPos(x) : erfcPos(-x) - 1;
}
/** Φ(x), standard normal CDF, accurate in the negative tail */
export function phiRef(x: number): number {
  const z = x / Math.SQRT2;
  if (z < -3) return 0.5 * erfcPos(-z);
  return 0.5 * (1 + erfRef(z));
}
export const geluErfRef = (x: number) => x * phiRef(x);
export const geluErfGradRef = (x: number) => phiRef(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
