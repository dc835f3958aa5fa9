// Kernel variant selection by measurement, per adapter (in the spirit of onnxruntime's
// algorithm scheduler). A kernel family (e.g. "matmul@1") asks for the variant of a size
// class (e.g. "NN m256 n1024 k256 b1 v11"):
//   1. a forced variant (forceVariant(), or env SPPO_VARIANT_<FAMILY>=name) wins;
//   2. else a decision already made for this adapter (memory, then the persisted cache) —
//      unless it predates a candidate the caller lists (then it is measured again);
//   3. else the caller's default is used for now, and a measurement of the candidates on
//      the class's shape is queued in the background (one at a time); later calls of that
//      class get the fastest. `settle()` waits for queued measurements; `tune()` measures
//      at once and returns the winner.
// Decisions are cached in memory per adapter key (vendor/architecture/description) and, in
// Node, persisted to a JSON file (default ~/.cache/sppo/variants.json, or $XDG_CACHE_HOME,
// or env SPPO_VARIANT_CACHE=path; SPPO_VARIANT_CACHE=off keeps them in memory only),
// written atomically (temp file + rename). An unreadable or malformed cache is ignored.
// SPPO_TUNE=0 turns measurement off (callers' defaults are used).
// Timing uses timestamp queries where the device has `timestamp-query`, else wall time
// around queue.onSubmittedWorkDone() on a drained queue. Measurements run in their own
// command buffers with their own buffers, never inside the backend's recorded step.
import type { GPUContext } from '../../gpu/device.js';

export interface VariantChoice {
  variant: string;
  /** measured ms per candidate (Infinity: it could not run here) */
  ms?: Record<string, number>;
  /** the shape that was timed */
  shape?: string;
  when?: string;
}

export interface Measurement { ms: Record<string, number>; shape: string }

export function adapterKey(gpu: GPUContext): string {
  const i = gpu.info;
  return [i.vendor, i.architecture, i.description].map((s) => s || '?').join('/');
}

// ---- forcing ------------------------------------------------------------------------------
const forced = new Map<string, string>();
const baseName = (family: string) => family.replace(/@.*/, '');

/** Force `variant` for every size class of `family` in this process (null: measure again). */
export function forceVariant(family: string, variant: string | null): void {
  if (variant === null) forced.delete(baseName(family));
  else forced.set(baseName(family), variant);
}

/** The forced variant of a family: forceVariant(), else env SPPO_VARIANT_<FAMILY>. */
export function forcedVariant(family: string): string | undefined {
  const f = forced.get(baseName(family));
  if (f) return f;
  return envVar(`SPPO_VARIANT_${baseName(family).toUpperCase()}`) || undefined;
}

function envVar(name: string): string | undefined {
  const p = (globalThis as any).process;
  return p?.env?.[name];
}

export function tuningEnabled(): boolean { return envVar('SPPO_TUNE') !== '0'; }

// ---- persisted cache (Node only; elsewhere memory only) --------------------------------------
interface CacheFile { version: 1; adapters: Record<string, Record<string, VariantChoice>> }

function nodeModule(name: string): any {
  try { return (globalThis as any).process?.getBuiltinModule?.(name) ?? null; } catch { return null; }
}

/** Where decisions persist, or null when they stay in memory (not Node, or turned off). */
export function variantCachePath(): string | null {
  const env = envVar('SPPO_VARIANT_CACHE');
  if (env === 'off') return null;
  const path = nodeModule('node:path');
  if (!path || !nodeModule('node:fs')) return null;
  if (env) return env;
  const base = envVar('XDG_CACHE_HOME') || (envVar('HOME') ? path.join(envVar('HOME'), '.cache') : null);
  return base ? path.join(base, 'sppo', 'variants.json') : null;
}

function readCacheFile(file: string): CacheFile {
  const empty: CacheFile = { version: 1, adapters: {} };
  try {
    const fs = nodeModule('node:fs');
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (data?.version !== 1 || typeof data.adapters !== 'object' || data.adapters === null) return empty;
    return data as CacheFile;
  } catch {
    return empty;   // missing, unreadable or malformed: start afresh
  }
}

function writeCacheEntry(file: string, adapter: string, key: string, choice: VariantChoice): void {
  try {
    const fs = nodeModule('node:fs'), path = nodeModule('node:path');
    const data = readCacheFile(file);   // merge with what other processes wrote meanwhile
    (data.adapters[adapter] ??= {})[key] = choice;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${(globalThis as any).process?.pid ?? 0}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, (_k, v) => (v === Infinity ? null : v), 1));
    fs.renameSync(tmp, file);
  } catch (e) {
    warnOnce(`sppo: cannot write the variant cache ${file} (${(e as Error).message}); decisions stay in memory`);
  }
}

const warned = new Set<string>();
function warnOnce(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  console.error(msg);
}

// ---- the per-adapter tuner -------------------------------------------------------------------
const tuners = new Map<string, Tuner>();

export class Tuner {
  private decided = new Map<string, VariantChoice>();
  private pending = new Map<string, Promise<string | undefined>>();
  /** classes whose measurement failed: not measured again in this process */
  private failed = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly file: string | null;

