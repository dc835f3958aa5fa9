// sppo for Deno — the library entry of dist/deno/index.js. Deno runs everything the browser
// entry offers (WebGPU through `deno run --unstable-webgpu`, the wasm backend with Web Worker
// threads) plus, through its node: compatibility, what needs a file system: model directories
// (loadModel/saveModel), run directories on disk (diskStore), judges from module paths
// (loadJudge) and `new SPPO(config).run()` with no environment given (nodeDeps).
// Permissions a run needs: --allow-read (model, prompts, judge module), --allow-write (the run
// directory), --allow-env (environment settings), --allow-sys (core count for threads).
export * from './browser.js';
export { diskStore } from './sppo/env/store.js';
export { nodeDeps } from './sppo/env/node-deps.js';
// SPPO with nodeDeps as its default environment (shadows the browser entry's)
export { SPPO } from './sppo/env/node-sppo.js';
export { loadModel, saveModel } from './model/load.js';
export { loadTokenizer, loadTokenizerSync } from './tokenizer/node.js';
export { loadJudge, moduleJudge, registerJudgeKind, type JudgeKind, type LoadJudgeOptions } from './judge/index.js';
export { modelFilesFromDir } from './sppo/env/model-source.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './sppo/evaluate.js';
