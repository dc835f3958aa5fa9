// Activations (assembly/kernels/activation.ts): tasks of EW_CHUNK elements.
import type { Tensor } from '../../backend.js';
import { checkSoftcap, noAlias, sameSize } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { chunks } from './elementwise.js';

/** kernel arguments: outputs, inputs (pointers), n, scratch */
function go(be: WasmBackend, op: string, kernel: string, outs: [string, Tensor][], ins: [string, Tensor][]): void {
  const n = sameSize(op, ...outs, ...ins);
  noAlias(op, outs, ins);
  const scratch = be.scratch(be.threads * 16, 2);
  be.run(kernel, chunks(be, n), n * 4, [...[...outs, ...ins].map(([, t]) => be.p(t)), n, scratch]);
}

export function silu(be: WasmBackend, out: Tensor, x: Tensor): void {
  go(be, 'silu', 'act_silu', [['out', out]], [['x', x]]);
}
export function siluBackward(be: WasmBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  go(be, 'siluBackward', 'act_silu_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
export function swiglu(be: WasmBackend, out: Tensor, gate: Tensor, up: Tensor): void {
  go(be, 'swiglu', 'act_swiglu', [['out', out]], [['gate', gate], ['up', up]]);
}
export function swigluBackward(be: WasmBackend, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  go(be, 'swigluBackward', 'act_swiglu_backward', [['dgate', dgate], ['dup', dup]], [['dout', dout], ['gate', gate], ['up', up]]);
}
export function gelu(be: WasmBackend, out: Tensor, x: Tensor): void {
  go(be, 'gelu', 'act_gelu', [['out', out]], [['x', x]]);
}
export function geluBackward(be: WasmBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  go(be, 'geluBackward', 'act_gelu_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
export function geluErf(be: WasmBackend, out: Tensor, x: Tensor): void {
  go(be, 'geluErf', 'act_gelu_erf', [['out', out]], [['x', x]]);
}
export function geluErfBackward(be: WasmBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  go(be, 'geluErfBackward', 'act_gelu_erf_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
export function geglu(be: WasmBackend, out: Tensor, gate: Tensor, up: Tensor): void {
  go(be, 'geglu', 'act_geglu', [['out', out]], [['gate', gate], ['up', up]]);
}
export function gegluBackward(be: WasmBackend, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  go(be, 'gegluBackward', 'act_geglu_backward', [['dgate', dgate], ['dup', dup]], [['dout', dout], ['gate', gate], ['up', up]]);
}
/** out = cap·tanh(x/cap); out may be x */
export function softcap(be: WasmBackend, out: Tensor, x: Tensor, cap: number): void {
  const n = checkSoftcap('softcap', out, x, cap);
  be.run('act_softcap', chunks(be, n), n * 8, [be.p(out), be.p(x), n, cap]);
}
/** dx = dy·(1 − (y/cap)²); dx may be dy */
export function softcapBackward(be: WasmBackend, dx: Tensor, y: Tensor, dy: Tensor, cap: number): void {
  const n = checkSoftcap('softcapBackward', dx, dy, cap, y);
  be.run('act_softcap_backward', chunks(be, n), n * 4, [be.p(dx), be.p(y), be.p(dy), n, cap]);
}
