// The environment report behind `sppo doctor`: what runtime we are in, what each backend
// offers, and which one 'auto' picks and why. Shape (extended by later layers, never broken):
// {"runtime", "backends": {"webgpu": {"available", "adapter": {vendor, architecture, description},
//  "software", "features", "limits", "error"?, "dawnLog"? (Dawn's lines from a driver probe)},
//  "wasm": {...}}, "chosen", "reason"}
import { acquireGPU, summarizeAdapter, probeAdapter } from './gpu/device.js';
import { detectRuntime } from './gpu/runtime.js';
import { chooseBackend } from './kernels/choose.js';
import { fmt, memoryLimits, parseBytes } from './model/plan.js';

export interface DoctorReport {
  runtime: string;
  backends: Record<string, any>;
  /** the memory limits in force: wasm32 (4 GiB) or memory64, the WebGPU per-binding limit */
  memory: {
    wasmLimit: 'wasm32' | 'memory64'; wasmMaxBytes: number; memory64Available: boolean;
    webgpuMaxStorageBufferBindingSize: number | null; webgpuMaxBufferSize: number | null;
    /** SPPO_MEMORY_BUDGET when set (bytes), else null */
    budgetOverride: number | null;
  };
  chosen: string;
  reason: string;
}

export async function doctorReport(): Promise<DoctorReport> {
  const runtime = detectRuntime();
  const webgpu: any = { available: false };
  try {
    const ctx = await acquireGPU();
    webgpu.available = true;
    webgpu.adapter = ctx.info;
    webgpu.software = ctx.software;
    webgpu.features = ctx.features;
    webgpu.limits = ctx.limits;
    webgpu.note = ctx.note;
    if (ctx.log.length) webgpu.dawnLog = ctx.log;
  } catch (e) {
    webgpu.error = (e as Error).message;
    try {
      const p = await probeAdapter();
      if (p.log.length) webgpu.dawnLog = p.log;
      if (p.adapter) {
        const s = summarizeAdapter(p.adapter);
        Object.assign(webgpu, { adapter: s.info, software: s.software, features: s.features, limits: s.limits });
      }
    } catch { /* the error above says it */ }
  }
  const backends: Record<string, any> = { webgpu };
  const extra = await extraBackends();
  Object.assign(backends, extra);
  const choice = await chooseBackend();
  const lim = memoryLimits();
  let override: number | null = null;
  try { const v = (globalThis as any).process?.env?.SPPO_MEMORY_BUDGET; if (v) override = parseBytes(v); } catch { /* Deno without --allow-env */ }
  const memory: DoctorReport['memory'] = {
    ...lim,
    webgpuMaxStorageBufferBindingSize: webgpu.limits?.maxStorageBufferBindingSize ?? null,
    webgpuMaxBufferSize: webgpu.limits?.maxBufferSize ?? null,
    budgetOverride: override,
  };
  return { runtime, backends, memory, chosen: choice.kind, reason: choice.reason };
}

/** Backends other than WebGPU add their section here (the wasm backend: threads, simd, fma). */
async function extraBackends(): Promise<Record<string, any>> {
  const { wasmCapabilities } = await import('./kernels/choose.js');
  const w = await wasmCapabilities();
  const wasm: Record<string, any> = { available: w.available, threads: w.threads, simd: w.simd, fma: w.fma, sharedMemory: w.sharedMemory };
  if (w.available) {
    // prove it computes: compile the kernels module and run one small product on one thread
    try {
      const { createWasmBackend } = await import('./kernels/wasm/create.js');
      const be = await createWasmBackend({ threads: 1 });
      try {
        const a = be.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
        const c = be.tensor([2, 2]);
        be.matmul(c, a, a, { m: 2, n: 2, k: 2 });
        const got = Array.from(await be.read(c));
        if (got.join(',') !== '7,10,15,22') throw new Error(`self-test product gave [${got}], expected [7,10,15,22]`);
      } finally { be.destroy(); }
    } catch (e) {
      wasm.available = false;
      wasm.error = (e as Error).message;
    }
  } else if (w.error) wasm.error = w.error;
  return { wasm };
}

export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [`runtime: ${r.runtime}`];
  const w = r.backends.webgpu;
  if (w.available) {
    lines.push(`webgpu: ${w.adapter.vendor} / ${w.adapter.architecture} / ${w.adapter.description}${w.software ? ' (software emulation)' : ''}`);
    lines.push(`  found via: ${w.note}`);
    lines.push(`  features: ${w.features.join(', ')}`);
    const keys = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'];
    for (const k of keys) if (k in w.limits) lines.push(`  ${k}: ${w.limits[k]}`);
  } else {
    lines.push(`webgpu: unavailable — ${w.error}`);
  }
  // what Dawn printed while a Vulkan driver was probed (kept off stderr by the provider)
  if (w.dawnLog?.length) lines.push('  Dawn said:', ...w.dawnLog.map((l: string) => `    ${l.trim()}`));
  for (const [name, b] of Object.entries(r.backends)) {
    if (name === 'webgpu') continue;
    lines.push(`${name}: ${b.available ? JSON.stringify(b) : 'unavailable' + (b.error ? ` — ${b.error}` : '')}`);
  }
  const m = r.memory;
  lines.push(`memory: wasm limit in force ${m.wasmLimit} (${fmt(m.wasmMaxBytes)})${m.memory64Available ? '; this engine has wasm memory64, which the kernels do not use yet' : '; no wasm memory64 in this engine'}`);
  lines.push(`  webgpu: one storage binding ≤ ${m.webgpuMaxStorageBufferBindingSize === null ? 'n/a (no adapter)' : fmt(m.webgpuMaxStorageBufferBindingSize)}, one buffer ≤ ${m.webgpuMaxBufferSize === null ? 'n/a' : fmt(m.webgpuMaxBufferSize)}`);
  if (m.budgetOverride !== null) lines.push(`  SPPO_MEMORY_BUDGET: ${fmt(m.budgetOverride)}`);
  lines.push(`chosen (auto): ${r.chosen} — ${r.reason}`);
  return lines.join('\n') + '\n';
}
