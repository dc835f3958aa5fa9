// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function logSoftmax(_be: WebGPUBackend, ..._a: unknown[]): void { todo('logSoftmax'); }
export function softmax(_be: WebGPUBackend, ..._a: unknown[]): void { todo('softmax'); }
export function softmaxBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('softmaxBackward'); }
export function tokenLogprobs(_be: WebGPUBackend, ..._a: unknown[]): void { todo('tokenLogprobs'); }
export function tokenLogprobsBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('tokenLogprobsBackward'); }
