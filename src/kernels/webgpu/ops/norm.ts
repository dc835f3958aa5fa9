// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function layernorm(_be: WebGPUBackend, ..._a: unknown[]): void { todo('layernorm'); }
export function layernormBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('layernormBackward'); }
export function rmsnorm(_be: WebGPUBackend, ..._a: unknown[]): void { todo('rmsnorm'); }
export function rmsnormBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('rmsnormBackward'); }
