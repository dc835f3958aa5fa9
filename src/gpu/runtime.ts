// Which JavaScript runtime we are in. Deno also defines `process` through its Node compat
// layer, so test for Deno first.
export type Runtime = 'node' | 'deno' | 'browser';

export function detectRuntime(): Runtime {
  const g = globalThis as any;
  if (typeof g.Deno !== 'undefined' && g.Deno?.version?.deno) return 'deno';
  if (typeof g.process !== 'undefined' && g.process?.versions?.node) return 'node';
  return 'browser';
}
