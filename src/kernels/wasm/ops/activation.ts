// Activations (assembly/kernels/activation.ts): tasks of EW_CHUNK elements.
import type { Tensor } from '../../backend.js';
import { sameSize } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { chunks } from './elementwise.js';

function go(be: WasmBackend, kernel: string, n: number, ptrs: number[]): void {
  const scratch = be.scratch(be.threads * 16, 2);
  be.run(kernel, chunks(be, n), n * 4, [...ptrs, n, scratch]);
}

export function silu(be: WasmBackend, out: Tensor, x: Tensor): void {
  go(be, 'act_silu', sameSize('silu', ['out', out], ['x', x]), [be.p(out), be.p(x)]);
}
export function siluBackward(be: WasmBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  go(be, 'act_silu_backward', sameSize('siluBackward', ['dx', dx], ['x', x], ['dout', dout]), [be.p(dx), be.p(x), be.p(dout)]);
}
export function swiglu(be: WasmBackend, out: Tensor, gate: Tensor, up: Tensor): void {
  go(be, 'act_swiglu', sameSize('swiglu', ['out', out], ['gate', gate], ['up', up]), [be.p(out), be.p(gate), be.p(up)]);
}
export function swigluBackward(be: WasmBackend, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  const n = sameSize('swigluBackward', ['dgate', dgate], ['dup', dup], ['dout', dout], ['gate', gate], ['up', up]);
  go(be, 'act_swiglu_backward', n, [be.p(dgate), be.p(dup), be.p(dout), be.p(gate), be.p(up)]);
}
export function gelu(be: WasmBackend, out: Tensor, x: Tensor): void {
  go(be, 'act_gelu', sameSize('gelu', ['out', out], ['x', x]), [be.p(out), be.p(x)]);
}
export function geluBackward(be: WasmBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  go(be, 'act_gelu_backward', sameSize('geluBackward', ['dx', dx], ['x', x], ['dout', dout]), [be.p(dx), be.p(x), be.p(dout)]);
}
