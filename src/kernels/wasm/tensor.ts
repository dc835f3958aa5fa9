// A tensor of the wasm backend: a block of the shared memory (byte address `ptr`).
import type { DType, Tensor } from '../backend.js';

export class WasmTensor implements Tensor {
  readonly backend = 'wasm';
  readonly size: number;
  disposed = false;
  constructor(readonly shape: readonly number[], readonly dtype: DType, size: number, public ptr: number, readonly owner: object, public label?: string) {
    this.size = size;
  }
}
