// Where a run keeps its artifacts: a directory on disk (Node, Deno) or an in-memory store
// (browsers; env/opfs-store.ts is the OPFS one). The contract is src/sppo/run-store.ts; every
// write is atomic: written to a temporary name, then renamed.
import type { RunStore } from '../run-store.js';

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
