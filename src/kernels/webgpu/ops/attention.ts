// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function attention(_be: WebGPUBackend, ..._a: unknown[]): void { todo('attention'); }
export function attentionBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('attentionBackward'); }
