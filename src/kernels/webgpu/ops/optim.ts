// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function adamw(_be: WebGPUBackend, ..._a: unknown[]): void { todo('adamw'); }
export function rmsprop(_be: WebGPUBackend, ..._a: unknown[]): void { todo('rmsprop'); }
export function sgd(_be: WebGPUBackend, ..._a: unknown[]): void { todo('sgd'); }
