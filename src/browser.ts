// sppo for browsers — the library entry of dist/browser/index.js (ESM; the wasm modules and the
// WGSL shaders are embedded). Everything here runs without a file system: models come from URLs,
// File objects or ArrayBuffers (modelFiles), the run directory is a MemoryStore or an OPFS store,
// checkpoints stay in memory (memoryDeps). startRunWorker() runs a whole SPPO run in a Web
// Worker, judging in a nested judge worker; workerJudge() moves any judge off the page.
// WebGPU where navigator.gpu has an adapter; else the wasm backend (threads when the page is
// cross-origin isolated: serve it with COOP/COEP headers, see examples/browser/serve.mjs).
export * from './kernels/index.js';
export { acquireGPU, probeAdapter, NoAdapterError, type GPUContext } from './gpu/device.js';
export { detectRuntime, type Runtime } from './gpu/runtime.js';
export { doctorReport, type DoctorReport } from './doctor.js';
export * from './sampling/index.js';
export { ChatTemplate, ChatTemplateError, applyChatTemplate, chatTemplateNames, PLAIN_CHAT_TEMPLATE,
  type ChatMessage, type ChatTokenizerConfig, type ChatTemplateOptions, type ChatRenderOptions } from './tokenizer/chat.js';
export * from './tokenizer/index.js';
// the coordinator and its pieces
export { SPPO, type SPPODeps, type DepsFactory, type IterationSummary, type StepMetrics, type ProgressEvent, type SPPOEventMap, type SPPOEventType, type SPPOEvent, type Stage } from './sppo/coordinator.js';
export type { WorkerRate } from './sppo/worker-tally.js';
export { resolveConfig, DEFAULTS as SPPO_DEFAULTS, type SPPOConfig } from './sppo/config.js';
export { MemoryStore } from './sppo/env/store.js';
export type { RunStore } from './sppo/run-store.js';
export { Policy, type PolicyText } from './sppo/policy.js';
export { sampleMixture, mixtureChoice, type MixtureMember } from './sppo/mixture.js';
export { parseOffline, exportPreferences, type OfflineGroup } from './sppo/offline.js';
export { makeTextCodec } from './sppo/text.js';
export { evalStats, lengthControlled, type EvalStats } from './sppo/winrate.js';
export { renderReport } from './sppo/report.js';
export { memoryDeps, type MemoryDeps, type MemoryDepsOptions, type ByteStore } from './sppo/env/memory-deps.js';
export { opfsStore } from './sppo/env/opfs-store.js';
export { modelFiles, modelFilesFromURL, modelFilesFromFileList, type ModelSource, type FileLike, type FileData } from './sppo/env/model-source.js';
// judges that need no file system (module judges load by URL: loadJudgeAnywhere / urlModuleJudge)
export { JudgeError, type Judge, type Pair, type CompareOptions } from './judge/types.js';
export { checkProbabilities, checkPairs, sigmoid } from './judge/validate.js';
export { judgeFromValue, isJudgeValue, judgeSpecName, type JudgeFunction, type JudgeObject, type JudgeValue, type JudgeSpec } from './judge/value.js';
export { btJudge, type Scorer, type BTJudgeOptions } from './judge/bt.js';
export { httpJudge, type HttpJudgeOptions } from './judge/http.js';
export { builtinJudges, getBuiltin, registerBuiltin, type BuiltinJudge } from './judge/builtins.js';
export { sentimentScore } from './judge/lexicon.js';
export { arithAnswer, arithCorrect } from './judge/arith.js';
export { judgeMatrix, judgeMatrices, winRates, type MatrixItem, type MatrixOptions } from './judge/matrix.js';
export { loadJudgeAnywhere, urlModuleJudge } from './workers/judge-load.js';
// workers over comlink
export { workerJudge, type WorkerJudge } from './workers/judge-client.js';
export { startRunWorker, type RunWorker } from './workers/run-client.js';
export type { RunRequest, RunResult, RunEvent, RunEventType, EvalRecord } from './workers/run-types.js';
// the model layer on bytes
export { Transformer, type Batch } from './model/transformer.js';
export type { WeightsMode, WeightFileDType } from './model/weights-mode.js';
export { loadModelFromFiles, modelToFiles, tensorsFromFiles, fileText, CARRIED_MODEL_FILES, type ModelFiles, type LoadedMemoryModel } from './model/memory-dir.js';
export { SafetensorsBuffer, serializeSafetensors, parseSafetensorsHeader } from './model/safetensors.js';
export { parseConfig, configToJson, type ModelConfig } from './model/config.js';
export { generate, type GenerateOptions } from './model/generate.js';
export { packBatch } from './model/batch.js';
export { Optimizer, scheduleLR } from './train/optimizer.js';
export { trainSFT } from './train/sft.js';
export { buildRecords, preferenceBackward, sequenceLogprobs, LOSSES, type LossName } from './train/preference.js';
// the embedded demo's settings (the page fetches models/demo/ and data/demo/ by URL)
export { demoSettings, DEMO_PROMPTS, DEMO_MODEL, DEMO_JUDGE, arithMarks, rowsFromEval, type DemoRow } from './sppo/demo.js';
export { planPass, memoryBudget, setMemoryBudget, checkModelFits, passBytes, memoryLimits, MemoryPlanError, type Plan, type MemoryBudget } from './model/plan.js';
