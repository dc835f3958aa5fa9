// Checks an output directory before any work starts (Node side): an existing path must be a
// directory we can write into; a missing one needs its nearest existing parent to be one. One
// clear message instead of ENOTDIR/EACCES from deep inside a run.
import fs from 'node:fs';
import path from 'node:path';

/** throws one Error naming `what` (e.g. 'config.json: "out"', '--out') and the path */
export function checkOutDir(dir: string, what: string): void {
  const abs = path.resolve(dir);
  let p = abs;
  for (;;) {
    let st: fs.Stats | null = null;
    try { st = fs.statSync(p); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a part of the path is a file; walking up finds and names it
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new Error(`${what}: ${dir} cannot be used (${code}): choose another directory`);
      }
    }
    if (st) {
      if (!st.isDirectory()) {
        throw new Error(p === abs
          ? `${what}: ${dir} is a file, not a directory: choose a directory path (it is created when missing)`
          : `${what}: ${dir} cannot be created: ${p} is a file, not a directory`);
      }
      try { fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK); } catch {
        throw new Error(p === abs
          ? `${what}: ${dir} is not writable by this user: fix its permissions or choose another directory`
          : `${what}: ${dir} cannot be created: ${p} is not writable by this user`);
      }
      return;
    }
    const up = path.dirname(p);
    if (up === p) return;
    p = up;
  }
}
