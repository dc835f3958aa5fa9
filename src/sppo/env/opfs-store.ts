// A run directory in the browser's Origin Private File System (navigator.storage.getDirectory()):
// survives reloads, so a page can resume a run. Text artifacts and bytes (model checkpoints:
// memory-deps.ts writes them when the store keeps bytes). Writes go through createWritable(),
// which writes a swap file and replaces the old file on close(): each write is atomic.
//   const store = await opfsStore('sppo-runs/demo');
// No node: imports.
import type { ByteStore } from './memory-deps.js';

type Dir = FileSystemDirectoryHandle;

const parts = (p: string) => p.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.');

export async function opfsStore(root: string): Promise<ByteStore> {
  const storage = (globalThis as any).navigator?.storage;
  if (!storage?.getDirectory) throw new Error('sppo: this runtime has no Origin Private File System (navigator.storage.getDirectory): use a MemoryStore');
  let base: Dir = await storage.getDirectory();
  for (const s of parts(root)) base = await base.getDirectoryHandle(s, { create: true });

  async function dirOf(segs: string[], create: boolean): Promise<Dir | null> {
    let d = base;
    for (const s of segs) {
      try { d = await d.getDirectoryHandle(s, { create }); } catch { return null; }
    }
    return d;
  }
  async function fileHandle(p: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const segs = parts(p);
    const name = segs.pop();
    if (!name) return null;
    const d = await dirOf(segs, create);
    if (!d) return null;
    try { return await d.getFileHandle(name, { create }); } catch { return null; }
  }
  async function write(p: string, data: string | Uint8Array): Promise<void> {
    const h = await fileHandle(p, true);
    if (!h) throw new Error(`opfs:${root}: cannot create ${p}`);
    const w = await (h as any).createWritable();
    await w.write(data);
    await w.close();
  }
  async function read(p: string): Promise<File> {
    const h = await fileHandle(p, false);
    if (!h) throw new Error(`opfs:${root}: ${p} does not exist`);
    return h.getFile();
  }

  return {
    where: `opfs:${root}`,
    async exists(p) {
      if (await fileHandle(p, false)) return true;
      return (await dirOf(parts(p), false)) !== null;
    },
    async readText(p) { return (await read(p)).text(); },
    async writeText(p, text) { await write(p, text); },
    async readBytes(p) { return new Uint8Array(await (await read(p)).arrayBuffer()); },
    async writeBytes(p, data) { await write(p, data); },
    async list(p) {
      const d = await dirOf(parts(p), false);
      if (!d) return [];
      const names: string[] = [];
      for await (const k of (d as any).keys()) names.push(k);
      return names.sort();
    },
    async remove(p) {
      const segs = parts(p);
      const name = segs.pop();
      if (!name) return;
      const d = await dirOf(segs, false);
      if (!d) return;
      try { await d.removeEntry(name, { recursive: true }); } catch { /* absent */ }
    },
    localPath() { return null; },
    lock: () => opfsLock(root),
  };
}

/**
 * One writer per OPFS run directory across the tabs and workers of an origin: an exclusive Web
 * Lock named after the directory, held until release() (ifAvailable: a second run stops at once).
 * The holder's description sits in `.sppo.lock` for the message. Without the Web Locks API (old
 * runtimes) the run goes on unlocked.
 */
async function opfsLock(root: string): Promise<{ release(): Promise<void> }> {
  const locks = (globalThis as any).navigator?.locks;
  if (!locks?.request) return { async release() {} };
  const name = `sppo-run:opfs:${parts(root).join('/')}`;
  const store = await opfsStore(root);
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const got = await new Promise<boolean>((resolve, reject) => {
    locks.request(name, { mode: 'exclusive', ifAvailable: true }, async (lock: unknown) => {
      if (!lock) { resolve(false); return; }
      resolve(true);
      await held; // the lock lasts as long as this callback's promise
    }).catch(reject);
  });
  if (!got) {
    let holder = 'another tab or worker of this site';
    try { holder = JSON.parse(await store.readText('.sppo.lock')).holder ?? holder; } catch { /* no description */ }
    throw new Error(`opfs:${root} is in use by another sppo run (${holder}). One run directory takes one writer: wait for it to finish, stop it, or choose another directory`);
  }
  const where = (globalThis as any).location?.href ?? 'a worker';
  await store.writeText('.sppo.lock', JSON.stringify({ holder: `a run started ${new Date().toISOString()} from ${where}` }) + '\n');
  return {
    async release() {
      await store.remove('.sppo.lock');
      release();
    },
  };
}
