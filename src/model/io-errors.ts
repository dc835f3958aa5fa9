// The one error type of the model-file layer (safetensors, config.json, model directories,
// llama2.c checkpoints). Every message has three parts, so a user can act on it alone:
//   "<file>: <what is wrong>. Fix: <what to do>"
// No node: imports: shared by the browser-safe parsers and the Node-side directory code.

export class ModelFileError extends Error {
  /** the file (or buffer label) the problem is in */
  readonly file: string;
  /** the cause alone, without file and fix (tests match on it) */
  readonly problem: string;
  constructor(file: string, problem: string, fix: string) {
    super(`${file}: ${problem}. Fix: ${fix}`);
    this.name = 'ModelFileError';
    this.file = file;
    this.problem = problem;
  }
}

/** shape as text: [3, 4] */
export const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** product of a shape (1 for a scalar []) */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
