// PLACEHOLDER — being written (see the helper working on this family). Every function throws.
import type { WebGPUBackend } from '../backend.js';
const todo = (op: string) => { throw new Error(`webgpu: op ${op} is not written yet`); };
export function gelu(_be: WebGPUBackend, ..._a: unknown[]): void { todo('gelu'); }
export function geluBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('geluBackward'); }
export function silu(_be: WebGPUBackend, ..._a: unknown[]): void { todo('silu'); }
export function siluBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('siluBackward'); }
export function swiglu(_be: WebGPUBackend, ..._a: unknown[]): void { todo('swiglu'); }
export function swigluBackward(_be: WebGPUBackend, ..._a: unknown[]): void { todo('swigluBackward'); }
