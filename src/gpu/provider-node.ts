// Node: WebGPU through Dawn (npm `webgpu`). On Linux without a usable Vulkan driver Dawn
// finds no adapter; Debian's chromium ships SwiftShader (a CPU Vulkan driver), so we retry
// with it. The object returned by create() must stay alive while any device is in use
// (dawn.node crashes when it is garbage-collected): it is held in `keepAlive` for good.
import fs from 'node:fs';

const keepAlive: unknown[] = [];

/** Known places of a SwiftShader Vulkan ICD manifest (Debian/Ubuntu chromium packages). */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export async function nodeGPU(flags: string[] = [], powerPreference: GPUPowerPreference = 'high-performance'): Promise<{ gpu: GPU; adapter: GPUAdapter | null; note: string }> {
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
  const tryCreate = async () => {
    const gpu: GPU = mod.create(dawnFlags);
    keepAlive.push(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference });
    return { gpu, adapter };
  };
  // Dawn prints loader warnings on native stderr while probing; they are harmless.
  // No GPU device node at all: skip the system drivers (lavapipe is rejected by Dawn with a
  // warning) and go straight to SwiftShader.
  const noHardware = process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && !hasGPUDeviceNode();
  const icd = SWIFTSHADER_ICDS.find((p) => fs.existsSync(p));
  if (noHardware && icd) process.env.VK_ICD_FILENAMES = icd;
  let first = await tryCreate();
  if (noHardware && icd && first.adapter && !isNullAdapter(first.adapter)) return { ...first, note: `SwiftShader from ${icd} (no GPU device found)` };
  if (first.adapter && !isNullAdapter(first.adapter)) return { ...first, note: 'system Vulkan driver' };
  if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES) {
    if (icd) {
      process.env.VK_ICD_FILENAMES = icd;
      const second = await tryCreate();
      if (second.adapter && !isNullAdapter(second.adapter)) return { ...second, note: `SwiftShader from ${icd}` };
    }
  }
  return { gpu: first.gpu, adapter: null, note: noAdapterHint() };
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
