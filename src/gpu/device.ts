// Adapter and device acquisition with one API for Node (Dawn), Deno (wgpu) and browsers.
// We request the limits a model needs (the adapter's maxima for storage binding size,
// buffer size, workgroup storage and invocations) and the optional features that matter
// (shader-f16, subgroups, timestamp-query) where present. A self-test dispatch proves the
// device computes: Dawn's null backend returns adapters whose shaders write nothing.
import { detectRuntime, type Runtime } from './runtime.js';

export interface AdapterSummary { vendor: string; architecture: string; description: string; device?: string }

export interface GPUContext {
  runtime: Runtime;
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  info: AdapterSummary;
  features: string[];
  limits: Record<string, number>;
  /** true for CPU emulations of a GPU (SwiftShader, llvmpipe, lavapipe, WARP). */
  software: boolean;
  /** how the adapter was found */
  note: string;
  /** Node: what Dawn printed while a Vulkan driver was probed in a child process (kept off stderr; SPPO_DEBUG prints it) */
  log: string[];
}

export interface AcquireOptions { powerPreference?: GPUPowerPreference; dawnFlags?: string[] }

export const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize', 'maxBindingsPerBindGroup',
] as const;

export class NoAdapterError extends Error {
  constructor(reason: string) { super(`sppo: no WebGPU adapter — ${reason}`); this.name = 'NoAdapterError'; }
}

let cached: Promise<GPUContext> | null = null;

/** The process-wide WebGPU context (acquired once, then shared). */
export function acquireGPU(opts: AcquireOptions = {}): Promise<GPUContext> {
  if (!cached) {
    cached = acquireFresh(opts);
    cached.catch(() => { cached = null; });
  }
  return cached;
}

/** Probe only: the adapter, or null with the reason; no device is created. */
export async function probeAdapter(opts: AcquireOptions = {}): Promise<{ runtime: Runtime; gpu: GPU | null; adapter: GPUAdapter | null; note: string; log: string[] }> {
  const runtime = detectRuntime();
  const pp = opts.powerPreference ?? 'high-performance';
  if (runtime === 'node') {
    const { nodeGPU } = await import('./provider-node.js');
    return { runtime, ...(await nodeGPU(opts.dawnFlags, pp)) };
  }
  const gpu: GPU | undefined = (globalThis as any).navigator?.gpu;
  if (!gpu) {
    const why = runtime === 'deno' ? 'navigator.gpu is missing: run deno with --unstable-webgpu' : 'this browser has no WebGPU (navigator.gpu is missing)';
    return { runtime, gpu: null, adapter: null, note: why, log: [] };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: pp });
  return { runtime, gpu, adapter, note: adapter ? 'navigator.gpu' : 'navigator.gpu.requestAdapter() returned null', log: [] };
}

export function summarizeAdapter(adapter: GPUAdapter): { info: AdapterSummary; features: string[]; limits: Record<string, number>; software: boolean } {
  const raw: any = (adapter as any).info ?? {};
  const info: AdapterSummary = { vendor: raw.vendor ?? '', architecture: raw.architecture ?? '', description: raw.description ?? '' };
  if (raw.device) info.device = raw.device;
  const features = [...adapter.features].map(String).sort();
  const limits: Record<string, number> = {};
  for (const k in adapter.limits) {
    const v = (adapter.limits as any)[k];
    if (typeof v === 'number') limits[k] = v;
  }
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  const software = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic/.test(text) || raw.isFallbackAdapter === true;
  return { info, features, limits, software };
}

async function acquireFresh(opts: AcquireOptions): Promise<GPUContext> {
  const { runtime, gpu, adapter, note, log } = await probeAdapter(opts);
  if (!gpu || !adapter) throw new NoAdapterError(note);
  const { info, features, software } = summarizeAdapter(adapter);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as any)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  // uncaptured errors are collected and thrown by the kernel context (src/kernels/webgpu/context.ts)
  device.addEventListener?.('uncapturederror', (ev: any) => {
    let debug = false;
    try { debug = !!(globalThis as any).process?.env?.SPPO_DEBUG; } catch { /* Deno without --allow-env */ }
    if (debug) console.error(`sppo: WebGPU error: ${ev.error?.message ?? ev}`);
  });
  const limits: Record<string, number> = {};
  for (const k in device.limits) {
    const v = (device.limits as any)[k];
    if (typeof v === 'number') limits[k] = v;
  }
  const ctx: GPUContext = { runtime, gpu, adapter, device, info, features: [...device.features].map(String).sort(), limits, software, note, log };
  await selfTest(device, info);
  return ctx;
}

/** Dispatch one tiny shader and read it back: an adapter that computes nothing fails here. */
async function selfTest(device: GPUDevice, info: AdapterSummary): Promise<void> {
  const n = 64;
  const module = device.createShaderModule({ code: `
    @group(0) @binding(0) var<storage, read_write> out: array<u32>;
    @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { out[g.x] = g.x * 3u + 7u; }` });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(buf, 0, read, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Uint32Array(read.getMappedRange().slice(0));
  read.unmap(); read.destroy(); buf.destroy();
  for (let i = 0; i < n; i++) {
    if (got[i] !== i * 3 + 7) throw new NoAdapterError(`adapter "${info.description || info.vendor || 'unnamed'}" computes wrong results (got ${got[i]} at ${i}, wanted ${i * 3 + 7}); a null or broken backend cannot run sppo`);
  }
}
