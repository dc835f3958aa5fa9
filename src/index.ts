// sppo — the library entry point.
export * from './kernels/index.js';
export { acquireGPU, probeAdapter, NoAdapterError, type GPUContext } from './gpu/device.js';
export { detectRuntime, type Runtime } from './gpu/runtime.js';
export { doctorReport, type DoctorReport } from './doctor.js';
export * from './sampling/index.js';
export { ChatTemplate, ChatTemplateError, applyChatTemplate, chatTemplateNames, PLAIN_CHAT_TEMPLATE,
  type ChatMessage, type ChatTokenizerConfig, type ChatTemplateOptions, type ChatRenderOptions } from './tokenizer/chat.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './sppo/evaluate.js';
export { SPPO } from './sppo/env/node-sppo.js';
export { type SPPODeps, type DepsFactory, type IterationSummary, type StepMetrics, type ProgressEvent, type SPPOEventMap, type SPPOEventType, type SPPOEvent, type Stage } from './sppo/coordinator.js';
export type { WorkerRate } from './sppo/worker-tally.js';
export { resolveConfig, DEFAULTS as SPPO_DEFAULTS, type SPPOConfig } from './sppo/config.js';
export { MemoryStore, diskStore } from './sppo/env/store.js';
export type { RunStore } from './sppo/run-store.js';
export { Policy, type PolicyText } from './sppo/policy.js';
export { sampleMixture, mixtureChoice, type MixtureMember } from './sppo/mixture.js';
export { runIterates, mixtureMembers } from './sppo/env/mixture-dir.js';
export { parseOffline, exportPreferences, type OfflineGroup } from './sppo/offline.js';
export { evalStats, lengthControlled, type EvalStats } from './sppo/winrate.js';
export * from './judge/index.js';
export { Transformer, type Batch } from './model/transformer.js';
export { loadModel, saveModel } from './model/load.js';
export type { WeightsMode, WeightFileDType, LoadModelOptions } from './model/weights-mode.js';
export { generate, type GenerateOptions } from './model/generate.js';
export { packBatch } from './model/batch.js';
export { Optimizer, scheduleLR } from './train/optimizer.js';
export { trainSFT } from './train/sft.js';
export { buildRecords, preferenceBackward, sequenceLogprobs, LOSSES, type LossName } from './train/preference.js';
export * from './tokenizer/index.js';
export { loadTokenizer, loadTokenizerSync } from './tokenizer/node.js';
// environments for the coordinator, models as bytes, workers over comlink (worker_threads here)
export { nodeDeps } from './sppo/env/node-deps.js';
export { memoryDeps, type MemoryDeps, type MemoryDepsOptions, type ByteStore } from './sppo/env/memory-deps.js';
export { modelFiles, modelFilesFromURL, modelFilesFromDir, modelFilesFromFileList, type ModelSource } from './sppo/env/model-source.js';
export { loadModelFromFiles, modelToFiles, type ModelFiles } from './model/memory-dir.js';
export { workerJudge, type WorkerJudge } from './workers/judge-client.js';
export { startRunWorker, type RunWorker } from './workers/run-client.js';
export type { RunRequest, RunResult, RunEvent, RunEventType, EvalRecord } from './workers/run-types.js';
// model-based judges (Node: they read model directories)
export { loadRewardModel, rewardModelJudge, type RewardModel } from './judge/reward-model.js';
export { PairwiseModel, pairwiseJudge } from './judge/pairwise-model.js';
// scale-out: generation and judging units as BullMQ jobs on Redis (importing registers the queue
// with the coordinator: a config with "queue" distributes its units)
export { startWorker, queueStatus, formatStatus, queueUnitRunner, judgeRefusal, redactURL, type RedisConnection, type StartWorkerOptions, type QueueWorker, type QueueStatus, type WorkerThroughput } from './queue/index.js';
export type { UnitRunner, GenerateUnit, JudgeUnit, GenerateResult } from './sppo/units.js';
export { planPass, memoryBudget, setMemoryBudget, checkModelFits, passBytes, memoryLimits, MemoryPlanError, type Plan, type MemoryBudget } from './model/plan.js';
