// sppo — the library entry point.
export * from './kernels/index.js';
export { acquireGPU, probeAdapter, NoAdapterError, type GPUContext } from './gpu/device.js';
export { detectRuntime, type Runtime } from './gpu/runtime.js';
export { doctorReport, type DoctorReport } from './doctor.js';
export * from './sampling/index.js';
export { ChatTemplate, ChatTemplateError, applyChatTemplate, chatTemplateNames, PLAIN_CHAT_TEMPLATE,
  type ChatMessage, type ChatTokenizerConfig, type ChatTemplateOptions, type ChatRenderOptions } from './tokenizer/chat.js';
