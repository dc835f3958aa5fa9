// kernels-single (no threads, no shared memory) with relaxed SIMD's fused multiply-add; see
// assembly/kernels-fma/.
export * from '../kernels/index';
