// A block of rows × cols f32 values between two row-major matrices of different widths:
//   dst[r·dstStride + dstOff + j] = src[r·srcStride + srcOff + j]   (add: dst += src)
//   for r < rows, j < cols. Gathers a column block out of a matrix, or scatters one into it —
//   what a matmul whose operand is past one storage binding does with its blocks (ops/matmul-split.ts).
// Grid: 1-D over rows·cols, folded 2-D (i = gid.x + gid.y·nwg.x·WG). Defines: none. WG = 64.
const WG: u32 = 64u;

struct Params { rows: u32, cols: u32, srcStride: u32, srcOff: u32, dstStride: u32, dstOff: u32, add: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(WG) fn copy_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.rows * P.cols) { return; }
  let r = i / P.cols;
  let j = i - r * P.cols;
  let d = r * P.dstStride + P.dstOff + j;
  let v = src[r * P.srcStride + P.srcOff + j];
  if (P.add != 0u) { dst[d] = dst[d] + v; } else { dst[d] = v; }
}
