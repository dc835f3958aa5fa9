// Token embeddings: gather rows of a table, and the backward scatter-add.
//
//   embedding:          table (V,C), ids (N) i32 → out (N,C), out[n,:] = table[ids[n],:];
//                       an id outside [0,V) gives a row of zeros. The bound table may be rows
//                       [P.v0, P.v0+P.rows) of a larger one (a table past one storage binding is
//                       gathered in several passes, embedding.ts): ids of other rows are skipped.
//                       Grid: 1-D over N·C, folded 2-D (i = gid.x + gid.y·nwg.x·WG).
//   embedding_backward: dtable (V,C) += Σ_n [ids[n] = v]·dout[n,:], ids outside [0,V) skipped.
//                       Deterministic without atomics: the vocabulary is split into PARTS
//                       classes (v mod PARTS); the workgroup (cx, p) owns columns
//                       [cx·WG, cx·WG+WG) of every row v ≡ p, and each of its threads walks all
//                       N tokens in order, adding the tokens of its class. Every dtable element
//                       has exactly one writer, which adds in token order.
//                       Grid: (ceil(C/WG), PARTS). Work: PARTS·N id reads + N·C adds.
//                       PARTS = P.parts: 128 on GPUs, 1 on CPU emulations (see embedding.ts).
// Defines: none. WG = 64.
const WG: u32 = 64u;

struct Params { n: u32, cols: u32, vocab: u32, parts: u32, v0: u32, rows: u32 }
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<i32>;

// P.n = N·C elements of out; src = table
@compute @workgroup_size(WG) fn embedding(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.n) { return; }
  let n = i / P.cols;
  let c = i - n * P.cols;
  let id = ids[n];
  var v = 0.0;
  if (id >= 0 && u32(id) < P.vocab) {
    // the bound table holds rows [v0, v0+rows): another range's row is left to its own pass
    let r = u32(id) - P.v0;
    if (r >= P.rows) { return; }
    v = src[r * P.cols + c];
  }
  out[i] = v;
}

// P.n = N tokens; out = dtable, src = dout
@compute @workgroup_size(WG) fn embedding_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let c = wid.x * WG + lid;
  let part = wid.y;
  if (c >= P.cols) { return; }
  for (var n = 0u; n < P.n; n++) {
    let id = ids[n];
    if (id >= 0 && u32(id) < P.vocab && u32(id) % P.parts == part) {
      let k = u32(id) * P.cols + c;
      out[k] = out[k] + src[n * P.cols + c];
    }
  }
}
