// The WebAssembly CPU kernels (see common.ts for the calling convention). One file per op
// family, forward and backward side by side; src/kernels/wasm/ops/*.ts drive them.
export { heapBase } from './util';
export * from './elementwise';
export * from './reduce';
export * from './matmul';
export * from './norm';
export * from './softmax';
export * from './rope';
export * from './attention';
export * from './activation';
export * from './embedding';
export * from './optim';
export * from './preference';
export * from './lmhead';
export * from './attention_rel';
