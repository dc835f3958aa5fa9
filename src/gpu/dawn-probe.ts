// Node: asks Dawn for an adapter in a child process, so that what Dawn and the Vulkan loader
// print on the native stderr while probing a driver that does not work ("vkCreateInstance: Found
// no drivers!", "loader_get_json: Failed to open JSON file ...", lavapipe's rejection) never
// reaches this process's stderr — native code writes to file descriptor 2 directly, which no
// JavaScript can intercept in-process. provider-node.ts asks here before it starts Dawn on a
// driver it is not sure of, so every entry point (the CLI, the library, its worker threads,
// the queue worker) stays quiet the same way; what Dawn said is kept as the probe's `log`
// (GPUContext.log, probeAdapter().log, `sppo doctor`'s webgpu.dawnLog) and printed on stderr,
// prefixed "sppo: dawn:", when SPPO_DEBUG is set — as the CLI prints its own stack traces.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface DawnProbe {
  /** the adapter Dawn found with this environment, or null */
  adapter: { vendor: string; architecture: string; description: string } | null;
  /** what Dawn and the Vulkan loader printed (non-empty lines, at most 40) */
  log: string[];
}

// the child: Dawn with the given flags, one requestAdapter(), the adapter's identity on stdout
const CHILD = `
const a = JSON.parse(process.env.SPPO_DAWN_PROBE);
const mod = await import(a.module);
const gpu = mod.create(a.flags);
const ad = await gpu.requestAdapter({ powerPreference: a.powerPreference });
const i = ad?.info ?? {};
const named = !!(i.vendor || i.architecture || i.description);
process.stdout.write(JSON.stringify({ adapter: ad && named ? { vendor: i.vendor ?? '', architecture: i.architecture ?? '', description: i.description ?? '' } : null }) + '\\n');
process.exit(0);`;

const cache = new Map<string, Promise<DawnProbe>>();

/** Dawn's answer in this process's environment (its Vulkan driver settings), asked in a child process; cached per process. */
export function probeDawnQuietly(flags: string[], powerPreference: GPUPowerPreference): Promise<DawnProbe> {
  const key = JSON.stringify([flags, powerPreference, process.env.VK_ICD_FILENAMES ?? '', process.env.VK_DRIVER_FILES ?? '']);
  let p = cache.get(key);
  if (!p) { p = run(flags, powerPreference); cache.set(key, p); }
  return p;
}

async function run(flags: string[], powerPreference: GPUPowerPreference): Promise<DawnProbe> {
  const module = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  childEnv.SPPO_DAWN_PROBE = JSON.stringify({ module, flags, powerPreference });
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD], { env: childEnv, timeout: 60_000, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout, stderr) => {
      const log = String(stderr).split('\n').map((l) => l.trimEnd()).filter((l) => l.trim()).slice(0, 40);
      let adapter: DawnProbe['adapter'] = null;
      try { adapter = JSON.parse(String(stdout).trim().split('\n').pop() ?? 'null')?.adapter ?? null; } catch { /* no answer: no adapter */ }
      if (err && !adapter) log.push(`(the probe process ${err.killed ? 'timed out' : `failed: ${err.message.split('\n')[0]}`})`);
      debugDawnLog(log);
      resolve({ adapter, log });
    });
  });
}

/** prints Dawn's lines on stderr when SPPO_DEBUG is set (once per probe) */
function debugDawnLog(log: string[]): void {
  if (!log.length || !process.env.SPPO_DEBUG) return;
  process.stderr.write(log.map((l) => `sppo: dawn: ${l}\n`).join(''));
}

/** one line for a note: Dawn's first message (the reason a driver did not work) */
export function firstDawnLine(log: string[]): string {
  const l = log.find((x) => /found no drivers|failed|error|required|not supported|couldn't|cannot/i.test(x)) ?? log[0];
  return l ? l.replace(/^Warning:\s*/, '').trim() : '';
}
