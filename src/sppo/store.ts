// Where a run keeps its artifacts: a directory on disk (Node, Deno) or an in-memory store
// (browsers; an OPFS-backed one can implement the same four calls). Every write is atomic:
// written to a temporary name, then renamed, so a crash leaves the old artifact or the new one.

export interface RunStore {
  /** human-readable location, for messages */
  readonly where: string;
  exists(path: string): Promise<boolean>;
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
  /** names directly under a folder ([] when it does not exist) */
  list(path: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  /** a real directory path for artifacts written by other code (model checkpoints), or null */
  localPath(path: string): string | null;
  /**
   * Takes the store's one-writer lock (a lock file on disk, a Web Lock in browsers), or throws an
   * error naming the holder; the coordinator holds it for the whole run. Absent: no other writer
   * can reach the store (memory).
   */
  lock?(): Promise<{ release(): void | Promise<void> }>;
}

export class MemoryStore implements RunStore {
  readonly files = new Map<string, string>();
  constructor(readonly where = 'memory') {}
  async exists(p: string) { return this.files.has(norm(p)) || [...this.files.keys()].some((k) => k.startsWith(norm(p) + '/')); }
  async readText(p: string) {
    const v = this.files.get(norm(p));
    if (v === undefined) throw new Error(`${this.where}: ${p} does not exist`);
    return v;
  }
  async writeText(p: string, text: string) { this.files.set(norm(p), text); }
  async list(p: string) {
    const pre = norm(p) ? norm(p) + '/' : '';
    const names = new Set<string>();
    for (const k of this.files.keys()) if (k.startsWith(pre)) names.add(k.slice(pre.length).split('/')[0]);
    return [...names].sort();
  }
  async remove(p: string) { for (const k of [...this.files.keys()]) if (k === norm(p) || k.startsWith(norm(p) + '/')) this.files.delete(k); }
  localPath(): string | null { return null; }
}

const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.?\/+/, '').replace(/\/+$/, '');

/** A directory on disk (Node and Deno through node:fs). */
export async function diskStore(root: string): Promise<RunStore> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  fs.mkdirSync(root, { recursive: true });
  const abs = (p: string) => path.join(root, p);
  return {
    where: root,
    async exists(p) { return fs.existsSync(abs(p)); },
    async readText(p) { return fs.readFileSync(abs(p), 'utf8'); },
    async writeText(p, text) {
      const file = abs(p);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const fd = fs.openSync(tmp, 'w');
      try { fs.writeSync(fd, text); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
      fs.renameSync(tmp, file);
    },
    async list(p) { try { return fs.readdirSync(abs(p)).filter((n) => !n.includes('.tmp-') && !n.startsWith('.sppo.lock')).sort(); } catch { return []; } },
    async remove(p) { fs.rmSync(abs(p), { recursive: true, force: true }); },
    localPath(p) { return abs(p); },
    async lock() { return (await import('./run-lock.js')).acquireRunLock(root); },
  };
}

/** JSONL helpers */
export const toJSONL = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
export function fromJSONL<T = any>(text: string, where: string): T[] {
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try { out.push(JSON.parse(line)); } catch (e) {
      throw new Error(`${where}: line ${i + 1} is not valid JSON (${(e as Error).message}): fix or delete that line`);
    }
  });
  return out;
}
