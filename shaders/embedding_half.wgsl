// Token embedding gather from a 16-bit table (a frozen half-weight model's embedding):
//   table (V,C) bf16 or f16, packed two per u32 word (element i in the low 16 bits of word i/2
//   when i is even); ids (N) i32 → out (N,C) f32, out[n,:] = table[ids[n],:] widened exactly
//   (bf16: a shift into the top of an f32; f16: unpack2x16float). An id outside [0,V) gives a
//   row of zeros. The bound table may be rows [P.v0, P.v0+P.rows) of a larger one, as in
//   embedding.wgsl. Grid: 1-D over N·C, folded 2-D (i = gid.x + gid.y·nwg.x·WG).
// Defines: HALF (1 bf16, 2 f16). WG = 64. (Backward has no 16-bit form: a gradient is f32.)
const WG: u32 = 64u;

struct Params { n: u32, cols: u32, vocab: u32, parts: u32, v0: u32, rows: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read> ids: array<i32>;

fn half(i: u32) -> f32 {
  let word = table[i >> 1u];
  let bits = select(word & 0xffffu, word >> 16u, (i & 1u) == 1u);
  if (HALF == 1u) { return bitcast<f32>(bits << 16u); }
  return unpack2x16float(bits).x;
}

@compute @workgroup_size(WG) fn embedding_half(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.n) { return; }
  let n = i / P.cols;
  let c = i - n * P.cols;
  let id = ids[n];
  var v = 0.0;
  if (id >= 0 && u32(id) < P.vocab) {
    // the bound table holds rows [v0, v0+rows) (word-aligned: v0·cols is even): other rows are left to their pass
    let r = u32(id) - P.v0;
    if (r >= P.rows) { return; }
    v = half(r * P.cols + c);
  }
  out[i] = v;
}