  private constructor(readonly adapter: string) {
    this.file = variantCachePath();
    if (this.file) {
      const stored = readCacheFile(this.file).adapters[adapter] ?? {};
      for (const [k, v] of Object.entries(stored)) if (v && typeof v.variant === 'string') this.decided.set(k, v);
    }
  }

  /** The tuner of this adapter (shared by every context on the same adapter). */
  static for(gpu: GPUContext): Tuner {
    const key = adapterKey(gpu);
    let t = tuners.get(key);
    if (!t) tuners.set(key, (t = new Tuner(key)));
    return t;
  }

  /** Forget every in-memory decision (the persisted file is kept). For tests. */
  static resetMemory(): void { tuners.clear(); }

  lookup(family: string, cls: string): VariantChoice | undefined { return this.decided.get(`${family} ${cls}`); }

  /** A decision for (family, cls) that timed every one of `candidates` (when given): one made
   *  before a candidate existed is stale and measured again. */
  private current(key: string, candidates?: readonly string[]): VariantChoice | undefined {
    const d = this.decided.get(key);
    if (!d || !candidates) return d;
    return candidates.every((c) => d.ms && c in d.ms) ? d : undefined;
  }

  /**
   * The variant for (family, cls): forced, else decided, else undefined — then, when a
   * measure function is given and tuning is on, a background measurement is queued.
   */
  choose(family: string, cls: string, measure?: () => Promise<Measurement>, candidates?: readonly string[]): string | undefined {
    const f = forcedVariant(family);
    if (f) return f;
    const key = `${family} ${cls}`;
    const d = this.current(key, candidates);
    if (d) return d.variant;
    if (measure && tuningEnabled() && !this.pending.has(key) && !this.failed.has(key)) this.queue(key, measure);
    return undefined;
  }

  /** Measure now (or return the known decision). */
  async tune(family: string, cls: string, measure: () => Promise<Measurement>, candidates?: readonly string[]): Promise<string | undefined> {
    const f = forcedVariant(family);
    if (f) return f;
    const key = `${family} ${cls}`;
    const d = this.current(key, candidates);
    if (d) return d.variant;
    return this.pending.get(key) ?? this.queue(key, measure);
  }

  /** Wait until every queued measurement has finished. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  private queue(key: string, measure: () => Promise<Measurement>): Promise<string | undefined> {
    const job = this.chain.then(async () => {
      try {
        const m = await measure();
        let best: string | undefined;
        for (const [v, ms] of Object.entries(m.ms)) if (Number.isFinite(ms) && (best === undefined || ms < m.ms[best])) best = v;
        if (best === undefined) { this.failed.add(key); return undefined; }
        const choice: VariantChoice = { variant: best, ms: m.ms, shape: m.shape, when: new Date().toISOString() };
        this.decided.set(key, choice);
        if (this.file) writeCacheEntry(this.file, this.adapter, key, choice);
        return best;
      } catch (e) {
        warnOnce(`sppo: measuring variants for ${key} failed (${(e as Error).message}); using the default`);
        this.failed.add(key);
        return undefined;
      } finally {
        this.pending.delete(key);
      }
    });
    this.pending.set(key, job);
    this.chain = job;
    return job;
  }
}

// ---- timing ------------------------------------------------------------------------------------
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Time `encode` (which records dispatches into a compute pass) on the device: the least of
 * `reps` runs, in ms. Each run is its own submission. With timestamp queries the pass alone
 * is timed; otherwise wall time from submit to onSubmittedWorkDone on a drained queue.
 * `hintMs` (expected time) lets the host sleep before waiting: while a promise waits on the
 * GPU dawn.node busy-polls a core, which slows CPU emulations.
 */
export async function timePass(gpu: GPUContext, encode: (pass: GPUComputePassEncoder) => void, reps: number, hintMs = 0): Promise<number> {
  const device = gpu.device;
  const stamps = gpu.features.includes('timestamp-query');
  let best = Infinity;
  const qs = stamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
  const resolve = stamps ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : null;
  const readback = stamps ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : null;
  try {
    if (!stamps) await device.queue.onSubmittedWorkDone();
    for (let r = 0; r < reps; r++) {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : undefined);
      encode(pass);
      pass.end();
      if (qs && resolve && readback) {
        enc.resolveQuerySet(qs, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, readback, 0, 16);
      }
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      const hint = Number.isFinite(best) ? best : hintMs;
      if (hint > 2) await sleep(Math.min(hint * 0.5, 2000));   // half: never outlasts the work
      let ms: number;
      if (readback) {
        await readback.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(readback.getMappedRange().slice(0));
        readback.unmap();
        ms = Number(t[1] - t[0]) / 1e6;
        // a zero or negative span means the adapter's timestamps are unusable: fall back
        if (!(ms > 0)) { await device.queue.onSubmittedWorkDone(); ms = performance.now() - t0; }
      } else {
        await device.queue.onSubmittedWorkDone();
        ms = performance.now() - t0;
      }
      best = Math.min(best, ms);
    }
  } finally {
    qs?.destroy(); resolve?.destroy(); readback?.destroy();
  }
  return best;
}
