// Node: WebGPU through Dawn (npm `webgpu`). On Linux without a usable Vulkan driver Dawn
// finds no adapter; Debian's chromium ships SwiftShader (a CPU Vulkan driver), so we retry
// with it. The object returned by create() must stay alive while any device is in use
// (dawn.node crashes when it is garbage-collected): it is held in `keepAlive` for good.
// Quiet everywhere: Dawn is started in this process only on a driver that is known to work —
// SwiftShader when there is no GPU device node, VK_ICD_FILENAMES when the user names existing
// files; any other driver (the system's) is first tried in a child process (dawn-probe.ts) that
// keeps Dawn's native warnings off our stderr. Every Node entry point comes through here.
//   SPPO_SWIFTSHADER_ICD=FILE   the SwiftShader ICD manifest to fall back to ('none': no fallback)
import fs from 'node:fs';
import { firstDawnLine, probeDawnQuietly } from './dawn-probe.js';

const keepAlive: unknown[] = [];

/** Known places of a SwiftShader Vulkan ICD manifest (Debian/Ubuntu chromium packages). */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export interface NodeGPU {
  /** Dawn's GPU object, or null when no driver worked (Dawn was then never started in-process) */
  gpu: GPU | null;
  adapter: GPUAdapter | null;
  /** how the adapter was found, or why there is none */
  note: string;
  /** what Dawn printed while a driver was probed in a child process (empty when nothing was probed or said) */
  log: string[];
}

export async function nodeGPU(flags: string[] = [], powerPreference: GPUPowerPreference = 'high-performance'): Promise<NodeGPU> {
  let mod: any;
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new Error(`sppo: cannot load the npm package "webgpu" (Dawn for Node): ${(e as Error).message}. Fix: npm install webgpu`);
  }
  Object.assign(globalThis, mod.globals);
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = fs.mkdtempSync('/tmp/sppo-xdg-');
  const dawnFlags = [...flags];
  // Dawn hides shader-f16 on NVIDIA's Vulkan driver unless asked. disable_workgroup_init: our
  // kernels never read workgroup memory they did not write, and SwiftShader spends seconds
  // compiling the zero-initialisation of large tiles (~0.6 ms per element).
  if (!dawnFlags.some((f) => f.startsWith('enable-dawn-features='))) dawnFlags.push('enable-dawn-features=vulkan_enable_f16_on_nvidia,disable_workgroup_init');
  const inProcess = async (note: string, log: string[] = []): Promise<NodeGPU> => {
    const gpu: GPU = mod.create(dawnFlags);
    keepAlive.push(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference });
    return adapter && !isNullAdapter(adapter) ? { gpu, adapter, note, log } : { gpu, adapter: null, note: noAdapterHint(), log };
  };
  if (process.platform !== 'linux') return inProcess('system driver');
  // the user's choice of Vulkan driver: used as given when its files exist, never started when not
  const userICD = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (userICD && userICD === ourICD) return inProcess(ourNote);
  if (userICD) {
    const missing = userICD.split(':').filter((f) => f && !fs.existsSync(f));
    if (missing.length) {
      const name = process.env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : 'VK_DRIVER_FILES';
      return { gpu: null, adapter: null, note: `${name} names ${missing.join(', ')}, which does not exist: fix the path or unset ${name}`, log: [] };
    }
    return inProcess(`the Vulkan driver ${userICD} (VK_ICD_FILENAMES)`);
  }
  const icd = swiftShaderICD();
  // No GPU device node at all: skip the system drivers (lavapipe is rejected by Dawn with a
  // warning) and go straight to SwiftShader.
  if (icd && !hasGPUDeviceNode()) return inProcess(useSwiftShader(icd, `SwiftShader from ${icd} (no GPU device found)`));
  // the system's drivers: tried quietly first
  const probe = await probeDawnQuietly(dawnFlags, powerPreference);
  if (probe.adapter) return inProcess('system Vulkan driver', probe.log);
  const why = firstDawnLine(probe.log);
  if (icd) return inProcess(useSwiftShader(icd, `SwiftShader from ${icd}${why ? ` (the system's Vulkan driver: ${why})` : ''}`), probe.log);
  return { gpu: null, adapter: null, note: noAdapterHint() + (why ? ` (Dawn: ${why})` : ''), log: probe.log };
}

// VK_ICD_FILENAMES as this module set it (the process's env, shared with its worker threads),
// and how it was chosen: a later call in the process takes the same driver with the same note
let ourICD: string | null = null, ourNote = '';
function useSwiftShader(icd: string, note: string): string {
  process.env.VK_ICD_FILENAMES = ourICD = icd;
  ourNote = note;
  return note;
}

/** the SwiftShader ICD manifest to fall back to: SPPO_SWIFTSHADER_ICD, else a known place; null when none (or 'none') */
function swiftShaderICD(): string | null {
  const forced = process.env.SPPO_SWIFTSHADER_ICD;
  if (forced === 'none') return null;
  if (forced) {
    if (!fs.existsSync(forced)) throw new Error(`sppo: SPPO_SWIFTSHADER_ICD names ${forced}, which does not exist: fix the path, or set it to 'none' for no SwiftShader fallback`);
    return forced;
  }
  return SWIFTSHADER_ICDS.find((p) => fs.existsSync(p)) ?? null;
}

function hasGPUDeviceNode(): boolean {
  try {
    if (fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
  } catch { /* no /dev/dri */ }
  try {
    return fs.readdirSync('/dev').some((f) => /^nvidia\d/.test(f));
  } catch { return false; }
}

function isNullAdapter(a: GPUAdapter): boolean {
  const info = (a as any).info ?? {};
  return !info.vendor && !info.architecture && !info.description;
}

function noAdapterHint(): string {
  if (process.platform !== 'linux') return 'no WebGPU adapter: install or update your GPU driver';
  const hasLoader = ['/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/lib/aarch64-linux-gnu/libvulkan.so.1']
    .some((p) => fs.existsSync(p));
  if (!hasLoader) return 'no Vulkan loader (libvulkan.so.1): install it (Debian: apt-get install libvulkan1) and a Vulkan driver — a GPU driver, or chromium for its SwiftShader CPU driver';
  return 'no usable Vulkan driver: install your GPU vendor\'s Vulkan driver, or Debian\'s chromium for the SwiftShader CPU driver (apt-get install chromium), or set VK_ICD_FILENAMES';
}
