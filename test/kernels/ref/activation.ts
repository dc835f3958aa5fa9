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
