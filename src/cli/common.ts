// Shared pieces of the commands: backend choice, JSONL input, progress bars on stderr.
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { createBackend, type BackendKind } from '../kernels/index.js';
import type { Backend } from '../kernels/backend.js';
import { resolveSampleConfig, type SampleConfig } from '../sampling/config.js';

export const BACKEND_HELP = 'webgpu | wasm | auto (auto: a real GPU, else the wasm CPU backend)';

export async function backendFrom(opt: string | undefined): Promise<Backend> {
  const kind = (opt ?? 'auto') as BackendKind;
  if (!['webgpu', 'wasm', 'auto'].includes(kind)) throw new Error(`sppo: --backend must be webgpu, wasm or auto, got "${opt}"`);
  const be = await createBackend(kind);
  if (!process.env.SPPO_QUIET) process.stderr.write(`sppo: backend ${be.description}\n`);
  // SPPO_MEMORY_REPORT=1: one JSON line on stderr at exit with the peak memory the command held
  if (process.env.SPPO_MEMORY_REPORT) {
    process.on('exit', () => {
      const b = be as any;
      const peak = b.memory?.buffer?.byteLength ?? b.ctx?.peakBytes ?? null;
      process.stderr.write(`sppo-memory: ${JSON.stringify({ backend: be.name, peakDeviceBytes: peak, peakRss: process.resourceUsage().maxRSS * 1024 })}\n`);
    });
  }
  return be;
}

/** Parse a JSONL file: one object per non-empty line; a bad line names its number. */
export function readJSONL(file: string): { line: number; value: any }[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new Error(`sppo: cannot read ${file} (${(e as NodeJS.ErrnoException).code}): check the path`);
  }
  const out: { line: number; value: any }[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try { out.push({ line: i + 1, value: JSON.parse(l) }); } catch (e) {
      throw new Error(`sppo: ${file} line ${i + 1} is not valid JSON (${(e as Error).message}): fix or delete that line`);
    }
  });
  return out;
}

/** A progress bar with ETA on stderr (plain lines when stderr is not a terminal). */
export function progressBar(label: string, total: number): { tick(n?: number, extra?: string): void; stop(): void } {
  if (process.env.SPPO_QUIET) return { tick() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let done = 0, last = 0;
    return {
      tick(n = 1, extra = '') {
        done += n;
        const now = Date.now();
        if (now - last > 2000 || done >= total) { last = now; process.stderr.write(`${label}: ${done}/${total}${extra ? ' ' + extra : ''}\n`); }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {extra}`,
    stream: process.stderr, hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { extra: '' });
  return { tick: (n = 1, extra = '') => bar.increment(n, { extra }), stop: () => bar.stop() };
}

export function num(v: string, name: string): number {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new Error(`sppo: ${name} must be a number, got "${v}"`);
  return x;
}
export function int(v: string, name: string): number {
  const x = Number(v);
  if (!Number.isInteger(x)) throw new Error(`sppo: ${name} must be an integer, got "${v}"`);
  return x;
}

const SAMPLE_FLAGS: Record<string, string> = {
  temperature: '--temperature', topK: '--top-k', topP: '--top-p', minP: '--min-p', repetitionPenalty: '--repetition-penalty',
};

/** checks sampling settings given as flags; an error names the flag, not the internal field */
export function checkSampleFlags<T extends SampleConfig>(c: T): T {
  try { resolveSampleConfig(c); } catch (e) {
    const m = /^SampleConfig\.(\w+) = (.*?) is invalid: (.*)$/.exec((e as Error).message);
    if (m && SAMPLE_FLAGS[m[1]]) throw new Error(`sppo: ${SAMPLE_FLAGS[m[1]]} ${m[2]} is invalid: ${m[3]}`);
    throw e;
  }
  return c;
}

/** --top-p: a number in [0, 1] */
export function topPOption(v: string): number {
  return checkSampleFlags({ topP: num(v, '--top-p') }).topP!;
}
