// Activations, forward and backward (shaders/activation.wgsl): SiLU, SwiGLU, GELU (tanh form),
// exact GELU (erf form).
// GeGLU; soft-capping (shaders/softcap.wgsl).
// One thread per 4 elements (vec4).
import type { Tensor } from '../../backend.js';
import { checkSoftcap, noAlias, sameSize } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, vec4Count } from './variants.js';

const WG = 256;

function run(be: WebGPUBackend, op: string, entry: string, outs: [string, Tensor][], ins: [string, Tensor][]): void {
  const n = sameSize(op, ...outs, ...ins);
  noAlias(op, outs, ins);
  const ts = [...outs, ...ins].map(([, t]) => be.t(t));
  const n4 = vec4Count(n, ts);
  be.ctx.dispatch('activation', entry, {}, new Params().u(n4), ts, grid1d(n4, WG, gridLimit(be)));
}

export function silu(be: WebGPUBackend, out: Tensor, x: Tensor): void {
  run(be, 'silu', 'silu', [['out', out]], [['x', x]]);
}
export function siluBackward(be: WebGPUBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  run(be, 'siluBackward', 'silu_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
export function swiglu(be: WebGPUBackend, out: Tensor, gate: Tensor, up: Tensor): void {
  run(be, 'swiglu', 'swiglu', [['out', out]], [['gate', gate], ['up', up]]);
}
export function swigluBackward(be: WebGPUBackend, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  gatedBackward(be, 'swigluBackward', 'swiglu_backward', dgate, dup, dout, gate, up);
}
export function geglu(be: WebGPUBackend, out: Tensor, gate: Tensor, up: Tensor): void {
  run(be, 'geglu', 'geglu', [['out', out]], [['gate', gate], ['up', up]]);
}
export function gegluBackward(be: WebGPUBackend, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  gatedBackward(be, 'gegluBackward', 'geglu_backward', dgate, dup, dout, gate, up);
}
function gatedBackward(be: WebGPUBackend, op: string, entry: string, dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void {
  // bindings: 1 dgate, 2 gate, 3 up, 4 dup, 5 dout
  const n = sameSize(op, ['dgate', dgate], ['dup', dup], ['dout', dout], ['gate', gate], ['up', up]);
  noAlias(op, [['dgate', dgate], ['dup', dup]], [['dout', dout], ['gate', gate], ['up', up]]);
  const ts = [dgate, gate, up, dup, dout].map((t) => be.t(t));
  const n4 = vec4Count(n, ts);
  be.ctx.dispatch('activation', entry, {}, new Params().u(n4), ts, grid1d(n4, WG, gridLimit(be)));
}
export function gelu(be: WebGPUBackend, out: Tensor, x: Tensor): void {
  run(be, 'gelu', 'gelu', [['out', out]], [['x', x]]);
}
export function geluBackward(be: WebGPUBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  run(be, 'geluBackward', 'gelu_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
export function geluErf(be: WebGPUBackend, out: Tensor, x: Tensor): void {
  run(be, 'geluErf', 'gelu_erf', [['out', out]], [['x', x]]);
}
export function geluErfBackward(be: WebGPUBackend, dx: Tensor, x: Tensor, dout: Tensor): void {
  run(be, 'geluErfBackward', 'gelu_erf_backward', [['dx', dx]], [['x', x], ['dout', dout]]);
}
/** out = cap·tanh(x/cap); out may be x */
export function softcap(be: WebGPUBackend, out: Tensor, x: Tensor, cap: number): void {
  const n = checkSoftcap('softcap', out, x, cap);
  const ts = out === x ? [be.t(out)] : [be.t(out), be.t(x)];
  be.ctx.dispatch('softcap', out === x ? 'softcap_inplace' : 'softcap', {}, new Params().u(n).f(cap), ts, grid1d(n, WG, gridLimit(be)));
}
/** dx = dy·(1 − (y/cap)²); dx may be dy */
export function softcapBackward(be: WebGPUBackend, dx: Tensor, y: Tensor, dy: Tensor, cap: number): void {
  const n = checkSoftcap('softcapBackward', dx, dy, cap, y);
  const ts = dx === dy ? [be.t(dx), be.t(y)] : [be.t(dx), be.t(y), be.t(dy)];
  be.ctx.dispatch('softcap', dx === dy ? 'softcap_backward_inplace' : 'softcap_backward', {}, new Params().u(n).f(cap), ts, grid1d(n, WG, gridLimit(be)));
}
