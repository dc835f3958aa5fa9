// Rotary position embedding (assembly/kernels/rope.ts): tasks of whole (b,t) rows.
import { ShapeError, type RopeOptions, type Tensor } from '../../backend.js';
import { checkRope } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

export function rope(be: WasmBackend, out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): void {
  const rd = checkRope(out, x, positions, o);
  if (o.layout !== 'half' && o.layout !== 'interleaved') throw new ShapeError(`rope: layout "${o.layout}" must be 'half' (Hugging Face rotate_half) or 'interleaved'`);
  if (!(o.theta > 0) || !Number.isFinite(o.theta)) throw new ShapeError(`rope: theta=${o.theta} must be a positive finite number (e.g. 10000)`);
  if (out === x) throw new ShapeError('rope: out and x are the same tensor; pass a separate output tensor');
  const BT = o.batch * o.seq, H = o.heads, D = o.headDim;
  const rows = Math.max(1, Math.floor(8192 / (H * D)));
  const scratch = be.scratch(be.threads * rd * 8, 2);
  // LongRoPE's divisors, copied into wasm memory (rd/2 floats; 0 = none)
  let factors = 0;
  if (o.freqFactors) { factors = be.scratch(rd * 2, 0); be.f32.set(o.freqFactors, factors / 4); }
  be.run('rope_apply', Math.ceil(BT / rows), BT * H * D * 2, [be.p(out), be.p(x), be.p(positions), BT, H, D, rd, o.theta, o.layout === 'half' ? 0 : 1, o.inverse ? 1 : 0, rows, scratch, factors, o.scale ?? 1]);
}
