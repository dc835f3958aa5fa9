// The same kernels as assembly/kernels/, built without threads or shared memory (asconfig
// target "kernels-single") for hosts that lack SharedArrayBuffer: browser pages that are not
// crossOriginIsolated. The wasm backend then runs on the calling thread alone.
export * from '../kernels/index';
