// The kernels of assembly/kernels/ built with relaxed SIMD as well (asconfig target
// "kernels-fma"): madd4 (common.ts) becomes one fused multiply-add in the matmul and attention
// micro-kernels. Chosen at run time where relaxed SIMD validates (src/kernels/wasm/module.ts).
export * from '../kernels/index';
