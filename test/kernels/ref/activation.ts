// Float64 references for the activations, written from their textbook definitions (GELU with
// Math.tanh, as GPT-2's gelu_new; derivatives by hand).
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const K = Math.sqrt(2 / Math.PI), C = 0.044715;

export const siluRef = (x: number) => x * sigmoid(x);
export const siluGradRef = (x: number) => sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x));
export const geluRef = (x: number) => 0.5 * x * (1 + Math.tanh(K * (x + C * x ** 3)));
/** d/dx of 0.5·x·(1 + tanh(u)) = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·u' */
export function geluGradRef(x: number): number {
  const t = Math.tanh(K * (x + C * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * C * x * x);
}
