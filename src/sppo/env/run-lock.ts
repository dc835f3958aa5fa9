// One writer per run directory on disk (Node, Deno): an exclusive lock file `.sppo.lock` in the
// run directory holding {pid, host, started, command}.
//   taken     atomically: the content is written to a temporary file first and hard-linked to
//             the lock name (link fails with EEXIST when another holder exists), so a reader
//             never sees a half-written lock;
//   released  by release(), and by a process 'exit' handler (process.exit, an uncaught error);
//   stale     when its host is this machine and its pid no longer runs (process.kill(pid, 0)
//             fails with ESRCH): removed under a second O_EXCL file `.sppo.lock.break`, so two
//             processes breaking the same stale lock cannot both win;
//   refused   otherwise: one RunLockedError naming the holder (pid, host, since when) and the fix.
// Re-entrant within one process: the CLI takes the lock before it looks at the directory, the
// coordinator takes it again for the run; the file goes when the last holder releases.

export const LOCK_NAME = '.sppo.lock';

export class RunLockedError extends Error {
  constructor(readonly dir: string, readonly holder: LockInfo | null, detail: string) {
    super(detail);
    this.name = 'RunLockedError';
  }
}

export interface LockInfo { pid: number; host: string; started: string; command: string }

export interface RunLock { readonly file: string; release(): void }

const held = new Map<string, { count: number; token: string }>();

function describeHolder(h: LockInfo): string {
  return `process ${h.pid} on ${h.host} (since ${h.started}${h.command ? `, ${h.command}` : ''})`;
}

/** Takes the lock of run directory `dir` (created when missing), or throws RunLockedError. */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const os = await import('node:os');
  const abs = path.resolve(dir);
  const file = path.join(abs, LOCK_NAME);
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return lockHandle(file, fs);
  }
  try { fs.mkdirSync(abs, { recursive: true }); } catch (e) {
    throw new Error(`${abs}: cannot be used as a run directory (${(e as NodeJS.ErrnoException).code}${(e as NodeJS.ErrnoException).code === 'EEXIST' || (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? ': a file is in the way' : ''}): choose another "out"`);
  }
  const host = os.hostname();
  const info: LockInfo = { pid: process.pid, host, started: new Date().toISOString(), command: (process.argv.slice(2).join(' ') || '').slice(0, 200) };
  const token = `${host}:${process.pid}:${Math.random().toString(36).slice(2)}`;
  const text = JSON.stringify({ ...info, token }) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    fs.writeFileSync(tmp, text);
    try {
      fs.linkSync(tmp, file);
      held.set(file, { count: 1, token });
      process.once('exit', () => releaseNow(file, token, fs));
      return lockHandle(file, fs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${abs}: cannot create the run lock ${LOCK_NAME} (${(e as NodeJS.ErrnoException).code}): the run directory must be writable`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const { holder, raw } = readHolder(file, fs);
    if (raw === null) continue; // released meanwhile: try again
    if (holder && holder.host === host && !alive(holder.pid)) {
      if (!breakStale(file, raw, fs)) await new Promise((r) => setTimeout(r, 50)); // another process breaks it
      continue;
    }
    if (!holder) {
      throw new RunLockedError(abs, null, `${abs} is locked by ${file}, which is not a lock this version wrote: if no sppo process uses this run directory, delete that file`);
    }
    const where = holder.host === host ? '' : ` — it runs on another machine; if it is gone, delete ${file}`;
    throw new RunLockedError(abs, holder, `${abs} is in use by another sppo run: ${describeHolder(holder)}${where}. One run directory takes one writer: wait for it to finish (then --resume), stop it, or choose another "out"`);
  }
  throw new RunLockedError(abs, null, `${abs}: could not take the run lock ${file} after 5 tries (other processes keep taking and releasing it)`);
}

function lockHandle(file: string, fs: typeof import('node:fs')): RunLock {
  let done = false;
  return {
    file,
    release() {
      if (done) return;
      done = true;
      const h = held.get(file);
      if (!h) return;
      if (--h.count === 0) releaseNow(file, h.token, fs);
    },
  };
}

function releaseNow(file: string, token: string, fs: typeof import('node:fs')): void {
  const h = held.get(file);
  if (h && h.token === token) held.delete(file);
  try {
    const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as { token?: string };
    if (cur.token === token) fs.rmSync(file, { force: true });
  } catch { /* gone or not ours */ }
}

function readHolder(file: string, fs: typeof import('node:fs')): { holder: LockInfo | null; raw: string | null } {
  let raw: string;
  try { raw = fs.readFileSync(file, 'utf8'); } catch { return { holder: null, raw: null }; }
  try {
    const v = JSON.parse(raw) as Partial<LockInfo>;
    if (Number.isInteger(v.pid) && typeof v.host === 'string') return { holder: { pid: v.pid!, host: v.host, started: String(v.started ?? '?'), command: String(v.command ?? '') }, raw };
  } catch { /* not ours */ }
  return { holder: null, raw };
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes a stale lock whose content is still `raw`, under the O_EXCL break file; false when another process holds the break file. */
function breakStale(file: string, raw: string, fs: typeof import('node:fs')): boolean {
  const brk = file + '.break';
  let fd: number;
  try {
    fd = fs.openSync(brk, 'wx');
  } catch {
    // another process is breaking it; a break file left by a crash is old: remove it
    try { if (Date.now() - fs.statSync(brk).mtimeMs > 10_000) fs.rmSync(brk, { force: true }); } catch { /* gone */ }
    return false;
  }
  try {
    let cur: string | null = null;
    try { cur = fs.readFileSync(file, 'utf8'); } catch { /* gone */ }
    if (cur === raw) fs.rmSync(file, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(brk, { force: true });
  }
  return true;
}
