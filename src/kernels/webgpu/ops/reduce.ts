// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function seqSum(_be: WebGPUBackend, ..._a: unknown[]): void { todo('seqSum'); }
export function seqSumBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('seqSumBackward'); }
export function sumRows(_be: WebGPUBackend, ..._a: unknown[]): void { todo('sumRows'); }
export function sumSquares(_be: WebGPUBackend, ..._a: unknown[]): void { todo('sumSquares'); }
